"""The house rules of the layout, read from the source with ``ast`` (nothing is imported).

- No import cycle between first-party modules: the core (``layers/socialcare``), the infrastructure
  app and the local tooling (``infra/``), the agent API (``chalice_config/app.py`` and ``chalicelib``)
  and the functions (``functions/*/handler.py``). Every import counts, also one inside a function or
  under ``TYPE_CHECKING``: a cycle hidden in a function is still a cycle in the design.
- No function over 80 lines in ``layers/`` or ``functions/``.
- The core (``socialcare`` except its AWS adapters, ``socialcare.aws``) imports no AWS SDK, Lambda
  or Chalice package and never reads the process environment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 80
CORE = "socialcare"
CORE_ADAPTERS = "socialcare.aws"
NOT_IN_CORE = ("boto3", "botocore", "chalice", "aws_lambda_powertools")


@dataclass(frozen=True)
class Module:
    name: str  # the dotted name it is imported by (a function's handler: ``functions.<name>.handler``)
    path: Path
    is_package: bool

    @property
    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding="utf-8"), filename=str(self.path))


def _package_modules(root: Path, package: str) -> Iterator[Module]:
    """Every module of the package at ``root / package`` (its folders), named as imported from ``root``."""
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        yield Module(".".join(parts[:-1] if is_package else parts), path, is_package)


def first_party_modules() -> dict[str, Module]:
    modules = [
        *_package_modules(REPO / "layers", "socialcare"),
        *_package_modules(REPO / "infra", "socialcare_local"),
        *_package_modules(REPO / "infra", "socialcare_infra"),
        *_package_modules(REPO / "chalice_config", "chalicelib"),
        Module("app", REPO / "chalice_config" / "app.py", is_package=False),
        *(
            Module(f"functions.{path.parent.name}.handler", path, is_package=False)
            for path in sorted((REPO / "functions").glob("*/handler.py"))
        ),
    ]
    return {module.name: module for module in modules}


def _imported_names(module: Module) -> Iterator[str]:
    """The dotted names ``module`` imports anywhere in its body (``from a import b`` gives ``a.b`` and ``a``)."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}"


def _resolve(name: str, known: dict[str, Module]) -> str | None:
    """The first-party module an imported name belongs to (its longest known prefix), if any."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    known = first_party_modules()
    graph: dict[str, set[str]] = {}
    for name, module in known.items():
        targets = {_resolve(imported, known) for imported in _imported_names(module)}
        graph[name] = {target for target in targets if target is not None and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, …, a]``) through each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - Tarjan's groups always have one


def test_there_is_no_import_cycle_between_first_party_modules() -> None:
    graph = import_graph()
    assert {"socialcare", "socialcare_local.cli", "socialcare_infra.stack", "app"} <= set(graph)
    cycles = [" → ".join(cycle) for cycle in _cycles(graph)]
    assert cycles == [], "import cycles:\n  " + "\n  ".join(cycles)


def test_the_cycle_finder_names_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name (``Class.method``, ``outer.inner``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def long_functions(*folders: str) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name, node in _functions(tree):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(REPO)}: {name} ({lines} lines)")
    return found


def test_no_function_in_layers_or_functions_is_over_80_lines() -> None:
    """Split a longer function into steps with names of their own."""
    offenders = long_functions("layers", "functions")
    assert offenders == [], f"functions over {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(offenders)


ENVIRONMENT_READERS = frozenset({"environ", "environb", "getenv", "getenvb"})


def _reads_environment(tree: ast.AST) -> bool:
    return any(_is_environment_read(node) for node in ast.walk(tree))


def _is_environment_read(node: ast.AST) -> bool:
    """``os.environ``/``os.getenv`` (…), or ``from os import environ`` (…)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
        return node.attr in ENVIRONMENT_READERS
    if isinstance(node, ast.ImportFrom) and node.module == "os":
        return bool(ENVIRONMENT_READERS & {alias.name for alias in node.names})
    return False


def test_the_core_uses_no_aws_sdk_lambda_or_chalice_and_reads_no_environment() -> None:
    known = first_party_modules()
    core = [
        module
        for name, module in known.items()
        if (name == CORE or name.startswith(CORE + "."))
        and not (name == CORE_ADAPTERS or name.startswith(CORE_ADAPTERS + "."))
    ]
    assert len(core) > 20, "the core was not found"
    faults = []
    for module in core:
        for imported in _imported_names(module):
            if imported.split(".")[0] in NOT_IN_CORE:
                faults.append(f"{module.name} imports {imported.rpartition('.')[0] or imported}")
        if _reads_environment(module.tree):
            faults.append(f"{module.name} reads os.environ")
    assert faults == [], "the core must stay free of AWS, Lambda and Chalice types and of the environment:\n  " + (
        "\n  ".join(sorted(set(faults)))
    )


