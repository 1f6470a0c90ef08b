"""Text as people type it: control characters never reach the database or an export.

``clean_text`` keeps tabs and line breaks and drops every other C0/C1 control character (and
the DEL character). Forms and API schemas clean free text at the door with it; exports clean
stored text again (``excel_safe``) so that old rows never break a workbook.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value) if value else value


#: A pydantic/ninja string type that arrives cleaned: ``description: CleanStr``.
CleanStr = Annotated[str, AfterValidator(clean_text)]


def excel_safe(value):
    """A value for a spreadsheet cell: text without control characters (openpyxl refuses them,
    and one stored before the door was closed must not break every export), anything else as
    it is."""
    return _CONTROL.sub("", value) if isinstance(value, str) and value else value
