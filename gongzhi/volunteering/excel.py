"""Excel exports of the volunteering lists: the same rows the page shows (scoped by selectors)."""

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes


def _time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def activities_export(qs: QuerySet) -> bytes:
    headers = [
        "编号",
        "日期",
        "活动",
        "类型",
        "社区",
        "组织方",
        "参与人数",
        "已核定时长（小时）",
        "来源",
    ]
    rows = [
        [
            a.pk,
            a.date.isoformat(),
            a.title,
            a.get_kind_display(),
            a.community.name,
            str(a.organiser),
            a.participants,
            round((a.minutes or 0) / 60, 1),
            a.source,
        ]
        for a in qs
    ]
    return workbook_bytes("志愿服务活动", headers, rows)


def records_export(qs: QuerySet) -> bytes:
    headers = ["编号", "日期", "活动", "志愿者", "时长（小时）", "状态", "记录时间", "确认时间"]
    rows = [
        [
            r.pk,
            r.activity.date.isoformat(),
            r.activity.title,
            r.person_name,
            r.hours,
            r.get_status_display(),
            _time(r.recorded_at),
            _time(r.confirmed_at),
        ]
        for r in qs
    ]
    return workbook_bytes("志愿服务记录", headers, rows)


def claims_export(qs: QuerySet) -> bytes:
    headers = [
        "编号",
        "志愿者",
        "活动",
        "时长（小时）",
        "积分",
        "状态",
        "申请时间",
        "公示截止",
        "发放时间",
    ]
    rows = [
        [
            c.pk,
            c.record.person_name,
            c.record.activity.title,
            c.record.hours,
            c.points,
            c.get_status_display(),
            _time(c.applied_at),
            _time(c.publicity_until),
            _time(c.issued_at),
        ]
        for c in qs
    ]
    return workbook_bytes("积分申请", headers, rows)
