"""Excel export of the project list (the same rows as the filtered list on screen)."""

from django.db.models import QuerySet

from gongzhi.core.excel import workbook_bytes
from gongzhi.projects.models import Project

HEADERS = [
    "编号",
    "类型",
    "名称",
    "地点",
    "来源",
    "阶段",
    "预算（元）",
    "社区规划师",
    "进度%",
    "支持票",
    "反对票",
    "开工日期",
    "完工日期",
    "评价人数",
    "平均评分",
    "满意度",
]


def projects_export(qs: QuerySet[Project]) -> bytes:
    rows = (
        [
            p.pk,
            p.get_kind_display(),
            p.title,
            p.scope_label,
            p.get_source_display(),
            p.get_stage_display(),
            p.budget if p.budget is not None else "",
            p.planner.name if p.planner_id else "",
            p.progress,
            p.votes_support,
            p.votes_oppose,
            p.started_on or "",
            p.completed_on or "",
            p.rating_count,
            p.rating_average if p.rating_average is not None else "",
            f"{p.satisfaction:.1%}" if p.satisfaction is not None else "",
        ]
        for p in qs
    )
    return workbook_bytes("微项目", HEADERS, rows)
