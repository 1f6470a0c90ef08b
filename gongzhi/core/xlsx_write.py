"""Writing ``.xlsx`` files: every Excel export and template, streamed.

``write_workbook`` consumes the rows as they come (pass a generator over
``queryset.iterator(chunk_size=…)``) into an openpyxl write-only workbook, so memory does not
grow with the number of rows; ``workbook_file`` writes into a temporary file that
``xlsx_response`` sends as a file response, and ``workbook_bytes`` is the same workbook as
bytes (templates, small exports, tests).

Stored text is cleaned on the way out (``core.text.excel_safe``): a control character that
reached the database once never makes an export fail, and text that starts with ``=`` is
written as text, never as a formula.
"""

import datetime as dt
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gongzhi.core.text import excel_safe

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_SHEET = "填写说明"
# Column widths follow the header and the first rows; later rows are streamed unseen.
WIDTH_SAMPLE = 500
_ASCII_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.xlsx$")


def _display_width(value) -> int:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    # CJK characters take two columns in Excel's default fonts.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _write_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    sheet = workbook.create_sheet(title)
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    widths = [_display_width(header) for header in headers]
    for row in sample:
        for index, value in enumerate(row):
            if value is not None:
                widths[index] = max(widths[index], _display_width(value))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    append = sheet.append
    for row in itertools.chain(sample, rows):
        append([_write_cell(sheet, value) for value in row])


def _write_cell(sheet, value):
    if isinstance(value, str):
        value = excel_safe(value)
        if value.startswith("="):
            # Text from users is never a formula (no =HYPERLINK(...) injection in exports).
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def write_workbook(
    target: IO[bytes],
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    notes: Sequence[tuple[str, str]] = (),
) -> None:
    """Write a one-sheet workbook (bold, frozen header row; columns sized to the first rows)
    into ``target``, consuming ``rows`` one at a time.

    ``notes`` adds a second sheet, 填写说明, with one (column, explanation) pair per line.
    """
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, title, headers, rows)
    if notes:
        _write_sheet(workbook, NOTES_SHEET, ["列", "说明"], notes)
    workbook.save(target)


def workbook_file(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    notes: Sequence[tuple[str, str]] = (),
) -> IO[bytes]:
    """``write_workbook`` into a temporary file (deleted when closed), rewound for reading."""
    target = tempfile.TemporaryFile()
    try:
        write_workbook(target, title, headers, rows, notes=notes)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def workbook_bytes(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    notes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """``write_workbook`` as bytes."""
    buffer = io.BytesIO()
    write_workbook(buffer, title, headers, rows, notes=notes)
    return buffer.getvalue()


def xlsx_response(filename: str, content: bytes | IO[bytes]) -> HttpResponse:
    """Send ``content`` (bytes, or a file from ``workbook_file``, streamed and closed after)
    as a download; Chinese file names use RFC 5987 ``filename*``."""
    fallback = filename if _ASCII_NAME_RE.match(filename) else "export.xlsx"
    if isinstance(content, bytes | bytearray):
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    else:
        response = FileResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
