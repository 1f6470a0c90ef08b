"""Reading and writing ``.xlsx``: the names registry imports and exports use.

Reading (parsing, row errors, all-or-nothing writes) is ``core.xlsx_read``; writing (streamed
workbooks, downloads) is ``core.xlsx_write``. This module gathers both so that
``from gongzhi.core.excel import workbook_bytes, read_rows`` keeps working.
"""

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
    workbook_file,
    write_workbook,
    xlsx_response,
)

# TRANSITIONAL (removed in this session once the importers are switched): the parts that read
# the place tree live in ``places.community_io``.
from gongzhi.places.community_io import (  # noqa: E402
    ImportCommand,
    command_community,
    import_community,
    import_page,
    system_user,
)

__all__ = [
    "MAX_ROWS",
    "NOTES_SHEET",
    "XLSX_CONTENT_TYPE",
    "ExcelError",
    "ImportCommand",
    "ImportResult",
    "Row",
    "RowError",
    "command_community",
    "import_community",
    "import_page",
    "parse_date",
    "read_rows",
    "split_names",
    "system_user",
    "workbook_bytes",
    "workbook_file",
    "write_all",
    "write_workbook",
    "xlsx_response",
]
