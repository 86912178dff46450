"""The shape of the house: no import cycle, layers that only look down, no machine paths.

Every ``import`` statement of the package counts, those inside functions
too; only ``if TYPE_CHECKING:`` blocks (never executed) are left out.
Importing ``ecozone.a.b`` runs the package ``ecozone.a`` first, so that
edge is added as well (except from modules inside ``ecozone.a``); the root package ``ecozone`` is a lazy facade
(``ecozone.run_study`` …) and is only counted where a module names it.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ecozone"
ROOT = SRC.parents[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in SRC.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Modules of ecozone that ``path`` imports (at any depth of its code)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def target(mod: str) -> str | None:
        while mod and mod not in modules:
            mod = mod.rpartition(".")[0]
        return mod or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for n in node.orelse:
                visit(n)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "ecozone":
                    found.add(target(a.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name if is_pkg else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "ecozone":
                return
            for a in node.names:
                full = f"{mod}.{a.name}"
                found.add(full if full in modules else target(mod))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(None)
    # importing a.b.c runs the package a.b first (the root facade excepted), unless the
    # importer lives inside a.b (its package is then already being initialised)
    for m in list(found):
        parts = m.split(".")
        for i in range(2, len(parts)):
            pkg = ".".join(parts[:i])
            if not (name == pkg or name.startswith(pkg + ".")):
                found.add(pkg)
    found.discard(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = _modules()
    g = {}
    for name, path in mods.items():
        g[name] = _imports(path, name, mods)
    return g


def _closure(g: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        for d in g.get(m, ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def test_no_import_cycle(graph):
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_walker_sees_imports_inside_functions(graph):
    # run_study resolves analyses lazily, but run.py's function-level imports are edges
    assert "ecozone.report" in graph["ecozone.run"]
    # a cycle planted in a function would be found
    planted = {**graph, "ecozone.errors": graph["ecozone.errors"] | {"ecozone.run"}}
    with pytest.raises(graphlib.CycleError):
        list(graphlib.TopologicalSorter(planted).static_order())


def test_store_imports_nothing_from_report(graph):
    bad = sorted(m for m in _closure(graph, "ecozone.store") if m.startswith("ecozone.report"))
    assert not bad, f"ecozone.store reaches the report: {bad}"


ANALYSIS_PACKAGES = ("capacity", "carbon", "parks", "ecology", "green", "overview", "connectivity", "landuse",
                     "drivers")
#: what an analysis package may import besides itself (ARCHITECTURE; issue: one plug-in shape)
ALLOWED_BELOW = ("ecozone.analysis", "ecozone.checks", "ecozone.inputs", "ecozone.zonal", "ecozone.grid", "ecozone.params",
                 "ecozone.labels", "ecozone.schema", "ecozone.errors", "ecozone.progress", "ecozone.landcover")


def test_analysis_packages_depend_only_on_the_layer_below(graph):
    for pkg in ANALYSIS_PACKAGES:
        full = f"ecozone.{pkg}"
        for mod, deps in graph.items():
            if mod != full and not mod.startswith(full + "."):
                continue
            for d in deps:
                if d == full or d.startswith(full + "."):
                    continue
                other = d.split(".")[1] if d.count(".") >= 1 else ""
                if other in ANALYSIS_PACKAGES:
                    # another analysis' pure formulas may be shared (green uses ecology.landscape);
                    # its wiring may not: results of another analysis come through Inputs.results
                    assert d.rsplit(".", 1)[-1] not in ("run", "spec"), (
                        f"{mod} imports {d}: read another analysis' results from Inputs.results"
                    )
                    continue
                assert any(d == a or d.startswith(a + ".") for a in ALLOWED_BELOW), (
                    f"{mod} imports {d}: an analysis depends only on {', '.join(ALLOWED_BELOW)}"
                )


def test_every_registered_analysis_is_complete():
    from ecozone.analysis import load_entry
    from ecozone.registry import ANALYSES

    for name, a in ANALYSES.items():
        assert a.schema, f"{name} declares no output table"
        assert callable(load_entry(a.run)), name
        if a.report:
            assert callable(load_entry(a.report)), name
        for r in a.reads:
            assert list(ANALYSES).index(r) < list(ANALYSES).index(name), f"{name} reads {r}, registered after it"
        for m in a.maps:
            assert m.table in a.schema and m.styled in a.schema[m.table], (name, m)


def test_no_path_of_a_particular_machine():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    bad = []
    for f in files:
        p = ROOT / f
        if p.suffix in (".gz", ".png", ".tif", ".xlsx", ".gpkg", ".parquet") or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8", errors="ignore")
        for marker in ("/work/", "/root/", "/home/", "C:\\Users"):
            if marker in text and f != "tests/test_architecture.py":
                bad.append(f"{f}: {marker}")
    assert not bad, bad
