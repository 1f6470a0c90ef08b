"""The quarterly feedback letter per reporting unit (为单位反馈报到表现), as .xlsx or .docx.

One letter per unit: the unit's registered in-service members, each with the confirmed service
hours and the posts and wishes they took on in the quarter. The workbook has one sheet with a
row per member (the unit in the first column) so it can be filtered; the document has one page
per unit, ready to print and stamp.
"""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from gongzhi.core.excel import workbook_bytes

HEADERS = ["报到单位", "姓名", "报到日期", "服务时长（小时）", "认领岗位与心愿"]


def _rows(feedbacks):
    for item in feedbacks:
        for line in item.lines:
            yield [
                item.unit.organisation.name,
                line.name,
                line.registered_on,
                line.hours,
                "；".join(line.claims),
            ]


def workbook(community, quarter: str, feedbacks) -> bytes:
    return workbook_bytes(f"{quarter}双报到反馈", HEADERS, _rows(feedbacks))


def document(community, quarter: str, feedbacks) -> bytes:
    doc = Document()
    doc.styles["Normal"].font.size = Pt(12)
    for number, item in enumerate(feedbacks):
        if number:
            doc.add_page_break()
        heading = doc.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run("在职党员到社区报到表现反馈函")
        run.bold, run.font.size = True, Pt(18)
        doc.add_paragraph(f"{item.unit.organisation.name}：")
        doc.add_paragraph(
            f"贵单位共有{len(item.lines)}名在职党员到{community.name}报到。{quarter[:4]}年第"
            f"{quarter[-1]}季度，其中{item.active}人参加社区服务，累计服务{item.total_hours:g}小时。"
            "具体情况如下："
        )
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, HEADERS[1:], strict=True):
            cell.text = title
        for line in item.lines:
            cells = table.add_row().cells
            cells[0].text = line.name
            cells[1].text = line.registered_on.isoformat()
            cells[2].text = f"{line.hours:g}"
            cells[3].text = "；".join(line.claims) or "—"
        closing = doc.add_paragraph(f"{community.name}党委（盖章）")
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if not feedbacks:
        doc.add_paragraph(f"{community.name}{quarter}没有报到单位。")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
