"""The shape of the code: the core imports no front end, no module imports itself in a circle, and
modules stay readable in one sitting. Read from the source with ``ast``, so lazy imports count too."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rag", "ingest", "ui", "bench", "api")
FRONT_ENDS = ("ingest", "ui", "bench", "api")
ENTRY = "rag.cli"  # the command line wires the core to ingest, the web chat and the benchmark
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules imported anywhere in ``path`` (module level or inside functions), except
    under ``if TYPE_CHECKING:``, which never runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, set(mods)) - {name} for name, path in mods.items()}


def test_the_core_imports_no_front_end():
    offenders = {
        name: sorted(dep for dep in deps if dep.split(".")[0] in FRONT_ENDS)
        for name, deps in graph().items()
        if name.split(".")[0] == "rag" and name != ENTRY
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_rag_types_imports_nothing_of_ours():
    assert graph()["rag.types"] == set()


def test_no_import_cycles():
    edges = {name: {d for d in deps if d.split(".")[0] in PACKAGES} for name, deps in graph().items()}
    # Package __init__ modules are imported by their own submodules' imports; they hold no code here.
    edges = {k: {d for d in v if d not in PACKAGES} for k, v in edges.items() if k not in PACKAGES}
    try:
        list(graphlib.TopologicalSorter(edges).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_stay_readable(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it (limit {MAX_LINES})"


def test_the_checker_sees_lazy_imports(tmp_path):
    """The graph counts imports inside functions, and skips TYPE_CHECKING-only ones."""
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ui.app\n"
        "def f():\n    from ingest.pipeline import ingest\n"
    )
    assert imports_of(source, {"ui.app", "ingest.pipeline", "ingest"}) == {"ingest.pipeline"}
