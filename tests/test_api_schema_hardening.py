"""Issue 12, defect 7, read straight from the OpenAPI schema (the fuzzer checks the answers
against it; this checks the schema itself): every operation documents 422 and, with an id in
its path, 404; no local time is documented with JSON Schema's ``time`` format (which demands an
offset); agenda items and shop items have schemas of their own."""

import json

import pytest

from gongzhi.api import api


@pytest.fixture(scope="module")
def schema() -> dict:
    return api.get_openapi_schema()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, {str(code) for code in operation["responses"]}


def test_every_operation_documents_422_and_404_with_an_id(schema):
    assert [(p, m) for p, m, codes in _operations(schema) if "422" not in codes] == []
    with_id = [(p, m) for p, m, codes in _operations(schema) if "{" in p and "404" not in codes]
    assert with_id == []


def test_no_time_of_day_demands_a_timezone(schema):
    text = json.dumps(schema)
    assert '"format": "time"' not in text
    agenda = schema["components"]["schemas"]
    starts = [
        props["start_time"]
        for props in (s.get("properties", {}) for s in agenda.values())
        if "start_time" in props
    ]
    assert starts and all("pattern" in start and "format" not in start for start in starts)


def test_agenda_and_shop_items_are_documented_with_their_own_schemas(schema):
    def response_refs(fragment: str) -> set[str]:
        refs = set()
        for path, operations in schema["paths"].items():
            if fragment not in path:
                continue
            for operation in operations.values():
                refs |= set(_refs(operation.get("responses", {}).get(200, {})))
        return refs

    agenda = response_refs("/meetings/items") | response_refs("/meetings/{meeting_id}/items")
    shop = response_refs("/points/items")
    assert any("AgendaItemOut" in ref for ref in agenda), agenda
    assert not any("Shop" in ref for ref in agenda), agenda
    assert any("ShopItemOut" in ref for ref in shop), shop
    assert not any("Agenda" in ref for ref in shop), shop
    assert "AgendaItemOut" in schema["components"]["schemas"]
    assert "ShopItemOut" in schema["components"]["schemas"]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
