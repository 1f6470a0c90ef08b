"""The two GeoReport v2 formats: the same Python value rendered as JSON or as XML.

A value is a list of dicts (the spec's answers are lists: services, requests, errors) or one
dict (discovery, a service definition). XML needs a root element and, for every list, the name
of one item: ``ITEM_TAGS`` maps the spec's list names to their items' tags.
"""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from gongzhi.core.services import ServiceError

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ET.Element, value, tag: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item, key)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_TAGS[tag]), item, ITEM_TAGS[tag])
    else:
        element.text = _text(value)


def to_xml(value, root: str) -> bytes:
    element = ET.Element(root)
    _fill(element, value, root)
    # The spec asks for this exact declaration (ElementTree would write encoding='utf-8').
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


class Open311Error(ServiceError):
    """A refused call, answered in the spec's error format with HTTP ``status`` (the key API
    answers it as any ``core.services.ServiceError``). ``code`` is a stable name for logs and
    the key API; ``description`` (= ``message``) is translated."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(code, str(description), status)
        self.description = self.message


def render(value, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """``root`` names the XML document element (``services``, ``service_requests`` …)."""
    if fmt == "xml":
        body = to_xml(value, root)
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, *, status: int, description: str) -> HttpResponse:
    """The spec's error list: ``[{"code": 404, "description": ...}]`` / ``<errors><error>``."""
    return render([{"code": status, "description": description}], fmt, root="errors", status=status)
