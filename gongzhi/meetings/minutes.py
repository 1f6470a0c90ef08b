"""Minutes (会议纪要) generated from the record, as data for the print page and as a .docx in
the layout a residents' committee uses: 会议名称, 时间, 地点, 主持人, 记录人, 参会人员, then for
every item 议题, 讨论情况, 表决结果, 决议事项, 责任人, 完成时限.

The Chinese headings are the document's contract (like Excel column headers), not UI text.
"""

import io
from dataclasses import dataclass

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from gongzhi.meetings.models import Decision, Meeting, Method, Outcome
from gongzhi.pickers.selectors import user_label


@dataclass
class ItemMinutes:
    title: str
    discussion: str
    result: str
    decision: str
    owners: str
    deadlines: str


@dataclass
class Minutes:
    title: str
    time: str
    place: str
    chair: str
    recorder: str
    attendees: str
    absent: str
    items: list[ItemMinutes]
    closed: bool


def _person(user) -> str:
    return user_label(user) if user else ""


def _result(decision: Decision | None) -> str:
    if decision is None:
        return "未表决"
    if decision.method == Method.CONSENSUS:
        return "协商一致通过"
    outcome = "通过" if decision.outcome == Outcome.ADOPTED else "未通过"
    rule = "三分之二多数" if decision.majority == "two_thirds" else "简单多数"
    return (
        f"应到{decision.voters_total}人，实到{decision.voters_present}人；"
        f"赞成{decision.votes_for}票，反对{decision.votes_against}票，"
        f"弃权{decision.votes_abstain}票（{rule}），{outcome}"
    )


def minutes_for(meeting: Meeting) -> Minutes:
    participants = list(meeting.participants.all())
    items = []
    for item in meeting.items.prefetch_related(
        "decisions__actions__partner",
        "decisions__actions__team",
        "decisions__actions__organisation",
    ).order_by("position", "id"):
        decisions = list(item.decisions.all())
        corrected = {d.corrects_id for d in decisions if d.corrects_id}
        current = [d for d in decisions if d.pk not in corrected]
        decision = current[-1] if current else None
        actions = [a for d in decisions for a in d.actions.all()]
        text = decision.text if decision else ""
        if decision and decision.corrects_id:
            text += f"（更正：{decision.correction_reason}）"
        items.append(
            ItemMinutes(
                title=item.title,
                discussion="\n".join(x for x in (item.notes, item.options) if x),
                result=_result(decision),
                decision="\n".join([text, *(f"{a.title}" for a in actions)]).strip(),
                owners="、".join(str(a.owner) for a in actions),
                deadlines="、".join(f"{a.due_on:%Y年%m月%d日}" for a in actions),
            )
        )
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    venue = meeting.venue.name if meeting.venue_id else meeting.scope_label
    return Minutes(
        title=meeting.title,
        time=f"{start:%Y年%m月%d日 %H:%M}—{end:%H:%M}",
        place=venue,
        chair=_person(meeting.convenor),
        recorder=_person(meeting.recorder),
        attendees="、".join(p.name for p in participants if p.attended),
        absent="、".join(p.name for p in participants if not p.attended),
        items=items,
        closed=meeting.is_closed,
    )


def minutes_docx(minutes: Minutes) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(12)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(f"{minutes.title}会议纪要")
    run.bold, run.font.size = True, Pt(18)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in (
        ("会议名称", minutes.title),
        ("时间", minutes.time),
        ("地点", minutes.place),
        ("主持人", minutes.chair),
        ("记录人", minutes.recorder),
        ("参会人员", minutes.attendees),
        ("缺席人员", minutes.absent or "无"),
    ):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    for number, item in enumerate(minutes.items, start=1):
        document.add_heading(f"议题{number}：{item.title}", level=2)
        grid = document.add_table(rows=0, cols=2)
        grid.style = "Table Grid"
        for label, value in (
            ("议题", item.title),
            ("讨论情况", item.discussion),
            ("表决结果", item.result),
            ("决议事项", item.decision),
            ("责任人", item.owners),
            ("完成时限", item.deadlines),
        ):
            cells = grid.add_row().cells
            cells[0].text, cells[1].text = label, value
    if not minutes.closed:
        document.add_paragraph("（会议尚未结束，本纪要为草稿）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
