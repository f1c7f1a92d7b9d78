"""The shape of the code, as docs/house style asks: no module reaches into another's private
names, no import cycles, modules under 400 lines, functions under 60 (typer commands excepted).

The package layering (cli -> stages -> models/errors) is checked by import-linter in .ci/run
(`lint-imports`, contracts in pyproject.toml); these checks need nothing beyond the standard
library, so they run with the tests everywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "qualcode"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = package if is_package else package[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(n) for n in ast.walk(node)}
    return hidden


def _imports(module: str, top_level_only: bool) -> list[tuple[str, ast.ImportFrom | ast.Import]]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    hidden = _type_checking_nodes(tree)
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom):
            found.append((_resolve(module, node), node))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, node) for alias in node.names)
    return [(target, node) for target, node in found if target.split(".")[0] == "qualcode"]


def test_the_checks_see_the_whole_package():
    # Guard against passing vacuously: the walk must find the stages and their imports.
    assert {"qualcode.cli", "qualcode.coding.engine", "qualcode.validity.measure"} <= set(MODULES)
    assert sum(len(_imports(m, False)) for m in MODULES) > 200


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for module in MODULES:
        for target, node in _imports(module, False):
            if not isinstance(node, ast.ImportFrom):
                continue
            for alias in node.names:
                # A private *module* of the same package (e.g. `_shared`) is fine; a private
                # name taken out of another module is not.
                source = f"{target}.{alias.name}"
                if (
                    alias.name.startswith("_")
                    and not alias.name.startswith("__")
                    and source not in MODULES
                ):
                    offenders.append(f"{module} imports {alias.name} from {target}")
    assert offenders == []


def test_no_import_cycles_between_modules():
    graph = {
        module: {t if t in MODULES else t.rsplit(".", 1)[0] for t, _ in _imports(module, True)}
        for module in MODULES
    }
    graph = {m: {t for t in targets if t in MODULES and t != m} for m, targets in graph.items()}
    # A package's __init__ re-exporting its modules is not a cycle with them.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not module.startswith(t + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_stay_small(module):
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path} has {len(text.splitlines())} lines"
    long = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = node.end_lineno - node.lineno + 1
        is_command = any(
            "command" in ast.unparse(d) or "callback" in ast.unparse(d) for d in node.decorator_list
        )
        typer_declaration = module.startswith("qualcode.cli") and (
            is_command or "typer.Option" in ast.unparse(node.args)
        )
        if length > MAX_FUNCTION_LINES and not typer_declaration:
            long.append(f"{node.name} ({length} lines)")
    assert long == [], f"{path}: {', '.join(long)}"
