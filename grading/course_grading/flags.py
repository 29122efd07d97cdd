"""Flag student code that tampers with the kernel, the tests or the instructor's files: a scan before grading.

Every code cell the student controls is scanned (answer cells and cells they added; locked cells are restored
to the release anyway). A cell is first turned into the Python that IPython would run
(`TransformerManager.transform_cell`: `%magic`, `!shell` and `%%cell` magics become `get_ipython()` calls),
then its syntax tree is checked against the tables in `flag_rules.py`, and against one rule that needs the
release: a name that a locked cell defines, or that the set-up imports, must not be bound to anything else.

A finding does not change the score: the notebook is graded as usual and gets the status `flagged`, so that
the instructor can review it. Lines that the release itself puts in cells the student may edit (the Colab
set-up's `%pip install`, say) are the instructor's and never flagged.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from . import flag_rules as rules
from .notebook import nbgrader_meta

_TRANSFORMER = TransformerManager()
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_TEXT_WIDTH = 40  # characters of an offending line quoted in the message


@dataclass(frozen=True)
class Finding:
    """One flagged line: the cell (grade_id or "code cell N"), its line number and text, and why."""

    cell: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        text = self.text if len(self.text) <= _TEXT_WIDTH else self.text[: _TEXT_WIDTH - 3] + "..."
        return f"{self.cell} line {self.line}: {text} ({self.reason})"


@lru_cache(maxsize=1024)  # most cells of a submission are the release's own, the same for every student
def parse_cell(source: str) -> tuple[ast.Module, int] | None:
    """The cell as IPython runs it, parsed, and how many leading blank lines IPython dropped; None if invalid.

    A cell that does not parse raises SyntaxError when run, so none of it runs and there is nothing to flag.
    The tree is shared between callers: it must not be changed.
    """
    try:
        code = _TRANSFORMER.transform_cell(source)
        tree = compile(code, "<cell>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError):
        return None
    lines = source.splitlines()
    dropped = next((i for i, line in enumerate(lines) if line.strip()), 0)
    return tree, dropped


def const_str(node: ast.AST) -> str | None:
    """The value of a string constant, also one glued together with `+` ("_get" + "frame"); else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left), const_str(node.right)
        return left + right if left is not None and right is not None else None
    return None


def imports(node: ast.AST) -> list[tuple[str, str, str]]:
    """(bound name, dotted name it refers to, dotted name imported) for an import statement; [] otherwise."""
    if isinstance(node, ast.Import):
        return [
            (a.asname, a.name, a.name) if a.asname else (a.name.split(".")[0], a.name.split(".")[0], a.name)
            for a in node.names
        ]
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        return [(a.asname or a.name, f"{module}.{a.name}", f"{module}.{a.name}") for a in node.names if a.name != "*"]
    return []


def module_bindings(tree: ast.AST) -> list[tuple[str, int, str | None]]:
    """(name, line, origin) of every name `tree` binds in the notebook's namespace.

    `origin` is the dotted name an import binds it to, None for any other binding (assignment, def, class,
    for, with, del). Names a function declares `global` and binds count; its other locals do not.
    """
    found: list[tuple[str, int, str | None]] = []

    def walk(node: ast.AST, declared: set[str] | None) -> None:  # declared is None at module level
        def binds(name: str) -> bool:
            return declared is None or name in declared

        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if binds(child.name):
                    found.append((child.name, child.lineno, None))
                inner = {n for g in ast.walk(child) if isinstance(g, ast.Global) for n in g.names}
                walk(child, inner)
            elif isinstance(child, ast.Lambda):
                walk(child, set())
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((name, child.lineno, origin) for name, origin, _ in imports(child) if binds(name))
            elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                if binds(child.id):
                    found.append((child.id, child.lineno, None))
            elif isinstance(child, ast.ExceptHandler) and child.name:  # except E as name:
                if binds(child.name):
                    found.append((child.name, child.lineno, None))
                walk(child, declared)
            elif isinstance(child, ast.comprehension):  # its target is local to the comprehension
                for part in [child.iter, *child.ifs]:
                    walk(ast.Expr(part), declared)
            else:
                walk(child, declared)

    walk(tree, None)
    return found


