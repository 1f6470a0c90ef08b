"""Excel export of the matters workbench (the same rows as the filtered list on screen).

No personal data: reporters appear as a count, never by name or phone.
"""

from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_file
from gongzhi.matters.models import Matter

HEADERS = [
    "编号",
    "提交时间",
    "渠道",
    "诉求内容",
    "社区",
    "地点",
    "类别",
    "分级",
    "分类已确认",
    "状态",
    "优先级",
    "反映人数",
    "责任方",
    "受理期限",
    "办结期限",
    "是否超期",
    "满意度",
]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _labels(field: str) -> dict:
    """A field's choice labels, translated once per export (``get_<field>_display`` per row
    costs a translation lookup per value)."""
    return {value: str(label) for value, label in Matter._meta.get_field(field).flatchoices}


def matters_export(qs: QuerySet[Matter]) -> IO[bytes]:
    """One row per matter of ``views.workbench_rows`` (annotated with ``reporter_count`` and
    ``is_late``, active owners prefetched as ``active_owners``), fetched in chunks."""
    labels = {
        field: _labels(field)
        for field in ("channel", "category", "tier", "status", "priority", "satisfaction")
    }

    def display(matter: Matter, field: str) -> str:
        value = getattr(matter, field)
        return labels[field].get(value, value)

    # A household's label names its unit, building and compound: fetched with the matter.
    matters = qs.select_related("household__unit__building__compound").iterator(chunk_size=1000)
    rows = (
        [
            matter.pk,
            _local(matter.created_at),
            display(matter, "channel"),
            matter.text,
            matter.community.name,
            str(matter.place) if matter.place != matter.community else "",
            display(matter, "category"),
            display(matter, "tier"),
            "是" if matter.classification_confirmed else "否",
            display(matter, "status"),
            display(matter, "priority"),
            matter.reporter_count,
            "、".join(str(owner) for owner in matter.active_owners),
            _local(matter.ack_due_at),
            _local(matter.due_at),
            "是" if matter.is_late else "否",
            display(matter, "satisfaction"),
        ]
        for matter in matters
    )
    return workbook_file("事项清单", HEADERS, rows)
