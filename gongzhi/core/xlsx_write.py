"""Writing ``.xlsx`` files: every Excel export and template, streamed.

``write_workbook`` consumes the rows as they come (pass a generator over
``queryset.iterator(chunk_size=…)``) and writes each one straight into the sheet's XML inside
the zip file, so memory does not grow with the number of rows; ``workbook_file`` writes into
a temporary file and ``workbook_bytes`` returns the bytes; ``xlsx_response`` sends either.

The sheets are written here, not through openpyxl: its write-only mode builds a cell object
and an XML element per value, and that alone took about two seconds for a community's 21,000
residents (11 columns; ``bench/exports.py``, docs/performance.md). The format written is the
small part of SpreadsheetML a list needs, and openpyxl and Excel read it (the tests read every
export back with openpyxl): a bold, frozen header row, columns sized to the header and the
first ``WIDTH_SAMPLE`` rows, text as inline strings (never a formula, so text that starts with
``=`` stays text), numbers, booleans, and dates as dates (``yyyy-mm-dd``).

Stored text is cleaned on the way out (``core.text.excel_safe``): a control character that
reached the database once never makes an export fail.
"""

import datetime as dt
import io
import itertools
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.http import FileResponse, HttpResponse
from openpyxl.utils import get_column_letter

from gongzhi.core.text import excel_safe

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_SHEET = "填写说明"
# Column widths follow the header and the first rows; later rows are streamed unseen.
WIDTH_SAMPLE = 500
# What excel_safe removes or XML escapes: most values have none of it and are written as they are.
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# How many distinct texts one sheet keeps ready-made.
_TEXT_MEMO = 20_000
_ASCII_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.xlsx$")
_EPOCH = dt.date(1899, 12, 30)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles: 0 plain, 1 bold (the header), 2 a date shown as yyyy-mm-dd.
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_FROZEN_HEADER = (
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
)


def _display_width(value) -> int:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    # CJK characters take two columns in Excel's default fonts.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _text_tail(value: str, style: str = "") -> str:
    """An inline-string cell after its ``<c r="…"``: cleaned (``excel_safe``), escaped, and
    with its leading or trailing spaces kept."""
    if _NEEDS_CARE.search(value):
        value = escape(excel_safe(value))
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _text(ref: str, value: str, style: str = "") -> str:
    return f'<c r="{ref}"{_text_tail(value, style)}'


def _cell(ref: str, value) -> str:
    """One ``<c>`` element ("" for an empty cell)."""
    if value is None or value == "":
        return ""
    kind = type(value)
    if kind is str:
        return _text(ref, value)
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is int or kind is float or kind is Decimal:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.datetime):
        moment = value.time()
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
        serial = (value.date() - _EPOCH).days + seconds / 86400
        return f'<c r="{ref}" s="2"><v>{serial}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="2"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return _text(ref, str(value))


def _widths(headers: Sequence[str], sample: list[Sequence]) -> list[int]:
    widths = [_display_width(header) for header in headers]
    for row in sample:
        for index, value in enumerate(row):
            if value is not None:
                widths[index] = max(widths[index], _display_width(value))
    return [min(width + 2, 60) for width in widths]


def _write_sheet(out: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(_widths(headers, sample), start=1)
    )
    width = max(len(headers), max((len(row) for row in sample), default=0))
    letters = [get_column_letter(n) for n in range(1, width + 1)]
    out.write(
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{_FROZEN_HEADER}'
        f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
        "<sheetData>".encode()
    )
    header = "".join(
        _text(f"{letter}1", str(name), ' s="1"')
        for letter, name in zip(letters, headers, strict=False)
    )
    out.write(f'<row r="1">{header}</row>'.encode())
    # A text cell's XML after its reference, kept for the values that repeat (compounds,
    # buildings, labels); bounded, so memory does not grow with the rows.
    texts: dict[str, str] = {}
    chunk: list[str] = []
    for number, row in enumerate(itertools.chain(sample, rows), start=2):
        if len(row) > len(letters):
            letters.extend(get_column_letter(n) for n in range(len(letters) + 1, len(row) + 1))
        cells = [f'<row r="{number}">']
        for letter, value in zip(letters, row, strict=False):
            if type(value) is str:
                if not value:
                    continue
                tail = texts.get(value)
                if tail is None:
                    tail = _text_tail(value)
                    if len(texts) < _TEXT_MEMO:
                        texts[value] = tail
                cells.append(f'<c r="{letter}{number}"{tail}')
            elif value is not None:
                cells.append(_cell(f"{letter}{number}", value))
        cells.append("</row>")
        chunk.append("".join(cells))
        if len(chunk) == 1000:
            out.write("".join(chunk).encode())
            chunk.clear()
    out.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def _sheet_name(title: str) -> str:
    return escape(
        "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet", {'"': "&quot;"}
    )


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
    sheets = [(title, headers, rows)]
    if notes:
        sheets.append((NOTES_SHEET, ["列", "说明"], notes))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n, (_title, sheet_headers, sheet_rows) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as out:
                _write_sheet(out, sheet_headers, sheet_rows)
        numbers = range(1, len(sheets) + 1)
        archive.writestr(
            "[Content_Types].xml",
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in numbers
            )
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(
                f'<sheet name="{_sheet_name(sheet_title)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, (sheet_title, _h, _r) in zip(numbers, sheets, strict=True)
            )
            + "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in numbers
            )
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        archive.writestr("xl/styles.xml", _STYLES)


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


def workbook_content(workbook: bytes | IO[bytes]) -> bytes:
    """The bytes of a workbook from ``workbook_bytes`` or ``workbook_file`` (read, then closed)."""
    if isinstance(workbook, bytes | bytearray):
        return bytes(workbook)
    with workbook:
        workbook.seek(0)
        return workbook.read()


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
