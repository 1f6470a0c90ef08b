"""The demo's shared constants: the place names, the seeding day, and the household shapes
and phone prefixes that ``seed``, ``seed_matters``, ``seed_action`` and ``district`` all use.
Seeders import from here, never from one another in both directions."""

from gongzhi.core.demodates import TODAY  # noqa: F401 - the demo's today, for every seeder
from gongzhi.people.models import Relation

SUBDISTRICT = "琴台街道"
DEMO_COMMUNITY = "X社区"

# 汉阳区 first; the other Wuhan districts for people who moved in from elsewhere in the city.
HANYANG = "420105"
WUHAN_AREAS = ("420102", "420103", "420104", "420106", "420107", "420111", "420114", "420116")
# Migrant households (流动人口) come from other cities of Hubei.
MIGRANT_AREAS = ("420902", "421102", "420602", "421003", "420802", "421202")
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 176 177 180 181 182 183 185 186 187 188 189 191 199"
).split()

# Household size 1..6: a Wuhan 村改居 community, mean close to the paper's 2.95 per household.
SIZE_WEIGHTS = (14, 27, 27, 18, 9, 5)

# Household patterns by size: H head, S spouse, C child, P parent of the head, O the
# child's spouse, G grandchild; with a weight and the head's age range.
PATTERNS: dict[int, tuple[tuple[str, int, tuple[int, int]], ...]] = {
    1: (("H", 45, (62, 93)), ("H", 55, (20, 61))),
    2: (
        ("HS", 38, (58, 86)),
        ("HS", 20, (23, 40)),
        ("HC", 14, (32, 56)),
        ("HC", 14, (64, 90)),
        ("HP", 9, (28, 50)),
        ("HG", 5, (58, 75)),
    ),
    3: (
        ("HSC", 68, (27, 56)),
        ("HSP", 9, (28, 48)),
        ("HCG", 8, (56, 80)),
        ("HCC", 8, (33, 50)),
        ("HSG", 7, (56, 74)),
    ),
    4: (
        ("HSCC", 40, (31, 52)),
        ("HSCP", 25, (30, 52)),
        ("HSCG", 15, (55, 74)),
        ("HSCO", 20, (52, 68)),
    ),
    5: (("HSCPP", 35, (30, 48)), ("HSCOG", 40, (54, 72)), ("HSCCP", 25, (33, 52))),
    6: (("HSCCPP", 40, (32, 48)), ("HSCOGG", 45, (54, 72)), ("HSCCOG", 15, (56, 72))),
}
RELATIONS = {
    "H": Relation.HEAD,
    "S": Relation.SPOUSE,
    "C": Relation.CHILD,
    "P": Relation.PARENT,
    "O": Relation.OTHER,
    "G": Relation.GRANDCHILD,
}
