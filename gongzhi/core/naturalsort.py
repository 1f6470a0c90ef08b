"""Natural order for place names: 第二网格 before 第十二网格, 2栋 before 10栋.

Databases sort names by character code, which puts 第七 before 第三 and 10栋 before 2栋. Places
are few per page (a community has a dozen grids and a hundred buildings), so lists sort them in
Python with ``natural_key`` after the query.
"""

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# A run of Arabic digits, or of Chinese numerals that starts with a digit or with 十 (十二);
# a lone 百/千/万 is a word (万科), not a number.
_NUMBER = re.compile(r"\d+|[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*")


def chinese_number(text: str) -> int:
    """The value of a run of Chinese numerals: 十二 → 12, 二十 → 20, 一百零五 → 105, and
    digit by digit when there is no unit (二〇二六 → 2026)."""
    if not any(ch in _UNITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = section = digit = 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            # 十 without a digit before it means 一十 (十二 is twelve).
            section += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + section + digit


def natural_key(name: str) -> tuple:
    """A sort key that compares the numbers inside ``name`` by value, the rest as text."""
    key: list[tuple[int, int, str]] = []
    position = 0
    for match in _NUMBER.finditer(name or ""):
        if match.start() > position:
            key.append((1, 0, name[position : match.start()]))
        run = match.group()
        value = int(run) if run.isdigit() else chinese_number(run)
        key.append((0, value, ""))
        position = match.end()
    if position < len(name or ""):
        key.append((1, 0, name[position:]))
    return tuple(key)


def natural_sorted(rows: Iterable[T], name: Callable[[T], str] = str) -> list[T]:
    """``rows`` in natural order of ``name(row)`` (the row's ``str`` by default)."""
    return sorted(rows, key=lambda row: natural_key(name(row)))
