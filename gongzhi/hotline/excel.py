"""``hotline_import``: the spreadsheet of work orders many districts exchange (docs/hotline.md).

All or nothing: every row is checked first (a bad row names its row and column, in Chinese),
then every order is written in one transaction. Importing the same file again changes nothing;
a known order number with different content is refused. Rows whose callback columns (回访结果)
are filled bring the hotline's callback for orders the community already replied to; rows whose
extension columns (延期审批) are filled bring its decision on a pending extension request.

The column headers are the district's: ``DEFAULT_COLUMNS`` maps each field to its usual header,
and a JSON mapping file (``--mapping``) replaces any of them, e.g. ``{"order_no": "工单号"}``.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.excel import ExcelError, Row, RowError, read_rows
from gongzhi.hotline import services
from gongzhi.hotline.models import HotlineOrder, OrderAction, OrderStatus
from gongzhi.places.models import Community

DEFAULT_COLUMNS = {
    "order_no": "工单编号",
    "kind": "诉求类型",
    "text": "诉求内容",
    "address": "诉求地址",
    "caller_name": "来电人",
    "caller_phone": "联系电话",
    "dispatching_unit": "派单单位",
    "dispatched_at": "派单时间",
    "urgency": "紧急程度",
    "hotline_category": "热线分类",
    "satisfaction": "回访结果",
    "solved": "是否解决",
    "callback_note": "回访说明",
    "extension_decision": "延期审批",
    "extension_due": "批准延期至",
    "extension_note": "审批说明",
}
REQUIRED = ("order_no", "kind", "text")
# Which column a refusal of ``services.clean_order`` is about.
_ERROR_FIELDS = {
    "invalid_order_no": "order_no",
    "invalid_kind": "kind",
    "invalid_text": "text",
    "invalid_phone": "caller_phone",
    "invalid_urgency": "urgency",
    "invalid_satisfaction": "satisfaction",
}
_DATETIME_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?)?$"
)
_YES = {"是": True, "已解决": True, "否": False, "未解决": False, "": None}
_GRANTED = {
    "同意": True,
    "批准": True,
    "通过": True,
    "不同意": False,
    "不批准": False,
    "驳回": False,
}


class MappingError(Exception):
    pass


def load_mapping(path: str | Path | None) -> dict[str, str]:
    """The column headers: the defaults with the mapping file's replacements."""
    if path is None:
        return dict(DEFAULT_COLUMNS)
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MappingError(
            _("The mapping file cannot be read as JSON: %(error)s") % {"error": exc}
        ) from exc
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise MappingError(_("The mapping file must be a JSON object of field → column header."))
    unknown = sorted(set(given) - set(DEFAULT_COLUMNS))
    if unknown:
        raise MappingError(
            _("Unknown fields in the mapping file: %(fields)s; known fields: %(known)s")
            % {"fields": ", ".join(unknown), "known": ", ".join(DEFAULT_COLUMNS)}
        )
    mapping = {**DEFAULT_COLUMNS, **{k: v.strip() for k, v in given.items()}}
    if len(set(mapping.values())) != len(mapping):
        raise MappingError(_("Two fields of the mapping file use the same column header."))
    return mapping


def parse_datetime(value) -> dt.datetime | None:
    """A dispatch time written as text (2025-03-01 09:30, 2025/3/1 9:30:00, 2025年3月1日 9时30分).

    An Excel date cell reaches us as a date without its time (``core.excel`` reads dates
    only), and a date alone cannot start an hours-long deadline: both give None, and the
    deadlines start when the order is received.
    """
    if isinstance(value, dt.date) or not value:
        return None
    match = _DATETIME_RE.match(value.strip())
    if not match or match.group(4) is None:
        raise ValueError(value)
    parts = [int(part) if part else 0 for part in match.groups()]
    return dt.datetime(*parts, tzinfo=timezone.get_current_timezone())


@dataclass
class Callback:
    satisfaction: str
    solved: bool | None
    note: str


@dataclass
class Decision:
    approved: bool
    new_due: dt.datetime | None
    note: str

    def is_recorded(self, order: HotlineOrder) -> bool:
        """The order's latest extension decision is this one: the file was imported before."""
        last = (
            order.events.filter(
                action__in=(OrderAction.EXTENSION_GRANT, OrderAction.EXTENSION_REFUSE)
            )
            .order_by("-at", "-id")
            .first()
        )
        if last is None or last.action != (
            OrderAction.EXTENSION_GRANT if self.approved else OrderAction.EXTENSION_REFUSE
        ):
            return False
        return not self.approved or last.data.get("new_due") == self.new_due.isoformat()


@dataclass
class Planned:
    row: int
    data: services.OrderIn
    callback: Callback | None
    decision: Decision | None = None


