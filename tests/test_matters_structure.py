"""How the matters app hangs together: one-way imports (meetings depends on matters, never the
reverse; routing and selectors only read), one error class on the shared base, the merge's
locks in primary-key order and deliberation reaching meetings through a signal."""

import ast
from pathlib import Path

import pytest

from gongzhi.core.services import ServiceError
from gongzhi.matters import services as s
from gongzhi.matters.errors import MatterError
from gongzhi.matters.models import Status
from gongzhi.matters.signals import matter_deliberating
from tests.factories_matters import make_matter

MATTERS = Path(s.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_matters_never_imports_meetings():
    for path in MATTERS.rglob("*.py"):
        meetings = {m for m in imported_modules(path) if m.startswith("gongzhi.meetings")}
        assert not meetings, f"{path.relative_to(MATTERS)} imports {meetings}"


@pytest.mark.parametrize("module", ["routing", "selectors", "rules", "errors", "place"])
def test_reads_never_import_the_services(module):
    imports = imported_modules(MATTERS / f"{module}.py")
    assert not any(m.startswith("gongzhi.matters.services") for m in imports), imports


def test_one_error_class_on_the_shared_base():
    assert issubclass(MatterError, ServiceError)
    assert s.MatterError is MatterError
    assert MatterError("forbidden", "x").status == 403
    assert MatterError("not_reporter", "x").status == 403
    assert MatterError("bad_state", "x").status == 409
    assert MatterError("too_early", "x").status == 409
    assert MatterError("invalid_text", "x").status == 400


def test_merge_locks_the_two_matters_in_primary_key_order(world, monkeypatch):
    first = make_matter(building=world.y1)
    second = make_matter(building=world.y1, text="1栋电梯又坏了")
    order = []
    real = s.flow.locked

    def recording(matter):
        order.append(matter.pk)
        return real(matter)

    monkeypatch.setattr(s.flow, "locked", recording)
    # The duplicate has the higher key: still the lower one is locked first.
    s.matter_merge(actor=world.users.staff_a, matter=second, into=first)
    assert order == [first.pk, second.pk]
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first

    order.clear()
    third = make_matter(building=world.y1, text="电梯坏了")
    s.matter_merge(actor=world.users.staff_a, matter=first, into=third)
    assert order == [first.pk, third.pk]


def test_deliberation_sends_the_signal_inside_the_transition(world):
    matter = make_matter(building=world.y1, tier="big", status=Status.ASSIGNED)
    heard = []

    def receiver(sender, *, actor, matter, now=None, **kwargs):
        heard.append((actor, matter.pk, matter.status))

    matter_deliberating.connect(receiver)
    try:
        s.matter_deliberate(actor=world.users.staff_a, matter=matter)
    finally:
        matter_deliberating.disconnect(receiver)
    assert heard == [(world.users.staff_a, matter.pk, Status.DELIBERATING)]
    # Meetings' receiver proposed the agenda item (meetings.receivers).
    assert matter.agenda_items.count() == 1


def test_a_receiver_that_refuses_rolls_the_deliberation_back(world):
    matter = make_matter(building=world.y1, tier="big", status=Status.ASSIGNED)

    def refusing(sender, **kwargs):
        raise MatterError("no_meeting", "不行")

    matter_deliberating.connect(refusing)
    try:
        with pytest.raises(MatterError):
            s.matter_deliberate(actor=world.users.staff_a, matter=matter)
    finally:
        matter_deliberating.disconnect(refusing)
    matter.refresh_from_db()
    assert matter.status == Status.ASSIGNED and not matter.events.exists()
