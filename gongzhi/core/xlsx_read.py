"""Reading ``.xlsx`` files: the generic part of registry imports.

Errors come in two kinds, and callers see both as ``RowError`` rows:

* a problem with one cell is a ``RowError(row, column, reason)``: ``row`` is the row number
  the user sees in Excel (the header is row 1) and ``column`` the Chinese header name;
* a problem with the whole file (too big, not an ``.xlsx``, unreadable, no data, wrong headers)
  makes ``read_rows`` raise ``ExcelError``. It carries a list of ``RowError``: ``row`` 0 and
  ``column`` "" for file-level problems, ``row`` 1 and the header name for a missing or unknown
  column. Import functions turn it into an ``ImportResult`` with those errors, so views and
  commands have one error path.

The per-entity rules live in ``people/excel.py`` and ``partners/excel.py``; the pages and
commands around an import (which community it is for) in ``places/community_io.py``. Nothing
here reads the database.
"""

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook

# A community has ~21,000 residents; more rows than this is not a registry file.
MAX_ROWS = 100_000
_ZIP_MAGIC = b"PK\x03\x04"
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


class RowError(NamedTuple):
    row: int
    column: str
    reason: str

    def describe(self) -> str:
        """One line for a console or a log: "Row 3 [身份证号] check digit is wrong"."""
        if self.row == 0:
            return self.reason
        return _("Row %(row)d [%(column)s] %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ExcelError(Exception):
    """The file as a whole cannot be imported; ``errors`` says why."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(error.describe() for error in errors))

    @classmethod
    def file(cls, reason: str) -> "ExcelError":
        return cls([RowError(0, "", reason)])


class Row(NamedTuple):
    """One data row: its Excel row number and its values by header.

    Values are stripped strings ("" for an empty cell; whole numbers without ".0") or
    ``datetime.date`` for cells Excel stores as dates.
    """

    number: int
    values: dict[str, str | dt.date]

    def text(self, header: str) -> str:
        value = self.values.get(header, "")
        return value.isoformat() if isinstance(value, dt.date) else value


def write_all(write: Callable[[], None], *, created: int) -> ImportResult:
    """Run ``write`` in one transaction: everything is written, or nothing.

    Rows were checked against the database beforehand; a constraint can still fail if someone
    changed the registry meanwhile, and then the whole import is rolled back.
    """
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return ImportResult(
            errors=[
                RowError(
                    0,
                    "",
                    _(
                        "The registry changed while the file was being imported, so nothing "
                        "was imported. Please upload the file again."
                    ),
                )
            ]
        )
    return ImportResult(created=created)


def _cell_value(value) -> str | dt.date:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_name(value) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def _load_bytes(source) -> bytes:
    """The file's bytes, refusing anything over the upload limit before it is parsed."""
    limit = settings.GONGZHI_MAX_UPLOAD_BYTES
    too_big = ExcelError.file(
        _("The file is larger than %(size)s. Split it into smaller files.")
        % {"size": filesizeformat(limit)}
    )
    if isinstance(source, bytes | bytearray):
        if len(source) > limit:
            raise too_big
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > limit:
                raise too_big
            with path.open("rb") as handle:
                content = handle.read(limit + 1)
        except OSError as exc:
            raise ExcelError.file(
                _("The file cannot be read: %(error)s") % {"error": exc.strerror or exc}
            ) from exc
    elif isinstance(source, UploadedFile):
        if source.size is not None and source.size > limit:
            raise too_big
        source.seek(0)
        content = source.read(limit + 1)
    else:
        raise TypeError(f"cannot read an Excel file from {type(source).__name__}")
    if len(content) > limit:
        raise too_big
    return content


def read_rows(source, *, headers: list[str], required: set[str]) -> list[Row]:
    """Parse the first sheet of an ``.xlsx`` into ``Row``s, skipping fully empty rows.

    ``source`` is a path, bytes or a Django ``UploadedFile``. The header row (row 1) may use
    any subset of ``headers`` in any order, with stray whitespace, but must contain every
    header in ``required``. Raises ``ExcelError`` for anything wrong with the file as a whole.
    """
    content = _load_bytes(source)
    not_xlsx = _("The file is not an Excel .xlsx workbook. Save it as .xlsx and try again.")
    if not content.startswith(_ZIP_MAGIC):
        raise ExcelError.file(not_xlsx)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ExcelError.file(not_xlsx) from exc
    except Exception as exc:
        # openpyxl reports damaged parts with whatever its parsers raise (InvalidFileException,
        # XML ParseError, ValueError, TypeError …): every one means "unreadable workbook".
        raise ExcelError.file(
            _("The Excel file is damaged and cannot be read. Open and save it again in Excel.")
        ) from exc
    try:
        return _rows(workbook, headers=headers, required=required)
    except ExcelError:
        raise
    except Exception as exc:
        # Sheets are parsed lazily in read-only mode, so damage can surface while iterating.
        raise ExcelError.file(
            _("The Excel file is damaged and cannot be read. Open and save it again in Excel.")
        ) from exc
    finally:
        workbook.close()


def _rows(workbook, *, headers: list[str], required: set[str]) -> list[Row]:
    if not workbook.worksheets:
        raise ExcelError.file(_("The workbook has no sheets."))
    lines = workbook.worksheets[0].iter_rows(values_only=True)
    header_row = next(lines, None)
    names = [_header_name(value) for value in header_row or ()]
    if not any(names):
        raise ExcelError.file(_("The first row must hold the column headers."))
    errors = []
    seen: set[str] = set()
    for name in names:
        if not name:
            continue
        if name not in headers:
            errors.append(
                RowError(1, name, _("Unknown column; allowed columns are listed in the template."))
            )
        elif name in seen:
            errors.append(RowError(1, name, _("This column appears twice.")))
        seen.add(name)
    for name in headers:
        if name in required and name not in seen:
            errors.append(RowError(1, name, _("Required column is missing.")))
    if errors:
        raise ExcelError(errors)

    rows = []
    for number, line in enumerate(lines, start=2):
        if number > MAX_ROWS + 1:
            raise ExcelError.file(
                _("The file has more than %(count)d rows. Split it into smaller files.")
                % {"count": MAX_ROWS}
            )
        values = {
            name: _cell_value(value) for name, value in zip(names, line, strict=False) if name
        }
        if any(value != "" for value in values.values()):
            rows.append(Row(number, {name: values.get(name, "") for name in seen}))
    if not rows:
        raise ExcelError.file(_("The file has no data rows below the header."))
    return rows


def parse_date(value: str | dt.date) -> dt.date:
    """A date cell or text like 1960-05-17, 1960/5/17, 1960.5.17, 1960年5月17日 or 19600517."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError(text)
    return dt.date(*(int(part) for part in match.groups()))


def split_names(value: str) -> list[str]:
    """Names in one cell, separated by commas (half or full width), 、, semicolons or spaces."""
    return [name for name in _LIST_SEPARATORS.split(value) if name]
