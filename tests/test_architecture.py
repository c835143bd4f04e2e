"""The import graph keeps the architecture: no cycles, and each package imports only what its
place allows.

Every module of the product packages is parsed with `ast` (nothing is imported), and each
import statement becomes an edge, including imports inside functions: an import that only
runs later is still a dependency, and a cycle hidden in a function is still a cycle. Imports
under `if TYPE_CHECKING:` never run and are left out.

- A relative import is resolved against the importing module's package.
- `from pkg import name` imports the module `pkg.name` when there is one, else `pkg` itself.
- Importing `a.b.c` also imports `a.b` and `a`: their `__init__` runs first. The importer's
  own packages are the exception: Python has already started them before the importer runs.
"""
from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("dreaming", "bot", "discordlocal")


@dataclass(frozen=True)
class Site:
    """Where an import statement is: file, line, and whether it sits inside a function."""

    path: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" + (" (in a function)" if self.in_function else "")


@dataclass
class Graph:
    """Project modules, the edges between them, and each module's outside imports (top-level names)."""

    modules: dict[str, Path] = field(default_factory=dict)  #: dotted name -> file
    edges: dict[str, dict[str, Site]] = field(default_factory=dict)  #: importer -> imported -> first site
    outside: dict[str, dict[str, Site]] = field(default_factory=dict)  #: importer -> top-level name -> site

    def reachable(self, start: str) -> set[str]:
        """`start` and every project module it imports, directly or not."""
        seen, todo = {start}, [start]
        while todo:
            for nxt in self.edges.get(todo.pop(), {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen


# -- reading the code -------------------------------------------------------------------------

def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of `package` under `root`."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_statements(tree: ast.Module):
    """(node, inside a function) for every import that can run: all but those under `if TYPE_CHECKING:`."""
    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    yield from walk(ast.Module(body=[other], type_ignores=[]), in_function)
            else:
                yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                           ast.Lambda)))
    yield from walk(tree, False)


def imported_names(module: str, is_package: bool, node: ast.Import | ast.ImportFrom,
                   modules: set[str]) -> list[str]:
    """The dotted names one import statement imports: project modules resolved, others as written."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[:len(package) - (node.level - 1)])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module
    return [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names]


def parents(name: str) -> list[str]:
    """'a.b.c' -> ['a', 'a.b']."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def build_graph(root: Path, packages: tuple[str, ...]) -> Graph:
    graph = Graph()
    for package in packages:
        graph.modules.update(module_files(root, package))
    project = set(graph.modules)
    for module, path in graph.modules.items():
        is_package = path.name == "__init__.py"
        own = {module, *parents(module)}  # already started before this module runs
        edges, outside = graph.edges.setdefault(module, {}), graph.outside.setdefault(module, {})
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = str(path.relative_to(root))
        for node, in_function in import_statements(tree):
            site = Site(rel, node.lineno, in_function)
            for name in imported_names(module, is_package, node, project):
                top = name.split(".")[0]
                if top not in packages:
                    outside.setdefault(top, site)
                    continue
                if name in project:
                    if name != module:
                        edges.setdefault(name, site)
                for parent in parents(name):
                    if parent not in own and parent in project:
                        edges.setdefault(parent, site)
    return graph


def outside_imports(root: Path, directory: str) -> dict[str, dict[str, Site]]:
    """File -> top-level names it imports (every import that can run), for each .py file under `directory`."""
    found = {}
    for path in sorted((root / directory).rglob("*.py")):
        rel = str(path.relative_to(root))
        names: dict[str, Site] = {}
        for node, in_function in import_statements(ast.parse(path.read_text(), filename=rel)):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # relative: inside `directory`
            for name in imported_names("", False, node, set()):
                names.setdefault(name.split(".")[0], Site(rel, node.lineno, in_function))
        found[rel] = names
    return found


# -- cycles -----------------------------------------------------------------------------------