@dataclass
class HotlineImportResult:
    created: int = 0
    unchanged: int = 0
    callbacks: int = 0
    decisions: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_row(row: Row, mapping: dict[str, str]) -> tuple[Planned | None, list[RowError]]:
    errors = []

    def text(name: str) -> str:
        return row.text(mapping[name]) if mapping[name] in row.values else ""

    def fail(name: str, reason: str) -> None:
        errors.append(RowError(row.number, mapping[name], reason))

    dispatched_at = None
    try:
        dispatched_at = parse_datetime(row.values.get(mapping["dispatched_at"], ""))
    except ValueError:
        fail("dispatched_at", _("Write a date and time such as 2025-03-01 09:30."))
    callback = None
    if text("satisfaction"):
        solved = _YES.get(text("solved"), "bad")
        if solved == "bad":
            fail("solved", _("Write 是 or 否."))
        try:
            satisfaction = services.parse_satisfaction(text("satisfaction"))
            callback = Callback(satisfaction, solved, text("callback_note"))
        except services.HotlineError as exc:
            fail("satisfaction", exc.message)
    decision = None
    if text("extension_decision"):
        approved = _GRANTED.get(text("extension_decision"))
        if approved is None:
            fail("extension_decision", _("Write 同意 or 不同意."))
        new_due = None
        try:
            new_due = parse_datetime(row.values.get(mapping["extension_due"], ""))
        except ValueError:
            fail("extension_due", _("Write a date and time such as 2025-03-01 09:30."))
        if approved and new_due is None:
            fail("extension_due", _("A granted extension needs the new reply deadline."))
        decision = Decision(bool(approved), new_due, text("extension_note"))
    try:
        data = services.clean_order(
            services.OrderIn(
                order_no=text("order_no"),
                kind=text("kind"),
                text=text("text"),
                address=text("address"),
                caller_name=text("caller_name"),
                caller_phone=text("caller_phone"),
                dispatching_unit=text("dispatching_unit"),
                dispatched_at=dispatched_at,
                urgency=text("urgency"),
                hotline_category=text("hotline_category"),
            )
        )
    except services.HotlineError as exc:
        fail(_ERROR_FIELDS.get(exc.code, "order_no"), exc.message)
        return None, errors
    return (Planned(row.number, data, callback, decision) if not errors else None), errors


def _check_against_known(plan: list[Planned], community: Community, mapping) -> list[RowError]:
    """Reused numbers (in the file or in the database) and callbacks nobody may give yet."""
    errors = []
    seen: dict[str, Planned] = {}
    known = {
        order.order_no: order
        for order in HotlineOrder.objects.filter(
            hotline__in={p.data.hotline for p in plan},
            order_no__in=[p.data.order_no for p in plan],
        )
    }
    column = mapping["order_no"]
    for item in plan:
        digest = item.data.digest(community.pk)
        first = seen.setdefault(item.data.order_no, item)
        if first is not item and first.data.digest(community.pk) != digest:
            errors.append(
                RowError(
                    item.row,
                    column,
                    _("The same order number is on row %(row)d with different content.")
                    % {"row": first.row},
                )
            )
        order = known.get(item.data.order_no)
        if order is not None and order.content_digest != digest:
            errors.append(RowError(item.row, column, services.conflict_error(item.data).message))
        if item.callback is not None and (
            order is None or order.status not in (OrderStatus.REPLIED, OrderStatus.CLOSED)
        ):
            errors.append(
                RowError(
                    item.row,
                    mapping["satisfaction"],
                    _("Only an order the community replied to can have a callback result."),
                )
            )
        if item.decision is not None:
            errors += _check_decision(item, order, mapping)
    return errors


def _check_decision(item: Planned, order: HotlineOrder | None, mapping) -> list[RowError]:
    """A decision needs a pending request (or is the one already recorded: a re-import), and a
    granted one a deadline later than the current one."""
    pending = order is not None and order.status == OrderStatus.EXTENSION_REQUESTED
    if not pending and (order is None or not item.decision.is_recorded(order)):
        message = _("This order has no pending extension request to decide on.")
        return [RowError(item.row, mapping["extension_decision"], message)]
    if pending and item.decision.approved and item.decision.new_due <= order.reply_due_at:
        message = _("A granted extension needs a new reply deadline later than the current one.")
        return [RowError(item.row, mapping["extension_due"], message)]
    return []


def import_orders(
    source, *, community: Community, actor=None, mapping: dict[str, str] | None = None
) -> HotlineImportResult:
    mapping = mapping or dict(DEFAULT_COLUMNS)
    try:
        rows = read_rows(
            source,
            headers=list(mapping.values()),
            required={mapping[name] for name in REQUIRED},
        )
    except ExcelError as exc:
        return HotlineImportResult(errors=exc.errors)
    plan, errors = [], []
    for row in rows:
        planned, row_errors = _parse_row(row, mapping)
        errors += row_errors
        if planned is not None:
            plan.append(planned)
    errors += _check_against_known(plan, community, mapping)
    if errors:
        return HotlineImportResult(errors=sorted(errors, key=lambda e: (e.row, e.column)))
    result = HotlineImportResult()
    current = 0
    try:
        with transaction.atomic():
            for item in plan:
                current = item.row
                order, created = services.order_receive(
                    community=community, data=item.data, actor=actor
                )
                if created:
                    result.created += 1
                else:
                    result.unchanged += 1
                if item.callback is not None:
                    _order, changed = services.order_callback(
                        order=order,
                        satisfaction=item.callback.satisfaction,
                        solved=item.callback.solved,
                        note=item.callback.note,
                    )
                    result.callbacks += int(changed)
                if item.decision is not None and order.status == OrderStatus.EXTENSION_REQUESTED:
                    services.order_extension_decide(
                        order=order,
                        approved=item.decision.approved,
                        new_due=item.decision.new_due,
                        note=item.decision.note,
                    )
                    result.decisions += 1
    except services.HotlineError as exc:
        return HotlineImportResult(errors=[RowError(current, "", exc.message)])
    return result
