"""Partners to and from `.xlsx`; teams and organisations to `.xlsx` (see docs/import-export.md).

The import follows the same all-or-nothing rules as the residents import
(``gongzhi.people.excel``). A partner's kind decides which place columns it fills: a 睦邻合伙人
serves a building (小区 + 楼栋), a 建设合伙人 a compound (小区 only), a 团队合伙人 the whole
community (neither). Phones are masked in every export here: this is the public directory.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.excel import (
    ExcelError,
    ImportResult,
    Row,
    RowError,
    read_rows,
    workbook_bytes,
    write_all,
)
from gongzhi.core.identity import mask_id_number, mask_phone
from gongzhi.partners.models import (
    Organisation,
    OrganisationKind,
    Partner,
    PartnerKind,
    PartnerStatus,
    Role,
    Skill,
    Team,
    TeamKind,
)
from gongzhi.partners.rules import can_import_partners
from gongzhi.people.excel import CommunityPlaces, RowCheck
from gongzhi.people.models import Resident
from gongzhi.places.community_io import import_community
from gongzhi.places.models import Community

PARTNER_HEADERS = [
    "姓名",
    "类型",
    "小区",
    "楼栋",
    "身份证号",
    "联系电话",
    "技能",
    "角色",
    "党员",
    "加入日期",
    "状态",
]
PARTNER_REQUIRED = {"姓名", "类型"}
TEAM_HEADERS = [
    "名称",
    "类型",
    "社区",
    "小区",
    "楼栋",
    "负责人",
    "负责人电话",
    "成员数",
    "服务内容",
]
ORGANISATION_HEADERS = [
    "名称",
    "类型",
    "街道",
    "社区",
    "小区",
    "联系人",
    "联系电话",
    "地址",
    "简介",
]

KINDS = {
    "睦邻合伙人": PartnerKind.NEIGHBOUR,
    "建设合伙人": PartnerKind.CONSTRUCTION,
    "团队合伙人": PartnerKind.TEAM,
}
KIND_NAMES = {value: name for name, value in KINDS.items()}
STATUSES = {"在岗": PartnerStatus.ACTIVE, "暂停": PartnerStatus.PAUSED, "退出": PartnerStatus.LEFT}
STATUS_NAMES = {value: name for name, value in STATUSES.items()}
YES_NO = {"是": True, "否": False}
TEAM_KIND_NAMES = {TeamKind.VOLUNTEER: "志愿服务队", TeamKind.RED: "红色工作队"}
ORGANISATION_KIND_NAMES = {
    OrganisationKind.RESIDENTS_COMMITTEE: "社区居委会",
    OrganisationKind.PARTY_COMMITTEE: "党委",
    OrganisationKind.PARTY_BRANCH: "党支部",
    OrganisationKind.OWNERS_COMMITTEE: "业主委员会",
    OrganisationKind.PROPERTY_COMPANY: "物业公司",
    OrganisationKind.SOCIAL_ORGANISATION: "社会组织",
    OrganisationKind.WOMENS_FEDERATION: "妇联",
    OrganisationKind.DEPARTMENT: "政府部门",
    OrganisationKind.OTHER: "其他",
}

PARTNER_NOTES = [
    ("姓名", "必填，最多 40 个字。填写了身份证号时须与该居民登记的姓名一致。"),
    ("类型", "必填：睦邻合伙人（服务楼栋）、建设合伙人（服务小区）、团队合伙人（服务社区）。"),
    ("小区", "睦邻合伙人、建设合伙人必填：本社区已有的小区名称；团队合伙人不填。"),
    ("楼栋", "睦邻合伙人必填：该小区已有的楼栋，如：1栋；建设合伙人、团队合伙人不填。"),
    ("身份证号", "可不填。填写时须是本社区已登记居民的身份证号，合伙人将与该居民关联。"),
    ("联系电话", "11 位手机号或带区号的固定电话；不填时使用所关联居民的电话。"),
    ("技能", "系统中已有的技能，多个用顿号或逗号分隔，如：水电维修、矛盾调解。可不填。"),
    ("角色", "系统中已有的角色，多个用顿号或逗号分隔，如：楼栋长、党员中心户。可不填。"),
    ("党员", "是 或 否，空白视为“否”。"),
    ("加入日期", "如：2023-03-01，空白视为导入当天。"),
    ("状态", "在岗、暂停、退出，空白视为“在岗”。"),
    ("说明", "任何一行有错，整个文件都不会导入；请按错误提示（行号、列名、原因）修改后重新上传。"),
    ("说明", "导入前请删除第 2 行的示例数据。"),
]


def partners_template() -> bytes:
    examples = [
        ["张三", "睦邻合伙人", "渔家苑", "1栋", "", "13812345678", "水电维修", "楼栋长", "是",
         dt.date(2023, 3, 1), "在岗"],
        ["李四", "建设合伙人", "渔家苑", "", "", "13912345678", "设计规划", "社区规划师", "否",
         dt.date(2023, 3, 1), "在岗"],
    ]  # fmt: skip
    return workbook_bytes("合伙人", PARTNER_HEADERS, examples, notes=PARTNER_NOTES)


@dataclass
class _PartnerDraft:
    row: int
    partner: Partner
    id_number: str
    skills: list[Skill]
    roles: list[Role]


def _anchor(check: RowCheck, kind: str, places: CommunityPlaces):
    """The compound and building a partner of ``kind`` is anchored at (both may be None)."""
    compound = building = None
    if kind == PartnerKind.TEAM:
        for column in ("小区", "楼栋"):
            if check.text(column):
                check.fail(column, _("Leave this empty for a team partner."))
        if not places.manages_community:
            check.fail("类型", _("Only staff of the whole community may add team partners."))
        return None, None
    compound = places.compound(check)
    if kind == PartnerKind.CONSTRUCTION:
        if check.text("楼栋"):
            check.fail("楼栋", _("Leave this empty for a construction partner."))
        if compound is not None and compound.pk not in places.managed_compounds:
            check.fail("小区", _("This compound is outside the area you manage."))
        return compound, None
    if compound is not None:
        building = places.building(check, compound)
    return compound, building


def _partner_draft(
    row: Row,
    errors: list[RowError],
    places: CommunityPlaces,
    skills: dict[str, Skill],
    roles: dict[str, Role],
) -> _PartnerDraft | None:
    check = RowCheck(row, errors)
    name = check.required("姓名", 40)
    kind = check.choice("类型", KINDS)
    compound, building = _anchor(check, kind, places) if kind else (None, None)
    id_number = check.id_number()
    phone = check.phone()
    partner_skills = check.names("技能", skills)
    partner_roles = check.names("角色", roles)
    is_party_member = check.choice("党员", YES_NO, default=False)
    joined_on = check.date("加入日期")
    status = check.choice("状态", STATUSES, default=PartnerStatus.ACTIVE)
    if not check.ok:
        return None
    partner = Partner(
        name=name,
        kind=kind,
        community=places.community,
        compound=compound,
        building=building,
        phone=phone,
        is_party_member=is_party_member,
        joined_on=joined_on or timezone.localdate(),
        status=status,
    )
    return _PartnerDraft(row.number, partner, id_number, partner_skills, partner_roles)


def _link_residents(drafts: list[_PartnerDraft], community: Community) -> list[RowError]:
    """Link each draft with an ID number to that resident of the community, or say why not."""
    errors = []
    digests = {crypto.digest(d.id_number) for d in drafts if d.id_number}
    residents = {}
    listed = list(digests)
    for start in range(0, len(listed), 1000):
        for resident in Resident.objects.filter(
            id_number_digest__in=listed[start : start + 1000],
            household__unit__building__compound__community=community,
        ):
            residents[resident.id_number_digest] = resident
    existing = set(
        Partner.objects.filter(resident__in=residents.values()).values_list("resident_id", "kind")
    )
    first_row: dict[tuple[int, str], int] = {}
    for draft in drafts:
        if not draft.id_number:
            continue
        resident = residents.get(crypto.digest(draft.id_number))
        if resident is None:
            errors.append(
                RowError(
                    draft.row,
                    "身份证号",
                    _("No resident of %(community)s has this ID-card number.")
                    % {"community": community.name},
                )
            )
            continue
        if resident.name != draft.partner.name:
            errors.append(
                RowError(
                    draft.row,
                    "姓名",
                    _("The resident with this ID-card number is registered as “%(name)s”.")
                    % {"name": resident.name},
                )
            )
        key = (resident.pk, draft.partner.kind)
        if key in existing:
            errors.append(
                RowError(
                    draft.row, "身份证号", _("This resident is already a partner of this kind.")
                )
            )
        elif key in first_row:
            errors.append(
                RowError(
                    draft.row,
                    "身份证号",
                    _("The same resident and kind are already on row %(row)d.")
                    % {"row": first_row[key]},
                )
            )
        else:
            first_row[key] = draft.row
        draft.partner.resident = resident
        draft.partner.phone = draft.partner.phone or resident.phone
    return errors


def _write_partners(drafts: list[_PartnerDraft]) -> None:
    Partner.objects.bulk_create([d.partner for d in drafts], batch_size=1000)
    SkillLink = Partner.skills.through
    SkillLink.objects.bulk_create(
        [SkillLink(partner_id=d.partner.pk, skill_id=s.pk) for d in drafts for s in d.skills],
        batch_size=1000,
    )
    RoleLink = Partner.roles.through
    RoleLink.objects.bulk_create(
        [RoleLink(partner_id=d.partner.pk, role_id=r.pk) for d in drafts for r in d.roles],
        batch_size=1000,
    )


def import_partners(source, *, user, community=None) -> ImportResult:
    """Import partners from an .xlsx into one community, all or nothing.

    Raises ``PermissionDenied`` if ``user`` may not import there; every problem with the file
    or its rows comes back in ``ImportResult.errors`` and then nothing is written.
    """
    community = import_community(user, community, permitted=can_import_partners(user))
    try:
        rows = read_rows(source, headers=PARTNER_HEADERS, required=PARTNER_REQUIRED)
    except ExcelError as exc:
        return ImportResult(errors=exc.errors)
    places = CommunityPlaces(community, user)
    skills = {skill.name: skill for skill in Skill.objects.all()}
    roles = {role.name: role for role in Role.objects.all()}
    errors: list[RowError] = []
    drafts = [_partner_draft(row, errors, places, skills, roles) for row in rows]
    drafts = [draft for draft in drafts if draft is not None]
    errors.extend(_link_residents(drafts, community))
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda error: error.row))
    return write_all(lambda: _write_partners(drafts), created=len(drafts))


def _names(related) -> str:
    return "、".join(item.name for item in related.all())


def partners_export(qs: QuerySet[Partner]) -> bytes:
    """Partners with the template's columns; ID numbers and phones masked."""
    qs = qs.select_related("compound", "building", "resident").prefetch_related("skills", "roles")

    def line(partner: Partner) -> list:
        return [
            partner.name,
            KIND_NAMES.get(partner.kind, ""),
            partner.compound.name if partner.compound else "",
            partner.building.name if partner.building else "",
            mask_id_number(partner.resident.id_number) if partner.resident else "",
            mask_phone(partner.phone),
            _names(partner.skills),
            _names(partner.roles),
            "是" if partner.is_party_member else "否",
            partner.joined_on,
            STATUS_NAMES.get(partner.status, ""),
        ]

    return workbook_bytes("合伙人", PARTNER_HEADERS, map(line, qs.iterator(chunk_size=2000)))


