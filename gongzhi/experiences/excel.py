"""Excel export of the experience library (the rows of the filtered list)."""

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes
from gongzhi.experiences.models import Experience

HEADERS = ["编号", "标题", "经验内容", "标签", "社区", "地点", "来源", "讲述人", "记录时间"]


def _source(e: Experience) -> str:
    parts = []
    if e.matter_id:
        parts.append(f"诉求#{e.matter_id}")
    if e.meeting_id:
        parts.append(f"会议#{e.meeting_id}")
    if e.project_id:
        parts.append(f"微项目#{e.project_id}")
    if e.mediation_case_id:
        parts.append(f"调解#{e.mediation_case_id}")
    return "、".join(parts)


def experiences_export(qs: QuerySet[Experience]) -> bytes:
    rows = (
        [
            e.pk,
            e.title,
            e.body,
            "、".join(t.name for t in e.tags.all()),
            e.community.name,
            f"{e.compound.name if e.compound_id else ''}{' ' + e.building.name if e.building_id else ''}",
            _source(e),
            e.contributor,
            timezone.localtime(e.created_at).strftime("%Y-%m-%d"),
        ]
        for e in qs
    )
    return workbook_bytes("经验库", HEADERS, rows)