@dataclass
class Names:
    """What the scan knows about the notebook's namespace, gathered from the release and the student's cells."""

    aliases: dict[str, str] = field(default_factory=dict)  # name -> dotted name it refers to (imports, s = sys)
    defined: set[str] = field(default_factory=set)  # functions and classes the notebook defines (hide builtins)
    assigned: set[str] = field(default_factory=set)  # every name the notebook assigns, anywhere
    stars: list[str] = field(default_factory=list)  # modules star-imported by the student
    protected: dict[str, tuple[set[str | None], str]] = field(default_factory=dict)  # name -> (origins, where)

    def protect(self, name: str, origin: str | None, where: str) -> None:
        """Record that the release binds `name` (to `origin`, for an import) in `where`."""
        if name == "_":  # a throwaway by convention, which IPython itself rebinds after every cell
            return
        origins, known_where = self.protected.get(name, (set(), where))
        origins.add(origin)
        self.protected[name] = (origins, known_where if known_where == "a locked cell" else where)

    def learn(self, tree: ast.AST) -> None:
        """Add the imports, aliases (`s = sys`) and definitions of `tree`."""
        for node in ast.walk(tree):
            for name, origin, _ in imports(node):
                self.aliases.setdefault(name, origin)
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                self.stars.append(node.module or "")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defined.add(node.name)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.assigned.add(node.id)
        for _ in range(2):  # twice, so that an alias of an alias resolves
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    dotted = Scanner(self).dotted(node.value)
                    if dotted:
                        self.aliases.setdefault(node.targets[0].id, dotted)


