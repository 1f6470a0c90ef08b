"""``assert_no_walls(html)``: no page a person uses daily may carry a wall of options.

A ``<select>`` of more than 200 options or a form with more than 100 checkboxes is a wall: use
the type-ahead picker (docs/pickers.md) or paginate instead.
"""

from html.parser import HTMLParser

MAX_OPTIONS = 200
MAX_CHECKBOXES = 100


class _Walls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.selects: list[tuple[str, int]] = []
        self.forms: list[tuple[str, int]] = []
        self._select = None
        self._form = None
        self._outside = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = [attrs.get("name") or attrs.get("id") or "?", 0]
            self.selects.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[1] += 1
        elif tag == "form":
            self._form = [attrs.get("action") or attrs.get("id") or "?", 0]
            self.forms.append(self._form)
        elif tag == "input" and (attrs.get("type") or "").lower() == "checkbox":
            if self._form is not None:
                self._form[1] += 1
            else:
                self._outside += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def assert_no_walls(html) -> None:
    """Fail when a select holds more than 200 options or a form more than 100 checkboxes
    (checkboxes outside any form count together, as one page-wide group)."""
    if isinstance(html, bytes):
        html = html.decode()
    parser = _Walls()
    parser.feed(html)
    for name, count in parser.selects:
        assert count <= MAX_OPTIONS, f"<select {name}> has {count} options (max {MAX_OPTIONS})"
    for action, count in parser.forms:
        assert count <= MAX_CHECKBOXES, f"form {action} has {count} checkboxes"
    assert parser._outside <= MAX_CHECKBOXES, f"{parser._outside} checkboxes outside any form"
