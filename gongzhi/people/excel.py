"""Households and residents to and from `.xlsx` (see docs/import-export.md).

An import is for one community. Every row is checked — cells, then the file as a whole (the
same ID number twice, two heads for one household), then against the database — and only a
file without a single error is written, in one transaction. The column headers are Chinese:
they are the contract with the people who fill the sheets.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.audit.models import AuditAction
from gongzhi.audit.services import record
from gongzhi.core.excel import (
    ExcelError,
    ImportResult,
    Row,
    RowError,
    parse_date,
    read_rows,
    split_names,
    workbook_bytes,
    workbook_file,
    write_all,
)
from gongzhi.core.identity import (
    birth_date_from_id,
    gender_from_id,
    id_check_digit,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from gongzhi.core.scope import registry_reach, restrict
from gongzhi.people.models import Gender, Relation, Resident, Tag
from gongzhi.people.rules import can_import_residents
from gongzhi.places.community_io import import_community
from gongzhi.places.models import Building, Community, Compound, Household, Unit

RESIDENT_HEADERS = [
    "小区",
    "楼栋",
    "单元",
    "门牌号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "联系电话",
    "与户主关系",
    "标签",
]
RESIDENT_REQUIRED = {"小区", "楼栋", "单元", "门牌号", "姓名"}
HOUSEHOLD_HEADERS = ["地址", "小区", "楼栋", "单元", "门牌号", "人数", "户主"]

GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
GENDER_NAMES = {value: name for name, value in GENDERS.items()}
RELATIONS = {
    "户主": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "父母": Relation.PARENT,
    "孙辈": Relation.GRANDCHILD,
    "其他": Relation.OTHER,
}
RELATION_NAMES = {value: name for name, value in RELATIONS.items()}

_EXAMPLE_ID = "42010519600517001"
RESIDENT_NOTES = [
    ("小区", "必填。本社区已有的小区名称，须与系统中的名称一致，如：渔家苑。"),
    ("楼栋", "必填。该小区已有的楼栋名称，如：1栋（只填数字 1 也可以，视为“1栋”）。"),
    ("单元", "必填。如：1单元（只填数字 1 视为“1单元”）。系统中没有的单元会自动建立。"),
    ("门牌号", "必填。如：502。系统中没有的住户（户）会自动建立。"),
    ("姓名", "必填，最多 40 个字。"),
    ("性别", "男 或 女。填写了身份证号时可不填，由身份证号推出。"),
    ("出生日期", "如：1960-05-17。填写了身份证号时可不填，由身份证号推出。"),
    (
        "身份证号",
        "18 位，最后一位可为 X，会校验地区代码、出生日期（不能晚于今天）和校验码。同一身份证号只能登记一次。",
    ),
    ("联系电话", "11 位手机号，或带区号的固定电话，如：027-84841234。可不填。"),
    ("与户主关系", "户主、配偶、子女、父母、孙辈、其他，空白视为“其他”。每户最多一位户主。"),
    ("标签", "系统中已有的标签，多个用顿号或逗号分隔，如：独居老人、高龄。可不填。"),
    ("说明", "任何一行有错，整个文件都不会导入；请按错误提示（行号、列名、原因）修改后重新上传。"),
    ("说明", "导入前请删除第 2 行的示例数据。"),
]

# Any one of these in a household's unit or building cell may be written as a bare number.
_NUMBER_RE = re.compile(r"^\d+$")
_LEADING_NUMBER_RE = re.compile(r"^(\d+)")


def residents_template() -> bytes:
    example_id = _EXAMPLE_ID + id_check_digit(_EXAMPLE_ID)
    example = [
        "渔家苑",
        "1栋",
        "1单元",
        "502",
        "张三",
        "男",
        dt.date(1960, 5, 17),
        example_id,
        "13812345678",
        "户主",
        "独居老人、高龄",
    ]
    return workbook_bytes("居民", RESIDENT_HEADERS, [example], notes=RESIDENT_NOTES)


def place_name(value: str, suffix: str) -> str:
    """A bare number in a 楼栋 / 单元 cell means "<number>栋" / "<number>单元"."""
    return value + suffix if _NUMBER_RE.match(value) else value


class CommunityPlaces:
    """The compounds and buildings of one community by name, and which of them a user manages.

    Loaded once per import (two or three queries), so checking rows costs no queries.
    """

    def __init__(self, community: Community, user):
        self.community = community
        reach = registry_reach(user)
        self.compounds = {c.name: c for c in Compound.objects.filter(community=community)}
        self.buildings = {
            (b.compound_id, b.name): b
            for b in Building.objects.filter(compound__community=community)
        }
        self.managed_buildings = set(
            restrict(Building.objects.filter(compound__community=community), reach).values_list(
                "id", flat=True
            )
        )
        self.managed_compounds = set(
            restrict(Compound.objects.filter(community=community), reach).values_list(
                "id", flat=True
            )
        )
        self.manages_community = restrict(Community.objects.filter(pk=community.pk), reach).exists()

    def compound(self, check: "RowCheck", column: str = "小区") -> Compound | None:
        name = check.text(column)
        if not name:
            check.fail(column, _("This column is required."))
            return None
        compound = self.compounds.get(name)
        if compound is None:
            check.fail(
                column,
                _("There is no compound named “%(name)s” in %(community)s.")
                % {"name": name, "community": self.community.name},
            )
        return compound

    def building(self, check: "RowCheck", compound: Compound, column: str = "楼栋"):
        name = check.text(column)
        if not name:
            check.fail(column, _("This column is required."))
            return None
        building = self.buildings.get((compound.pk, name)) or self.buildings.get(
            (compound.pk, place_name(name, "栋"))
        )
        if building is None:
            check.fail(
                column,
                _("There is no building named “%(name)s” in %(compound)s.")
                % {"name": name, "compound": compound.name},
            )
        elif building.pk not in self.managed_buildings:
            check.fail(column, _("This building is outside the area you manage."))
            return None
        return building


@dataclass
class RowCheck:
    """Collects the errors of one row; ``ok`` says whether the row may be written."""

    row: Row
    errors: list[RowError]
    start: int = field(init=False)

    def __post_init__(self):
        self.start = len(self.errors)

    @property
    def ok(self) -> bool:
        return len(self.errors) == self.start

    def text(self, column: str) -> str:
        return self.row.text(column)

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.row.number, column, reason))

    def required(self, column: str, max_length: int) -> str:
        value = self.text(column)
        if not value:
            self.fail(column, _("This column is required."))
        elif len(value) > max_length:
            self.fail(column, _("Too long: at most %(max)d characters.") % {"max": max_length})
        return value

    def choice(self, column: str, choices: dict[str, str], default: str | None = None):
        value = self.text(column)
        if not value and default is not None:
            return default
        if value not in choices:
            self.fail(column, _("Must be one of: %(choices)s.") % {"choices": "、".join(choices)})
            return None
        return choices[value]

    def id_number(self, column: str = "身份证号") -> str:
        value = self.text(column)
        if not value:
            return ""
        try:
            return normalize_id_number(value)
        except ValidationError as exc:
            self.fail(column, exc.messages[0])
            return ""

    def phone(self, column: str = "联系电话") -> str:
        value = self.text(column)
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except ValidationError as exc:
            self.fail(column, exc.messages[0])
            return ""

    def date(self, column: str) -> dt.date | None:
        value = self.row.values.get(column, "")
        if value == "":
            return None
        try:
            parsed = parse_date(value)
        except ValueError:
            self.fail(column, _("Not a date; write it like 1960-05-17."))
            return None
        if parsed > timezone.localdate():
            self.fail(column, _("The date is in the future."))
            return None
        return parsed

    def names(self, column: str, known: dict[str, object]) -> list:
        names = split_names(self.text(column))
        unknown = [name for name in names if name not in known]
        if unknown:
            self.fail(
                column,
                _("Unknown: %(names)s. Use names that exist in the system.")
                % {"names": "、".join(unknown)},
            )
            return []
        return list(dict.fromkeys(known[name] for name in names))


@dataclass
class _ResidentDraft:
    row: int
    building: Building
    unit_name: str
    room: str
    resident: Resident
    tags: list[Tag]

    @property
    def household_key(self) -> tuple[int, str, str]:
        return (self.building.pk, self.unit_name, self.room)


def _resident_draft(
    row: Row, errors: list[RowError], places: CommunityPlaces, tags: dict[str, Tag]
) -> _ResidentDraft | None:
    check = RowCheck(row, errors)
    compound = places.compound(check)
    building = places.building(check, compound) if compound else None
    unit_name = place_name(check.required("单元", 30), "单元")
    room = check.required("门牌号", 20)
    name = check.required("姓名", 40)
    id_given = bool(check.text("身份证号"))
    id_number = check.id_number()

    # 性别 and 出生日期 may be left empty when the ID number (which encodes both) is given.
    gender = check.choice("性别", GENDERS, default="")
    if gender and id_number and gender != gender_from_id(id_number):
        check.fail("性别", _("Does not match the ID-card number."))
    elif gender == "":
        if id_number:
            gender = gender_from_id(id_number)
        elif not id_given:
            check.fail("性别", _("Required when there is no ID-card number."))

    birth_given = check.text("出生日期") != ""
    birth_date = check.date("出生日期")
    if birth_date and id_number and birth_date != birth_date_from_id(id_number):
        check.fail("出生日期", _("Does not match the ID-card number."))
    elif not birth_given:
        if id_number:
            birth_date = birth_date_from_id(id_number)
        elif not id_given:
            check.fail("出生日期", _("Required when there is no ID-card number."))

    phone = check.phone()
    relation = check.choice("与户主关系", RELATIONS, default=Relation.OTHER)
    resident_tags = check.names("标签", tags)
    if not check.ok:
        return None
    resident = Resident(
        name=name, gender=gender, birth_date=birth_date, phone=phone, relation=relation
    )
    resident.set_id_number(id_number)
    return _ResidentDraft(row.number, building, unit_name, room, resident, resident_tags)


def _check_whole_file(drafts: list[_ResidentDraft], community: Community) -> list[RowError]:
    """What no single row shows: duplicates within the file and against the database."""
    errors = []
    first_with_digest: dict[str, int] = {}
    for draft in drafts:
        digest = draft.resident.id_number_digest
        if digest is None:
            continue
        if digest in first_with_digest:
            errors.append(
                RowError(
                    draft.row,
                    "身份证号",
                    _("The same ID-card number is already on row %(row)d.")
                    % {"row": first_with_digest[digest]},
                )
            )
        else:
            first_with_digest[digest] = draft.row
    registered = set()
    digests = list(first_with_digest)
    for start in range(0, len(digests), 1000):
        registered.update(
            Resident.objects.filter(id_number_digest__in=digests[start : start + 1000]).values_list(
                "id_number_digest", flat=True
            )
        )
    for digest in registered:
        errors.append(
            RowError(
                first_with_digest[digest],
                "身份证号",
                _("This ID-card number is already in the registry."),
            )
        )

    heads_in_registry = set(
        Resident.objects.filter(
            relation=Relation.HEAD, household__unit__building__compound__community=community
        ).values_list("household__unit__building_id", "household__unit__name", "household__room")
    )
    first_head: dict[tuple, int] = {}
    for draft in drafts:
        if draft.resident.relation != Relation.HEAD:
            continue
        key = draft.household_key
        if key in heads_in_registry:
            errors.append(
                RowError(
                    draft.row,
                    "与户主关系",
                    _("This household already has a head in the registry."),
                )
            )
        elif key in first_head:
            errors.append(
                RowError(
                    draft.row,
                    "与户主关系",
                    _("This household already has a head on row %(row)d.")
                    % {"row": first_head[key]},
                )
            )
        else:
            first_head[key] = draft.row
    return errors


def _leading_number(name: str) -> int:
    match = _LEADING_NUMBER_RE.match(name)
    return int(match.group(1)) if match else 0


def _write_residents(drafts: list[_ResidentDraft], community: Community) -> None:
    """Create the missing units and households, then the residents and their tags."""
    units = {
        (unit.building_id, unit.name): unit
        for unit in Unit.objects.filter(building__compound__community=community)
    }
    new_units = {
        (d.building.pk, d.unit_name): Unit(
            building=d.building, name=d.unit_name, number=_leading_number(d.unit_name)
        )
        for d in drafts
        if (d.building.pk, d.unit_name) not in units
    }
    Unit.objects.bulk_create(new_units.values())
    units.update(new_units)

    households = {
        (h.unit_id, h.room): h
        for h in Household.objects.filter(unit__building__compound__community=community)
    }
    new_households = {}
    for draft in drafts:
        unit = units[(draft.building.pk, draft.unit_name)]
        if (unit.pk, draft.room) not in households:
            new_households[(unit.pk, draft.room)] = Household(unit=unit, room=draft.room)
    Household.objects.bulk_create(new_households.values())
    households.update(new_households)

    for draft in drafts:
        unit = units[(draft.building.pk, draft.unit_name)]
        draft.resident.household = households[(unit.pk, draft.room)]
    Resident.objects.bulk_create([d.resident for d in drafts], batch_size=1000)
    Link = Resident.tags.through
    Link.objects.bulk_create(
        [Link(resident_id=d.resident.pk, tag_id=tag.pk) for d in drafts for tag in d.tags],
        batch_size=1000,
    )


def import_residents(source, *, user, community=None, request=None) -> ImportResult:
    """Import households and residents from an .xlsx into one community, all or nothing.

    Raises ``PermissionDenied`` if ``user`` may not import there; every problem with the file
    or its rows comes back in ``ImportResult.errors`` and then nothing is written. A successful
    import is an "import" record on the audit trail (with the address of ``request``, the
    upload page's, when there is one).
    """
    community = import_community(user, community, permitted=can_import_residents(user))
    try:
        rows = read_rows(source, headers=RESIDENT_HEADERS, required=RESIDENT_REQUIRED)
    except ExcelError as exc:
        return ImportResult(errors=exc.errors)
    places = CommunityPlaces(community, user)
    tags = {tag.name: tag for tag in Tag.objects.all()}
    errors: list[RowError] = []
    drafts = [_resident_draft(row, errors, places, tags) for row in rows]
    drafts = [draft for draft in drafts if draft is not None]
    errors.extend(_check_whole_file(drafts, community))
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda error: error.row))

    def write() -> None:
        _write_residents(drafts, community)
        record(
            request or user,
            AuditAction.IMPORT,
            "import:residents",
            place=community,
            detail={"created": len(drafts)},
        )

    return write_all(write, created=len(drafts))


def residents_export(
    qs: QuerySet[Resident], *, personal: bool, sensitive_tags: bool = False
) -> IO[bytes]:
    """Residents with the template's columns, so an export can be imported again.

    ``personal=False`` masks ID numbers and phones; pass ``True`` only for users who may
    manage the registry (``accounts.scope.can_manage_registry``). Sensitive tags are left out
    unless ``sensitive_tags`` (``rules.may_see_sensitive_tags``).
    """
    # Plain values, not model instances: a community's 21,000 residents export in seconds.
    rows = qs.prefetch_related(None).values_list(
        "pk",
        "household__unit__building__compound__name",
        "household__unit__building__name",
        "household__unit__name",
        "household__room",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "relation",
    )
    tags: dict[int, list[str]] = defaultdict(list)
    links = Resident.tags.through.objects.filter(resident__in=qs.values("pk"))
    if not sensitive_tags:
        links = links.filter(tag__sensitive=False)
    for resident_id, tag in links.order_by("tag_id").values_list("resident_id", "tag__name"):
        tags[resident_id].append(tag)

    def line(row: tuple) -> list:
        pk, compound, building, unit, room, name, gender, born, id_number, phone, relation = row
        return [
            compound,
            building,
            unit,
            room,
            name,
            GENDER_NAMES.get(gender, ""),
            born,
            id_number if personal else mask_id_number(id_number),
            phone if personal else mask_phone(phone),
            RELATION_NAMES.get(relation, ""),
            "、".join(tags[pk]),
        ]

    return workbook_file("居民", RESIDENT_HEADERS, map(line, rows.iterator(chunk_size=2000)))


def households_export(qs: QuerySet[Household]) -> IO[bytes]:
    if "resident_count" not in qs.query.annotations:
        qs = qs.annotate(resident_count=Count("residents"))
    qs = qs.select_related("unit__building__compound").prefetch_related(
        Prefetch(
            "residents",
            queryset=Resident.objects.filter(relation=Relation.HEAD),
            to_attr="heads",
        )
    )

    def line(household: Household) -> list:
        unit = household.unit
        return [
            household.label,
            unit.building.compound.name,
            unit.building.name,
            unit.name,
            household.room,
            household.resident_count,
            "、".join(head.name for head in household.heads),
        ]

    return workbook_file("住户", HOUSEHOLD_HEADERS, map(line, qs.iterator(chunk_size=2000)))
