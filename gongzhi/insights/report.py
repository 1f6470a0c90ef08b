"""The annual report (社区治理年报) and the dashboard's export, from ``dashboard.figures``.

* ``workbook(result)``: an ``.xlsx`` with one sheet per section (the dashboard's export and
  the report's workbook are the same file).
* ``document(result)``: a ``.docx`` — title, scope and period, the paper's figures, the index
  and its dimensions, then every section as a table, with charts drawn by matplotlib (Agg
  backend) as PNG images. A CJK font (Noto Sans CJK) is used when installed, so Chinese labels
  render; without one, labels fall back to matplotlib's default font.
"""

import datetime as dt
import io
from functools import cache

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

REPORT_TITLE = "社区治理年报"
CJK_FONT_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei")


def _cell(value):
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or "sheet"
    name, n = base, 2
    while name in used:
        name = f"{base[:26]}{n}"
        n += 1
    used.add(name)
    return name


def workbook(result: dict) -> bytes:
    """One sheet per section: its headers (bold, frozen) and rows."""
    book = Workbook()
    summary = book.active
    summary.title = _("Scope")
    summary.append([_("Scope"), result["place_name"]])
    summary.append([_("From"), result["period"].since])
    summary.append([_("To"), result["period"].until])
    used = {summary.title}
    for section in result["sections"]:
        sheet = book.create_sheet(_sheet_title(section["title"], used))
        sheet.append([str(h) for h in section["headers"]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section["rows"]:
            sheet.append([_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        for index, _header in enumerate(section["headers"], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18 if index > 1 else 36
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@cache
def _font() -> str | None:
    """A CJK font matplotlib knows, or None (labels then use the default font)."""
    from matplotlib import font_manager

    names = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONT_NAMES:
        if name in names:
            return name
    return None


def chart_png(chart: dict, title: str) -> bytes | None:
    """A PNG of a section's chart, or None when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = _font()
    rc = {
        "font.family": [font, "sans-serif"] if font else ["sans-serif"],
        "axes.unicode_minus": False,
    }
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=110)
        try:
            kind = chart["kind"]
            if kind == "heatmap":
                values = chart["values"]
                if not values:
                    return None
                image = ax.imshow(values, aspect="auto", cmap="Reds")
                ax.set_xticks(
                    range(len(chart["x"])), chart["x"], rotation=30, ha="right", fontsize=7
                )
                ax.set_yticks(range(len(chart["y"])), chart["y"], fontsize=7)
                fig.colorbar(image, ax=ax)
            else:
                labels = chart["labels"]
                series = chart["series"]
                if not labels or not any(any(v for v in values) for values in series.values()):
                    return None
                if kind == "pie":
                    values = next(iter(series.values()))
                    pairs = [(label, v) for label, v in zip(labels, values, strict=True) if v]
                    ax.pie(
                        [v for _l, v in pairs],
                        labels=[lab for lab, _v in pairs],
                        autopct="%1.0f%%",
                        textprops={"fontsize": 8},
                    )
                    ax.axis("equal")
                elif kind == "line":
                    for name, values in series.items():
                        ax.plot(labels, values, marker="o", label=name)
                    ax.legend(fontsize=8)
                    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
                else:
                    width = 0.8 / len(series)
                    for i, (name, values) in enumerate(series.items()):
                        ax.bar(
                            [x + i * width for x in range(len(labels))],
                            values,
                            width=width,
                            label=name,
                        )
                    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
            ax.set_title(title, fontsize=10)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            return buffer.getvalue()
        finally:
            plt.close(fig)


def document(result: dict) -> bytes:
    """The annual report as a ``.docx``."""
    from docx import Document
    from docx.shared import Inches

    period = result["period"]
    doc = Document()
    doc.add_heading(REPORT_TITLE, level=0)
    doc.add_paragraph(
        _("%(place)s, %(since)s to %(until)s")
        % {
            "place": result["place_name"],
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
        }
    )
    index = next((s for s in result["sections"] if s["key"] == "index"), None)
    if index is not None:
        score = "—" if index["score"] is None else index["score"]
        doc.add_paragraph(_("Holistic-governance index: %(score)s") % {"score": score})
    for section in result["sections"]:
        doc.add_heading(str(section["title"]), level=1)
        if not section["rows"]:
            doc.add_paragraph(_("Nothing in this period."))
            continue
        table = doc.add_table(rows=1, cols=len(section["headers"]))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, section["headers"], strict=True):
            cell.text = str(header)
        for row in section["rows"]:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = "" if value is None else str(value)
        if section["chart"]:
            png = chart_png(section["chart"], str(section["title"]))
            if png:
                doc.add_picture(io.BytesIO(png), width=Inches(6))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def filename(result: dict, extension: str) -> str:
    period = result["period"]
    return f"{REPORT_TITLE}-{result['place_name']}-{period.since:%Y%m%d}-{period.until:%Y%m%d}.{extension}"