def strongly_connected(edges: dict[str, dict[str, Site]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted; only those that hold a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges.get(node, {}):
                        found.append(sorted(component))
    return sorted(found)


def cycles_in(component: list[str], edges: dict[str, dict[str, Site]]) -> list[list[str]]:
    """Chains a -> ... -> (back to a) covering every edge of the component: for each edge u -> v,
    the shortest way from v back to u. Each chain starts at its smallest module; no duplicates."""
    members = set(component)
    chains = set()
    for u in component:
        for v in edges.get(u, {}):
            if v not in members:
                continue
            came_from: dict[str, str] = {}
            queue = deque([v])
            while queue and u not in came_from and u != v:
                node = queue.popleft()
                for nxt in sorted(edges.get(node, {})):
                    if nxt in members and nxt not in came_from and nxt != v:
                        came_from[nxt] = node
                        queue.append(nxt)
            way_back = [u]  # u, the module before it, ..., v
            while way_back[-1] != v:
                way_back.append(came_from[way_back[-1]])
            loop = [u, *reversed(way_back[1:])]  # u -> v -> ... -> (u)
            first = loop.index(min(loop))
            chains.add(tuple(loop[first:] + loop[:first]))
    return [list(c) for c in sorted(chains)]


def describe(chain: list[str], edges: dict[str, dict[str, Site]]) -> str:
    """The chain on one line, then where each of its imports is."""
    hops = list(zip(chain, chain[1:] + chain[:1]))
    return "\n".join([" -> ".join(chain + chain[:1])] + [f"    {a} -> {b}: {edges[a][b]}" for a, b in hops])


def find_cycles(graph: Graph) -> list[str]:
    return [describe(chain, graph.edges)
            for component in strongly_connected(graph.edges) for chain in cycles_in(component, graph.edges)]


# -- the rules --------------------------------------------------------------------------------

GRAPH = build_graph(REPO, PRODUCT)


def in_package(package: str) -> list[str]:
    return [m for m in GRAPH.modules if m == package or m.startswith(package + ".")]


def forbidden(package: str, names: set[str], allowed: set[str] = frozenset()) -> list[str]:
    """'module imports name [site]' for each module of `package` that imports, directly or
    through other project modules, a module or outside package whose top name is in `names`
    (project modules in `allowed` excepted)."""
    def bad(module: str) -> dict[str, Site]:
        outside = {n: s for n, s in GRAPH.outside[module].items() if n in names}
        project = {m: s for m, s in GRAPH.edges[module].items() if m.split(".")[0] in names and m not in allowed}
        return {**outside, **project}

    found = []
    for module in sorted(in_package(package)):
        found += [f"{module} imports {name} [{site}]" for name, site in sorted(bad(module).items())]
        for other in sorted(GRAPH.reachable(module)):
            if other.split(".")[0] != package and other not in allowed:
                found += [f"{module} imports {name} through {other} [{site}]" for name, site in sorted(bad(other).items())]
    return found


def test_the_graph_sees_every_package():
    for package in PRODUCT:
        assert package in GRAPH.modules and len(in_package(package)) > 3, package
    assert "bot.api_base" in GRAPH.edges["discordlocal.client"]


def test_no_import_cycles():
    cycles = find_cycles(GRAPH)
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(cycles)


def test_dreaming_never_imports_discord_or_the_bot():
    """The engine knows nothing of Discord: it runs in worker processes and on its own."""
    assert forbidden("dreaming", {"discord", "bot", "discordlocal"}) == []


def test_discordlocal_is_a_generic_server():
    """No Dreambot in it: only `bot.api_base`, to point discord.py at the server."""
    assert forbidden("discordlocal", {"dreaming", "bot"}, allowed={"bot", "bot.api_base"}) == []


def test_nothing_outside_tests_imports_tests():
    offenders = [f"{module} [{GRAPH.outside[module]['tests']}]" for module in sorted(GRAPH.modules)
                 if "tests" in GRAPH.outside[module]]
    offenders += [f"{path} [{names['tests']}]" for path, names in outside_imports(REPO, "bench").items()
                  if "tests" in names]
    assert offenders == []


# -- the checker itself -------------------------------------------------------------------------

def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_finds_cycles_through_functions_relative_imports_and_packages(tmp_path):
    root = write(tmp_path, {
        "app/__init__.py": "from .core import run\n",
        "app/core.py": "from . import util\n\ndef run():\n    from app.web import views\n",
        "app/util.py": "import os\n",
        "app/web/__init__.py": "",
        "app/web/views.py": "from ..core import run\n",
        "app/solo.py": "from app import run\n",  # `run` is a name: imports app, whose __init__ imports core
        "app/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.solo import x\n",
    })
    graph = build_graph(root, ("app",))
    assert set(graph.edges["app.core"]) == {"app.util", "app.web.views", "app.web"}
    assert graph.edges["app.core"]["app.web.views"].in_function
    assert graph.edges["app.web.views"] == {"app.core": graph.edges["app.web.views"]["app.core"]}
    assert graph.edges["app.typed"] == {} and graph.outside["app.typed"].keys() == {"typing"}
    assert graph.edges["app.solo"].keys() == {"app"}
    assert strongly_connected(graph.edges) == [["app.core", "app.web.views"]]
    assert cycles_in(["app.core", "app.web.views"], graph.edges) == [["app.core", "app.web.views"]]
    [report] = find_cycles(graph)
    assert report.splitlines() == ["app.core -> app.web.views -> app.core",
                                   "    app.core -> app.web.views: app/core.py:4 (in a function)",
                                   "    app.web.views -> app.core: app/web/views.py:1"]


def test_the_checker_sees_a_package_init_that_imports_back(tmp_path):
    root = write(tmp_path, {
        "pkg/__init__.py": "from pkg.a import A\nLIMIT = 1\n",
        "pkg/a.py": "from pkg import LIMIT\nA = LIMIT\n",  # the partly initialised package: a real cycle
        "pkg/b.py": "from pkg.a import A\n",  # a sibling import, not a cycle: pkg is already started
        "other/__init__.py": "",
        "other/c.py": "import pkg.b\n",
    })
    graph = build_graph(root, ("pkg", "other"))
    assert strongly_connected(graph.edges) == [["pkg", "pkg.a"]]
    assert set(graph.edges["other.c"]) == {"pkg.b", "pkg"}


def test_every_edge_of_a_tangle_shows_in_some_chain():
    site = Site("x.py", 1, False)
    edges = {"a": {"b": site}, "b": {"c": site, "a": site}, "c": {"a": site}, "d": {"d": site, "a": site}}
    assert strongly_connected(edges) == [["a", "b", "c"], ["d"]]
    assert cycles_in(["a", "b", "c"], edges) == [["a", "b"], ["a", "b", "c"]]
    assert cycles_in(["d"], edges) == [["d"]]