class Scanner(ast.NodeVisitor):
    """Collects (line, reason) for one cell's syntax tree."""

    def __init__(self, names: Names):
        self.names = names
        self.hits: list[tuple[int, str]] = []
        self.scopes: list[set[str]] = []  # parameters and comprehension variables that hide notebook names
        self.chain_parts: set[int] = set()  # ids of nodes that are the object of an attribute (`np` in np.load)

    # ------------------------------------------------------------------ resolving names

    def local(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def free(self, node: ast.AST) -> str | None:
        """The name of a builtin or IPython global that `node` may refer to, or None.

        Only a parameter, an import or a def/class hides a builtin here: after `eval = eval`, `eval` is still
        the builtin, so an assignment does not.
        """
        if (
            isinstance(node, ast.Name)
            and not self.local(node.id)
            and node.id not in self.names.aliases
            and node.id not in self.names.defined
        ):
            return node.id
        return None

    def dotted(self, node: ast.AST) -> str | None:
        """The dotted name `node` refers to (`s._getframe` -> sys._getframe), or None when unknown."""
        if isinstance(node, ast.Name):
            if self.local(node.id):
                return None
            if node.id in self.names.aliases:
                return self.names.aliases[node.id]
            star = [f"{m}.{node.id}" for m in self.names.stars if rules.module_rule(f"{m}.{node.id}")]
            return star[0] if star and self.free(node) else None
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and node.args:
            first = const_str(node.args[0])
            if first and (self.free(node.func) == "__import__" or self.dotted(node.func) == "importlib.import_module"):
                return first
            second = const_str(node.args[1]) if len(node.args) > 1 else None
            if self.free(node.func) == "getattr" and second:
                base = self.dotted(node.args[0])
                return f"{base}.{second}" if base else None
        return None

    def hit(self, node: ast.AST, reason: str | None) -> None:
        if reason:
            self.hits.append((node.lineno, reason))

    # ------------------------------------------------------------------ scopes

    def _visit_scope(self, node: ast.AST, names: set[str]) -> None:
        self.scopes.append(names)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        a = node.args
        params = [
            *a.posonlyargs,
            *a.args,
            *a.kwonlyargs,
            *([a.vararg] if a.vararg else []),
            *([a.kwarg] if a.kwarg else []),
        ]
        self._visit_scope(node, {p.arg for p in params})

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_ListComp(self, node: ast.AST) -> None:
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        self._visit_scope(node, targets)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    # ------------------------------------------------------------------ the rules

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for _, _, imported in imports(node):
            self.hit(node, rules.module_rule(imported))
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            self.hit(node, rules.module_rule(node.module or ""))

    visit_ImportFrom = visit_Import

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            if node.id == "__builtins__":  # replacing it changes the builtins of every later cell
                self.hit(node, rules.NAMESPACE)
            return
        dotted = self.dotted(node)
        if dotted and id(node) not in self.chain_parts:
            self.hit(node, rules.module_rule(dotted))
        elif self.free(node):
            self.hit(node, rules.bare_name_rule(node.id, node.id in self.names.assigned))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.hit(node, rules.ATTRIBUTES.get(node.attr))
        dotted = self.dotted(node)
        if dotted and id(node) not in self.chain_parts:  # the whole chain is judged, not `IPython` in IPython.display
            self.hit(node, rules.module_rule(dotted))
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self.imported_root(node):
            self.hit(node, rules.PATCH)
        if node.attr == "__dict__" and self.dotted(node.value):
            self.hit(node, rules.NAMESPACE)
        self.chain_parts.add(id(node.value))
        self.generic_visit(node)

    def imported_root(self, node: ast.Attribute) -> bool:
        """Whether the attribute chain starts at something imported (np.isclose, course.checks.check_close)."""
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return self.dotted(root) is not None

    def visit_Call(self, node: ast.Call) -> None:
        if self.magic(node):
            return
        fn = self.free(node.func)
        if fn in ("getattr", "setattr", "delattr") and node.args:
            self.attribute_call(node, fn)
        elif fn == "vars" and (not node.args or self.dotted(node.args[0])):
            self.hit(node, rules.NAMESPACE)
        elif fn == "locals" and not self.scopes:
            self.hit(node, rules.NAMESPACE)
        self.generic_visit(node)

    def attribute_call(self, node: ast.Call, fn: str) -> None:
        """getattr/setattr/delattr(obj, name): judged like obj.name when the name is a constant."""
        base = self.dotted(node.args[0])
        name = const_str(node.args[1]) if len(node.args) > 1 else None
        if name is not None:
            self.hit(node, rules.ATTRIBUTES.get(name))
            if base:
                self.hit(node, rules.module_rule(f"{base}.{name}"))
        elif base and (rules.module_rule(base) or any(p.startswith(base + ".") for p in rules.MODULES)):
            self.hit(node, f"computed attribute of {base}")
        if fn != "getattr" and base:
            self.hit(node, rules.PATCH)

    def magic(self, node: ast.Call) -> bool:
        """Judge `get_ipython().run_line_magic(...)` and its kin; True when the call was one (it is then done)."""
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and not func.value.args
            and self.free(func.value.func) == "get_ipython"
        ):
            return False
        args = [const_str(a) for a in node.args]
        if func.attr in ("system", "getoutput"):
            self.hit(node, rules.SHELL)
            return True
        if func.attr not in ("run_line_magic", "run_cell_magic") or len(args) < 2 or None in args:
            return False  # some other use of the shell: the generic rules flag it
        name, cell = args[0], func.attr == "run_cell_magic"
        if name in rules.HARMLESS_MAGICS or (name == "config" and args[1].strip().startswith(rules.CONFIG_PREFIX)):
            return True
        if name not in rules.CODE_MAGICS:
            self.hit(node, f"{'cell magic %%' if cell else 'magic %'}{name}")
            return True
        if name == "timeit":  # its options come first: -n 10 -r 3 code
            args[1] = re.sub(r"^(\s*-[nrp]\s*\d+|\s*-[tcqo]\b)*", "", args[1])
        codes = ([args[1]] if name != "capture" else []) + ([args[2]] if cell and len(args) > 2 else [])
        for k, code in enumerate(codes):
            self.scan_code(code, node.lineno, body=cell and k == len(codes) - 1)
        return True

    def scan_code(self, code: str, line: int, body: bool) -> None:
        """Scan Python that a magic runs; a cell magic's body starts on the line after the magic's."""
        if not code.strip():
            return
        parsed = parse_cell(code)
        if parsed is None:
            self.hits.append((line, rules.SHELL))
            return
        inner = Scanner(self.names)
        inner.scopes = list(self.scopes)
        inner.visit(parsed[0])
        self.hits.extend((line + parsed[1] + k if body else line, why) for k, why in inner.hits)

    def visit_Expr(self, node: ast.Expr) -> None:
        if const_str(node.value) is None:  # a docstring or bare string is never used: skip it
            self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.hit(node, rules.string_rule(node.value))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        glued = const_str(node)
        if glued is not None:
            self.hit(node, rules.string_rule(glued))
        self.generic_visit(node)


