"""The apps' import graph, read from the source (no import is executed).

Every ``import`` and ``from … import`` of a ``gongzhi`` module counts, at module level and
inside functions alike: a function-level import is still a dependency, only a later one. An
app is a package ``gongzhi.<name>``; the project's wiring (``gongzhi.settings``,
``gongzhi.urls``, ``gongzhi.api``) is not an app and may import every app.

* no cycle between apps: when A imports B, B never imports A, directly or through others. There
  is no known exception: any cycle fails the test;
* every import between apps points down ``LAYERS`` (an app imports only the apps before it), so
  the list is the real layering; a new app, or an import that needs another order, updates it;
* ``gongzhi.core`` is a leaf: it imports no other app;
* selectors (pure reads) never import services (writes).

Apps above lend a lower one what it shows through a list the lower one declares and the higher
one appends to from ``AppConfig.ready``: ``maps.selectors.LAYER_SOURCES``,
``pickers.selectors.LOAD``, ``insights.rollup.STEPS``, ``listing.pages.EXPORT_RECORDERS``
(audit records every list export), ``notifications.selectors.PHONE_SOURCES`` (accounts'
numbers), ``people.views.RESIDENT_SECTIONS`` (partners) and ``places.views.BUILDING_SECTIONS``
and ``UNIT_SECTIONS`` (people's households, partners). The visibility rules and the roles live
in ``core.scope`` and ``core.roles``; the list page toolkit is ``gongzhi.listing`` (below
audit); a page that reads a higher app lives in that app (the matters dashboard is
``insights.views_matters``, scan-to-report is ``matters.scan``), and so does an API endpoint (a
building with its households is ``people.api.places_router``, mounted at ``/places``).

``KNOWN_SELECTORS_IMPORTING_SERVICES``: selectors modules still importing services (none left;
each entry must still exist, so the list only shrinks).
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gongzhi"

# The layering, lowest first: an app imports only the apps before it (checked below).
LAYERS = (
    "core places listing audit people partners notifications accounts pickers matters hotline "
    "meetings mediation points volunteering honours projects experiences network insights maps "
    "visits party todo configuration open311 ops demo"
).split()
KNOWN_SELECTORS_IMPORTING_SERVICES: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The ``gongzhi`` modules one import statement names (``from a import b`` names ``a.b``
    when that is a module, else ``a``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "gongzhi"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source.split(".")[0] != "gongzhi":
        return []
    names = []
    for alias in node.names:
        candidate = f"{source}.{alias.name}"
        names.append(candidate if candidate in known else source)
    return names


def import_edges() -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import of a ``gongzhi`` module."""
    modules = _modules()
    known = set(modules)
    edges = []
    for module, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for target in _imported(node, module, is_package, known):
                edges.append((module, target, node.lineno))
    return edges


