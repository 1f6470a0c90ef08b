"""Reading and writing ``.xlsx``: the names registry imports and exports use.

Reading (parsing, row errors, all-or-nothing writes) is ``core.xlsx_read``; writing (streamed
workbooks, downloads) is ``core.xlsx_write``. This module gathers both so that
``from gongzhi.core.excel import workbook_bytes, read_rows`` keeps working. Which community an
import or a command works on, and the upload page, read the place tree: they are in
``places.community_io``.
"""

from django.contrib.auth import get_user_model

from gongzhi.core.xlsx_read import (
    MAX_ROWS,
    ExcelError,
    ImportResult,
    Row,
    RowError,
    parse_date,
    read_rows,
    split_names,
    write_all,
)
from gongzhi.core.xlsx_write import (
    NOTES_SHEET,
    XLSX_CONTENT_TYPE,
    workbook_bytes,
    workbook_content,
    workbook_file,
    write_workbook,
    xlsx_response,
)


def system_user():
    """The acting user for management commands: full rights, like a superuser, never saved."""
    return get_user_model()(username="system", is_superuser=True, is_staff=True)


__all__ = [
    "MAX_ROWS",
    "NOTES_SHEET",
    "XLSX_CONTENT_TYPE",
    "ExcelError",
    "ImportResult",
    "Row",
    "RowError",
    "parse_date",
    "read_rows",
    "split_names",
    "system_user",
    "workbook_bytes",
    "workbook_content",
    "workbook_file",
    "write_all",
    "write_workbook",
    "xlsx_response",
]
