"""Excel export of the case list, redacted row by row like the page (``selectors.case_views``).

Party names and the description appear only on rows whose details the user may see.
"""

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes
from gongzhi.mediation.selectors import case_views

HEADERS = ["编号", "受理时间", "类型", "地点", "状态", "结果", "当事人", "调解员", "案情"]


def cases_export(user, qs: QuerySet) -> bytes:
    rows = [
        [
            view.id,
            timezone.localtime(view.opened_at).strftime("%Y-%m-%d"),
            view.kind_label,
            view.place_label,
            view.status_label,
            view.outcome_label or "",
            "、".join(view.parties) if view.parties is not None else "（保密）",
            "、".join(view.mediators) if view.mediators is not None else "（保密）",
            view.description if view.description is not None else "（保密）",
        ]
        for view in case_views(user, qs)
    ]
    return workbook_bytes("调解案件", HEADERS, rows)
