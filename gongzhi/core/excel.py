"""Reading and writing `.xlsx` files: the generic part of registry import and export.

Errors come in two kinds, and callers see both as ``RowError`` rows:

* a problem with one cell is a ``RowError(row, column, reason)``: ``row`` is the row number
  the user sees in Excel (the header is row 1) and ``column`` the Chinese header name;
* a problem with the whole file (too big, not an ``.xlsx``, unreadable, no data, wrong headers)
  makes ``read_rows`` raise ``ExcelError``. It carries a list of ``RowError``: ``row`` 0 and
  ``column`` "" for file-level problems, ``row`` 1 and the header name for a missing or unknown
  column. Import functions turn it into an ``ImportResult`` with those errors, so views and
  commands have one error path.

The per-entity rules live in ``people/excel.py`` and ``partners/excel.py``; the only
database read here is ``import_community`` (which community an import is for).
"""

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.management import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gongzhi.places.models import Community

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_SHEET = "填写说明"
# A community has ~21,000 residents; more rows than this is not a registry file.
MAX_ROWS = 100_000
_ZIP_MAGIC = b"PK\x03\x04"
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_ASCII_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.xlsx$")
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


def import_community(user, community, *, permitted: bool):
    """The community an import writes into: the user's own, or ``community`` if they may.

    Staff import into their own community; superusers (and the ``system_user`` of management
    commands) must name one. Raises ``PermissionDenied`` when the user may not import there.
    """
    if not permitted:
        raise PermissionDenied(_("You may not import into the registry."))
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    own_id = profile.community_id_resolved if profile is not None else None
    if community is None:
        if own_id is None:
            raise ValueError("an import by a user without a community needs community=")
        return Community.objects.get(pk=own_id)
    if not isinstance(community, Community):
        community = Community.objects.get(pk=community)
    if not user.is_superuser and community.pk != own_id:
        raise PermissionDenied(_("You may only import into your own community."))
    return community


def import_page(
    request: HttpRequest,
    *,
    importer: Callable[..., ImportResult],
    permitted: bool,
    template: str,
    done_url: str,
    done_message: str,
) -> HttpResponse:
    """The upload page of an import: GET shows the form, POST imports the file.

    Errors are shown as a table (row, column, reason) with status 400 and nothing is written.
    Superusers, who have no community of their own, choose one on the form.
    """
    if not permitted:
        raise PermissionDenied
    communities = (
        Community.objects.select_related("subdistrict") if request.user.is_superuser else None
    )
    errors: list[RowError] = []
    if request.method == "POST":
        community = None
        if communities is not None:
            community_id = request.POST.get("community", "")
            community = (
                communities.filter(pk=community_id).first() if community_id.isdigit() else None
            )
            if community is None:
                errors.append(RowError(0, "", _("Choose the community to import into.")))
        upload = request.FILES.get("file")
        if upload is None:
            errors.append(RowError(0, "", _("Choose an .xlsx file to upload.")))
        if not errors:
            result = importer(upload, user=request.user, community=community)
            if result.ok:
                messages.success(request, done_message % {"count": result.created})
                return redirect(done_url)
            errors = result.errors
    context = {
        "errors": errors,
        "communities": communities,
        "max_size": settings.GONGZHI_MAX_UPLOAD_BYTES,
    }
    return render(request, template, context, status=400 if errors else 200)


def command_community(name: str | None) -> Community:
    """The community a management command works on: ``--community NAME``, or the only one."""
    if name:
        matches = list(Community.objects.filter(name=name)[:2])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CommandError(_("There is no community named %(name)s.") % {"name": name})
        raise CommandError(_("Several communities are named %(name)s.") % {"name": name})
    matches = list(Community.objects.all()[:2])
    if len(matches) == 1:
        return matches[0]
    raise CommandError(_("Say which community with --community NAME."))


class ImportCommand(BaseCommand):
    """``gongzhi import_<entity> FILE [--community NAME]``, run as the system with full rights."""

    importer: Callable[..., ImportResult]

    def add_arguments(self, parser):
        parser.add_argument("file", help="an .xlsx file with the template's Chinese headers")
        parser.add_argument("--community", help="community name (needed if there are several)")

    def handle(self, *args, file: str, community: str | None, **options):
        result = self.importer(
            Path(file), user=system_user(), community=command_community(community)
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(error.describe())
            raise CommandError(
                _("Nothing was imported: %(count)d errors.") % {"count": len(result.errors)}
            )
        self.stdout.write(_("Imported: %(count)d rows.") % {"count": result.created})


def system_user():
    """The acting user for management commands: full rights, like a superuser, never saved."""
    return get_user_model()(username="system", is_superuser=True, is_staff=True)


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


def _display_width(value) -> int:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    # CJK characters take two columns in Excel's default fonts.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _write_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: list[Sequence]):
    sheet = workbook.create_sheet(title)
    widths = [_display_width(header) for header in headers]
    for row in rows[:500]:
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
    for row in rows:
        sheet.append([_write_cell(sheet, value) for value in row])


def _write_cell(sheet, value):
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str) and value.startswith("="):
        # Text from users is never a formula (no =HYPERLINK(...) injection in exports).
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def workbook_bytes(
    title: str,
    headers: list[str],
    rows: Iterable[Sequence],
    *,
    notes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A one-sheet workbook (bold, frozen header row; columns sized to their content).

    ``notes`` adds a second sheet, 填写说明, with one (column, explanation) pair per line.
    """
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, title, headers, list(rows))
    if notes:
        _write_sheet(workbook, NOTES_SHEET, ["列", "说明"], list(notes))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    """Send ``content`` as a download; Chinese file names use RFC 5987 ``filename*``."""
    fallback = filename if _ASCII_NAME_RE.match(filename) else "export.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