def _rebinding(tree: ast.AST, names: Names) -> list[tuple[int, str]]:
    """(line, reason) where the cell binds a name the release's locked cells or set-up define differently."""
    hits = []
    for name, line, origin in module_bindings(tree):
        if name in names.protected:
            origins, where = names.protected[name]
            if origin is None or origins != {origin}:
                hits.append((line, f"rebinds {name} of {where}"))
    return hits


def _release_names(release: nbformat.NotebookNode) -> tuple[Names, set[str]]:
    """What the release binds (and protects), and the lines it puts in cells the student may edit."""
    cells = tuple(
        (c.source, bool(nbgrader_meta(c).get("locked")))
        for c in release.cells
        if c.cell_type == "code" and not nbgrader_meta(c).get("solution")
    )
    names, editable = _names_of(cells)
    return copy.deepcopy(names), editable


@lru_cache(maxsize=32)  # one release serves every student of an assignment
def _names_of(cells: tuple[tuple[str, bool], ...]) -> tuple[Names, set[str]]:
    """`_release_names` of the release's code cells other than answers, given as (source, locked)."""
    names, editable = Names(), set()
    for source, locked in cells:
        parsed = parse_cell(source)
        if not locked:
            editable.update(line.strip() for line in source.splitlines() if line.strip())
        if parsed is None:
            continue
        names.learn(parsed[0])
        for name, _, origin in module_bindings(parsed[0]):
            if locked:
                names.protect(name, origin, "a locked cell")
            elif origin is not None:
                names.protect(name, origin, "the set-up")
    return names, editable


def _student_cells(nb: nbformat.NotebookNode) -> list[tuple[str, nbformat.NotebookNode]]:
    """(label, cell) of the code cells that are not locked, labelled by grade_id or code cell number."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [
        (nbgrader_meta(c).get("grade_id") or f"code cell {n}", c)
        for n, c in enumerate(code, start=1)
        if not nbgrader_meta(c).get("locked")
    ]


def scan(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> list[Finding]:
    """Every flagged line of the student's cells of `nb`, judged against the `release` notebook."""
    names, editable = _release_names(release)
    cells = [(label, cell, parse_cell(cell.source)) for label, cell in _student_cells(nb)]
    for _, _, parsed in cells:
        if parsed is not None:
            names.learn(parsed[0])
    findings = []
    for label, cell, parsed in cells:
        if parsed is None:
            continue
        tree, dropped = parsed
        scanner = Scanner(names)
        scanner.visit(tree)
        lines = cell.source.splitlines()
        reasons: dict[int, list[str]] = {}
        for line, why in scanner.hits + _rebinding(tree, names):
            reasons.setdefault(line + dropped, []).append(why)
        for line in sorted(reasons):
            text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            if text not in editable:
                findings.append(Finding(label, line, text, ", ".join(dict.fromkeys(reasons[line]))))
    return findings


def describe(findings: list[Finding], limit: int = 3) -> str:
    """The status message: the first `limit` findings and how many more there are."""
    more = f"; {len(findings) - limit} more flagged line(s)" if len(findings) > limit else ""
    return "flagged: " + "; ".join(str(f) for f in findings[:limit]) + more