def teams_export(qs: QuerySet[Team]) -> bytes:
    if "member_count" not in qs.query.annotations:
        qs = qs.annotate(member_count=Count("members"))
    qs = qs.select_related("community", "compound", "building", "leader")

    def line(team: Team) -> list:
        return [
            team.name,
            TEAM_KIND_NAMES.get(team.kind, ""),
            team.community.name,
            team.compound.name if team.compound else "",
            team.building.name if team.building else "",
            team.leader.name if team.leader else "",
            team.leader.phone_masked if team.leader else "",
            team.member_count,
            team.focus,
        ]

    return workbook_bytes("团队", TEAM_HEADERS, map(line, qs.iterator(chunk_size=2000)))


def organisations_export(qs: QuerySet[Organisation]) -> bytes:
    qs = qs.select_related("subdistrict", "community", "compound")

    def line(organisation: Organisation) -> list:
        return [
            organisation.name,
            ORGANISATION_KIND_NAMES.get(organisation.kind, ""),
            organisation.subdistrict.name,
            organisation.community.name if organisation.community else "",
            organisation.compound.name if organisation.compound else "",
            organisation.contact_name,
            organisation.contact_phone_masked,
            organisation.address,
            organisation.description,
        ]

    return workbook_bytes("组织", ORGANISATION_HEADERS, map(line, qs.iterator(chunk_size=2000)))