# The rooms of the core and what each may import (besides itself). The foundation modules
# (errors, constants, clock, ids, environment) import nothing of the core above them; the services
# never import each other nor an adapter: they get adapters through the ports.
FOUNDATION = frozenset({"errors", "constants", "clock", "ids", "environment"})
ROOM_MAY_IMPORT: dict[str, frozenset[str]] = {
    "model": FOUNDATION,
    "rules": FOUNDATION | {"model"},
    "platforms": FOUNDATION | {"model"},
    "ports": FOUNDATION | {"model", "platforms"},
    "webhook": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "ingest": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "outbound": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "agents": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "aws": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "memory": FOUNDATION | {"model", "rules", "platforms", "ports"},
    "timers": FOUNDATION | {"model", "rules", "ports"},
    "surges": FOUNDATION | {"model", "rules", "ports"},
    "departments": FOUNDATION | {"model", "rules", "ports"},
    "automated": FOUNDATION | {"model", "rules", "ports"},
    "metrics": FOUNDATION | {"model", "rules", "ports"},
    "reports": FOUNDATION | {"model", "rules", "ports"},
}


def _room(module_name: str) -> str:
    """``socialcare.agents.base`` → ``agents``; ``socialcare.errors`` → ``errors``."""
    return module_name.split(".")[1] if module_name.count(".") else ""


def room_faults() -> list[str]:
    known = first_party_modules()
    faults = []
    for name, module in known.items():
        if not name.startswith(CORE + "."):
            continue
        room = _room(name)
        allowed = FOUNDATION if room in FOUNDATION else ROOM_MAY_IMPORT.get(room)
        if allowed is None:
            faults.append(f"{name}: the room {room!r} has no rule (add it to ROOM_MAY_IMPORT)")
            continue
        for imported in _imported_names(module):
            target = _resolve(imported, known)
            if target is None or not target.startswith(CORE + "."):
                continue
            target_room = _room(target)
            if target_room != room and target_room not in allowed:
                faults.append(f"{name} imports {target} ({room} may not import {target_room})")
    return sorted(set(faults))


def test_each_room_of_the_core_imports_only_the_rooms_below_it() -> None:
    faults = room_faults()
    assert faults == [], "imports against the layout's rule:\n  " + "\n  ".join(faults)


def test_the_room_rule_names_an_upward_import() -> None:
    assert set(ROOM_MAY_IMPORT) >= {"model", "rules", "agents", "aws"}
    assert "agents" not in ROOM_MAY_IMPORT["aws"]
    assert "aws" not in ROOM_MAY_IMPORT["agents"]
    assert _room("socialcare.agents.base") == "agents"


# The ports are a package, one module per side (``socialcare/ports/``); the services and adapters
# import them from the package, which re-exports every port its modules define.
PORTS = "socialcare.ports"


def _public_names(module: Module) -> set[str]:
    """The names a module defines at its top level (classes, assignments), but the private ones."""
    names: set[str] = set()
    for node in module.tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return {name for name in names if not name.startswith("_")}


def _exported_names(module: Module) -> set[str]:
    """The names in the module's ``__all__``."""
    for node in module.tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return {element.value for element in ast.walk(node.value) if isinstance(element, ast.Constant)}
    return set()


def test_the_ports_package_re_exports_every_port_of_its_modules() -> None:
    known = first_party_modules()
    sides = [module for name, module in known.items() if name.startswith(PORTS + ".")]
    assert len(sides) >= 4, "the ports' modules were not found"
    defined = set().union(*(_public_names(module) for module in sides))
    exported = _exported_names(known[PORTS])
    assert defined - exported == set(), "ports not re-exported by socialcare.ports"
    assert exported - defined - _public_names(known[PORTS]) == set(), "__all__ names what no module defines"


def test_a_ports_module_imports_its_siblings_never_the_package() -> None:
    known = first_party_modules()
    faults = [
        f"{name} imports {PORTS}"
        for name, module in known.items()
        if name.startswith(PORTS + ".") and any(_resolve(i, known) == PORTS for i in _imported_names(module))
    ]
    assert faults == []


def test_the_room_rule_holds_for_each_module_of_the_ports_package() -> None:
    """``room_faults`` checks every module of the package as the room ``ports`` (below the services)."""
    sides = [name for name in first_party_modules() if name.startswith(PORTS + ".")]
    assert {"socialcare.ports.pipeline", "socialcare.ports.agents"} <= set(sides)
    assert {_room(name) for name in sides} == {"ports"}
    assert "ports" in ROOM_MAY_IMPORT["ingest"]
    assert "ports" in ROOM_MAY_IMPORT["aws"]
    assert not {"ingest", "agents", "aws", "memory"} & ROOM_MAY_IMPORT["ports"]