def app_of(module: str) -> str | None:
    """``gongzhi.<name>`` when that is a package (an app), else None."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "gongzhi":
        return None
    if not (PACKAGE / parts[1] / "__init__.py").exists():
        return None
    return f"gongzhi.{parts[1]}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of apps that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def app_cycles(edges) -> list[str]:
    """One line per group of apps that import each other, with the imports that do it."""
    graph: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for importer, imported, line in edges:
        source, target = app_of(importer), app_of(imported)
        if source and target and source != target:
            graph[source].add(target)
            where[source, target].append(f"{importer}:{line} → {imported}")
    problems = []
    for group in _strongly_connected(graph):
        if len(group) < 2:
            continue
        members = set(group)
        links = [
            example
            for (source, target), examples in sorted(where.items())
            if source in members and target in members
            for example in examples
        ]
        problems.append(f"{' ↔ '.join(group)}: " + "; ".join(links))
    return problems


def app_pairs(edges) -> set[tuple[str, str]]:
    """(importing app, imported app) by their short names, for every import between apps."""
    pairs = set()
    for importer, imported, _line in edges:
        source, target = app_of(importer), app_of(imported)
        if source and target and source != target:
            pairs.add((source[8:], target[8:]))
    return pairs


def imports_up_the_layers(edges, layers: list[str]) -> list[str]:
    """The imports from an app to one at or after it in ``layers`` (or not in them)."""
    rank = {app: index for index, app in enumerate(layers)}
    return [
        f"{importer}:{line} → {imported}"
        for importer, imported, line in edges
        for source, target in [(app_of(importer), app_of(imported))]
        if source and target and source != target
        if rank.get(target[8:], len(layers)) >= rank.get(source[8:], -1)
    ]


def core_imports(edges) -> list[str]:
    return [
        f"{importer}:{line} → {imported}"
        for importer, imported, line in edges
        if app_of(importer) == "gongzhi.core" and app_of(imported) not in (None, "gongzhi.core")
    ]


def _is(module: str, kind: str) -> bool:
    return kind in module.split(".")


def selectors_importing_services(edges, known: set[str] = frozenset()) -> list[str]:
    return [
        f"{importer}:{line} → {imported}"
        for importer, imported, line in edges
        if _is(importer, "selectors") and _is(imported, "services") and importer not in known
    ]


def test_the_graph_is_read_from_the_source():
    # The reader sees module-level and function-level imports alike, and real apps.
    edges = import_edges()
    pairs = {(importer, imported) for importer, imported, _line in edges}
    assert ("gongzhi.places.models", "gongzhi.core.places") in pairs
    assert app_of("gongzhi.matters.services") == "gongzhi.matters"
    assert app_of("gongzhi.settings") is None


def test_the_checks_catch_what_they_look_for():
    # Each check fails on a made-up graph with the fault it looks for (the real graph has none).
    made_up = [
        ("gongzhi.matters.services", "gongzhi.meetings.services", 1),
        ("gongzhi.meetings.rules", "gongzhi.places.models", 2),
        ("gongzhi.places.models", "gongzhi.core.places", 3),
        ("gongzhi.core.listing", "gongzhi.accounts.scope", 4),
        ("gongzhi.matters.selectors", "gongzhi.matters.services", 5),
    ]
    assert app_cycles(made_up) == []
    cycle = app_cycles([*made_up, ("gongzhi.meetings.services", "gongzhi.matters.models", 6)])
    assert len(cycle) == 1 and "gongzhi.matters ↔ gongzhi.meetings" in cycle[0]
    # An app not in the layers counts as above them all (core → accounts, line 4).
    core_up = "gongzhi.core.listing:4 → gongzhi.accounts.scope"
    assert imports_up_the_layers(made_up, ["core", "places", "meetings", "matters"]) == [core_up]
    assert imports_up_the_layers(made_up, ["core", "places", "matters", "meetings"]) == [
        "gongzhi.matters.services:1 → gongzhi.meetings.services",
        core_up,
    ]
    assert core_imports(made_up) == ["gongzhi.core.listing:4 → gongzhi.accounts.scope"]
    assert selectors_importing_services(made_up) == [
        "gongzhi.matters.selectors:5 → gongzhi.matters.services"
    ]


def test_no_cycle_between_apps():
    assert app_cycles(import_edges()) == []


def test_apps_import_only_the_layers_below():
    edges = import_edges()
    apps = {app for pair in app_pairs(edges) for app in pair}
    assert sorted(apps - set(LAYERS)) == [], "add the new app to LAYERS"
    assert imports_up_the_layers(edges, LAYERS) == []


def test_core_imports_no_other_app():
    assert core_imports(import_edges()) == []


def test_selectors_never_import_services():
    assert selectors_importing_services(import_edges(), KNOWN_SELECTORS_IMPORTING_SERVICES) == []


def test_known_exceptions_still_exist():
    # A fixed exception leaves its list, so that it cannot come back unnoticed.
    selectors = {m.split(":")[0] for m in selectors_importing_services(import_edges())}
    assert sorted(KNOWN_SELECTORS_IMPORTING_SERVICES - selectors) == []


def test_demo_seeders_do_not_import_each_other_back():
    # Seeders share their constants through gongzhi.demo.constants (no seed ↔ seed_matters).
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported, _line in import_edges():
        if importer.startswith("gongzhi.demo.") and imported.startswith("gongzhi.demo."):
            if importer != imported:
                graph[importer].add(imported)
    assert [group for group in _strongly_connected(graph) if len(group) > 1] == []
