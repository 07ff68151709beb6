"""The library's layering: no Streamlit, no cycles, and lower layers never import higher ones."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "geo"

#: Rank of each part of ``geo``: a module may import only from its own rank or below
#: (and, within one rank, only from its own subpackage: impact and planning stay apart).
LAYERS = {
    "core": 0,
    "io": 1,
    "hotspots": 2,
    "patrols": 3,
    "impact": 4,
    "planning": 4,
    "maps": 5,
    "partners": 6,
    "entry": 7,
}
ENTRY_MODULES = {"geo", "geo.cli", "geo.__main__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    """The layer a ``geo`` module belongs to: its subpackage, "core" or "entry"."""
    if module in ENTRY_MODULES:
        return "entry"
    pieces = module.split(".")
    if len(pieces) > 1 and (GEO / pieces[1]).is_dir():
        return pieces[1]
    return "core"


def _imports(path: Path) -> set[str]:
    """Every ``geo`` module that ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geo"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _exists(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("geo"))
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


MODULES = {_module_name(path): path for path in sorted(GEO.rglob("*.py"))}


def test_every_part_of_geo_has_a_layer():
    assert {_part(module) for module in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_only_its_own_layer_or_below(module):
    mine = _part(module)
    for imported in _imports(MODULES[module]):
        theirs = _part(imported)
        assert LAYERS[theirs] <= LAYERS[mine], f"{module} imports higher layer {imported}"
        if LAYERS[theirs] == LAYERS[mine] and mine != theirs:
            pytest.fail(f"{module} ({mine}) imports {imported} ({theirs}) of the same rank")


def test_no_import_cycles_between_modules():
    graph = {module: _imports(path) & set(MODULES) for module, path in MODULES.items()}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for imported in graph[module]:
            if state.get(imported) == 1:
                cycle = [*trail[trail.index(imported) :], imported] if imported in trail else []
                pytest.fail(f"import cycle: {' -> '.join(cycle or [module, imported])}")
            if imported not in state:
                visit(imported, [*trail, imported])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_geo_never_imports_streamlit():
    offenders = [
        module
        for module, path in MODULES.items()
        if "streamlit" in path.read_text(encoding="utf-8")
        and any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(
                (getattr(node, "module", None) or alias.name).split(".")[0] == "streamlit"
                for alias in node.names
            )
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    assert offenders == []


def test_whole_library_imports_without_streamlit_installed_in_the_process():
    # Importing every module must not pull Streamlit in as a side effect. Alembic's
    # migration scripts are run by Alembic, never imported.
    importable = [m for m in sorted(MODULES) if m != "geo.__main__" and ".migrations" not in m]
    code = (
        "import importlib, sys\n"
        f"for name in {importable!r}:\n"
        "    importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_public_api_is_the_function_every_caller_uses():
    import geo
    from geo.hotspots.dbscan import find_hotspots
    from geo.impact.evaluate import evaluate
    from geo.io.store import read_incidents
    from geo.patrols.measure import measure_coverage
    from geo.planning.planner import plan_patrols

    assert geo.read_incidents is read_incidents
    assert geo.find_hotspots is find_hotspots
    assert geo.measure_coverage is measure_coverage
    assert geo.evaluate is evaluate
    assert geo.plan_patrols is plan_patrols
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = geo.nothing
