"""The house rules of the package: imports point down the layers, no cycles, every module has its place.

The layers, from the bottom (see docs/architecture.md):

    0 base         sim.errors, sim.version, sim.vocabulary, sim.safe_text, sim.i18n
    1 spec         sim.spec.*         inputs: YAML, field paths, scenario and sweep files
    2 engine       sim.engine.*       the Mesa model, decisions, outcomes, one run
    3 experiments  sim.experiments.*  executors, comparisons, sweeps, statistics
    4 debrief      sim.debrief.*      figures and reports, from tables
    5 exercise     sim.exercise.*     play, MSEL, starter scenarios
    6 dashboard    sim.dashboard.*    the workshop page
    7 api          sim.api
    8 commands     sim.cli, sim.__main__

A module may import its own layer and the layers below it, never above. Imports under
``if TYPE_CHECKING:`` are for type checkers only and are not counted. Imports inside
functions are counted: a lazy import still is a dependency.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sim"

LAYERS: dict[str, int] = {
    "sim.errors": 0, "sim.version": 0, "sim.vocabulary": 0, "sim.safe_text": 0, "sim.i18n": 0,
    "sim.spec": 1, "sim.engine": 2, "sim.experiments": 3, "sim.debrief": 4, "sim.exercise": 5,
    "sim.dashboard": 6, "sim.api": 7, "sim": 7, "sim.cli": 8, "sim.__main__": 8,
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The layer of a module: its longest prefix in LAYERS."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(module)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every runtime import of a ``sim`` module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_lines(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if node.lineno in hidden if hasattr(node, "lineno") else False:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "sim"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            if node.module == "sim":
                # `from sim import api`: a submodule, or a name of the package itself.
                found += [(node.lineno, f"sim.{alias.name}") if (PACKAGE / alias.name).exists()
                          or (PACKAGE / f"{alias.name}.py").exists() else (node.lineno, "sim")
                          for alias in node.names]  # fmt: skip
            else:
                found.append((node.lineno, node.module))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in MODULES if name != "sim" and _safe_layer(name) is None]
    assert not unplaced, f"modules outside every layer (add them to a layer in docs/architecture.md): {unplaced}"


def _safe_layer(module: str) -> int | None:
    try:
        return layer(module)
    except KeyError:
        return None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    if name == "sim":
        return  # the package's own __init__ is the API's front door (it loads sim.api lazily)
    own = layer(name)
    upward = [f"line {line}: {target} (layer {layer(target)})" for line, target in imports_of(MODULES[name])
              if layer(target) > own]  # fmt: skip
    assert not upward, f"{name} (layer {own}) imports from a higher layer: {upward}"


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for _, target in imports_of(path):
            resolved = target if target in MODULES else target.rsplit(".", 1)[0]
            if resolved in MODULES and resolved != name and resolved != "sim" and name != "sim":
                graph[name].add(resolved)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(MODULES):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_vocabulary_imports_nothing_of_the_package() -> None:
    path = PACKAGE / "vocabulary.py"
    if not path.exists():
        pytest.fail("sim/vocabulary.py (the words, colours and output names) is missing")
    assert imports_of(path) == [], "sim.vocabulary must import nothing of sim: every layer uses it"


def test_no_function_re_imports_a_module_its_file_imports_at_the_top() -> None:
    """A lazy import is for a module the file does not load yet (Mesa, matplotlib, Bokeh): never a re-fetch."""
    doubled = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
        top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.module in top:
                        doubled.append(f"{name}:{inner.lineno} {inner.module}")
                    elif isinstance(inner, ast.Import):
                        doubled += [f"{name}:{inner.lineno} {a.name}" for a in inner.names if a.name in top]
    assert not doubled, f"imports inside functions of modules the file already imports at the top: {doubled}"


def test_every_module_is_on_the_map() -> None:
    """docs/architecture.md names every module, and no module that does not exist."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    files = {str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"}
    missing = sorted(f for f in files if f"`{f}`" not in text)
    assert not missing, f"modules missing from docs/architecture.md: {missing}"
    named = set(re.findall(r"`(sim/[a-z_/]+\.py)`", text)) - {"sim/__init__.py"}
    assert not named - files, f"docs/architecture.md names modules that do not exist: {sorted(named - files)}"
