"""Excel exports of the points lists: the same rows the page shows (scoped by the selectors)."""

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.excel import workbook_bytes


def _day(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def items_export(qs: QuerySet) -> bytes:
    headers = [
        "编号",
        "社区",
        "名称",
        "说明",
        "所需积分",
        "库存",
        "每人限兑",
        "领取期限（天）",
        "在售",
    ]
    rows = [
        [
            i.pk,
            i.community.name,
            i.name,
            i.description,
            i.price,
            i.stock,
            i.per_person_limit or "",
            i.pickup_days,
            "是" if i.active else "否",
        ]
        for i in qs
    ]
    return workbook_bytes("积分超市商品", headers, rows)


def redemptions_export(qs: QuerySet) -> bytes:
    headers = ["编号", "兑换人", "商品", "数量", "积分", "状态", "下单时间", "领取期限", "办结时间"]
    rows = [
        [
            r.pk,
            r.account.holder_name,
            r.item.name,
            r.quantity,
            r.points,
            r.get_status_display(),
            _day(r.ordered_at),
            _day(r.expires_at),
            _day(r.resolved_at),
        ]
        for r in qs
    ]
    return workbook_bytes("积分兑换", headers, rows)


def accounts_export(qs: QuerySet) -> bytes:
    headers = ["账户", "姓名", "社区", "小区", "楼栋", "积分余额"]
    rows = [
        [
            a.pk,
            a.holder_name,
            a.community.name,
            a.compound.name if a.compound else "",
            a.building.name if a.building else "",
            a.balance,
        ]
        for a in qs
    ]
    return workbook_bytes("积分账户", headers, rows)
