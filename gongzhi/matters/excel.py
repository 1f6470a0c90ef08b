"""Excel export of the matters workbench (the same rows as the filtered list on screen).

No personal data: reporters appear as a count, never by name or phone.
"""

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes
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


def matters_export(qs: QuerySet[Matter]) -> bytes:
    """One row per matter of ``views.workbench_rows`` (annotated with ``reporter_count`` and
    ``is_late``, active owners prefetched as ``active_owners``)."""
    rows = (
        [
            matter.pk,
            _local(matter.created_at),
            matter.get_channel_display(),
            matter.text,
            matter.community.name,
            str(matter.place) if matter.place != matter.community else "",
            matter.get_category_display(),
            matter.get_tier_display(),
            "是" if matter.classification_confirmed else "否",
            matter.get_status_display(),
            matter.get_priority_display(),
            matter.reporter_count,
            "、".join(str(owner) for owner in matter.active_owners),
            _local(matter.ack_due_at),
            _local(matter.due_at),
            "是" if matter.is_late else "否",
            matter.get_satisfaction_display(),
        ]
        for matter in qs
    )
    return workbook_bytes("事项清单", HEADERS, rows)
