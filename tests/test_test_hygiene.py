"""The test suite's own rules: a test module never imports another test module (shared builders
live in tests/helpers.py, shared fixtures in tests/conftest.py), and the persona world is typed."""

import ast
import dataclasses
from pathlib import Path

import pytest

from tests.conftest import Personas, World

TESTS = Path(__file__).resolve().parent


def _imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [alias.name for alias in node.names]
            if node.level and module.startswith("test_"):
                found.append("." + module)
            elif module.startswith(("tests.test_", "tests.browser.test_")):
                found.append(module)
            elif module in ("tests", "tests.browser"):
                found += [f"{module}.{name}" for name in names if name.startswith("test_")]
        elif isinstance(node, ast.Import):
            found += [
                alias.name
                for alias in node.names
                if alias.name.startswith(("tests.test_", "tests.browser.test_"))
            ]
    return found


def test_no_test_module_imports_another():
    offenders = {
        str(path.relative_to(TESTS)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := _imported_test_modules(path))
    }
    assert offenders == {}


def test_the_check_sees_every_form_of_import(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text(
        "from tests.test_signup import sent_code\n"
        "from tests import test_maps as maps\n"
        "import tests.browser.test_map_browser\n"
        "from .test_todo import NOW\n"
        "from tests.helpers import PNG\n"
    )
    assert _imported_test_modules(module) == [
        "tests.test_signup",
        "tests.test_maps",
        "tests.browser.test_map_browser",
        ".test_todo",
    ]


@pytest.mark.parametrize("cls", [World, Personas])
def test_the_persona_world_is_typed(cls):
    fields = dataclasses.fields(cls)
    assert fields and all(field.type not in (None, "Any") for field in fields)
    with pytest.raises(TypeError):
        cls()  # every attribute is required: none can be forgotten
