"""Product code that reaches into a library's private internals, found by reading its source.

The libraries whose documented interfaces are the only ones the product may use (STYLE, issue 14)
are listed in LIBRARIES. An AST walk over the product packages reports:

- an underscore name imported from one of them (``from flask.globals import _cv_app``), or a
  private module of theirs (``import jinja2._identifier``);
- an underscore-named attribute read from an object that comes from one of them: a name imported
  from it, anything built, called, indexed or read from such a name (``limiter =
  Limiter(...)``; ``limiter._check_request_limit``, ``g._flask_babel``, ``env._parse``),
  a parameter annotated with one of its types, the same names imported from another product
  module, and ``getattr``/``hasattr``/``setattr`` or ``__dict__`` lookups with such a name;
- in a class built on one of their classes: ``super()._x``, ``self._x`` where the class does not
  define ``_x`` itself, and a method overriding one of the base's underscore methods;
- a comparison of some ``__name__`` with a private name (a hook looked up by its name).

Dunder names (``__init__``, ``__name__``, ``__table__``) are public, and so is SQLAlchemy's
documented underscore API of rows (PUBLIC_UNDERSCORE). The taint is followed within a module and
across the product's own imports; it is a reading, not type inference, so it errs on the side of
reporting (a finding names the line and what was read, for a reviewer to judge).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = frozenset(
    {
        "flask",
        "werkzeug",
        "jinja2",
        "flask_babel",
        "flask_wtf",
        "flask_limiter",
        "sqlalchemy",
        "celery",
        "kombu",
    }
)
PRODUCT_PACKAGES = ("tracker", "workers", "notifications", "web", "config")
# SQLAlchemy's Row: documented, underscored so as not to clash with column names.
PUBLIC_UNDERSCORE = frozenset({"_mapping", "_asdict", "_fields", "_t", "_tuple"})
_ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})


@dataclass(frozen=True)
class Finding:
    """One use of a library's internals: where, and what."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def is_private(name: str) -> bool:
    """An underscore name that is not a dunder, not ``_`` (gettext) and not Row's public API."""
    if name == "_" or name in PUBLIC_UNDERSCORE:
        return False
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_library(module: str | None) -> bool:
    """Whether ``module`` (a dotted name) belongs to one of LIBRARIES."""
    return module is not None and module.split(".")[0] in LIBRARIES


def scan(root: Path, packages: Iterable[str] = PRODUCT_PACKAGES) -> list[Finding]:
    """Every finding in the product packages under ``root``."""
    sources = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            sources[".".join(parts)] = (str(relative), path.read_text(encoding="utf-8"))
    return scan_sources(sources)


def scan_sources(sources: dict[str, tuple[str, str]]) -> list[Finding]:
    """Every finding in ``sources``: module name to (path shown, source text)."""
    trees = {name: ast.parse(text, filename=path) for name, (path, text) in sources.items()}
    exported = _library_exports(trees)
    findings: list[Finding] = []
    for name, tree in trees.items():
        walker = _Walker(sources[name][0], name, exported)
        walker.visit(tree)
        findings.extend(walker.findings)
    return sorted(set(findings), key=lambda f: (f.path, f.line, f.what))


def _library_exports(trees: dict[str, ast.Module]) -> dict[str, dict[str, str]]:
    """Per product module, its module-level names that hold library objects (to a fixed point,
    so that a name imported from another product module counts too)."""
    exported: dict[str, dict[str, str]] = {name: {} for name in trees}
    changed = True
    while changed:
        changed = False
        for name, tree in trees.items():
            walker = _Walker("", name, exported)
            for node in tree.body:
                walker.bind_statement(node)
            if walker.scopes[0] != exported[name]:
                exported[name] = dict(walker.scopes[0])
                changed = True
    return exported


class _Walker(ast.NodeVisitor):
    """One module's walk; ``scopes`` map names to the library object they stand for."""

    def __init__(self, path: str, module: str, exported: dict[str, dict[str, str]]) -> None:
        self.path = path
        self.module = module
        self.exported = exported
        self.scopes: list[dict[str, str]] = [{}]
        # The library classes a class being walked is built on, and the names it defines.
        self.classes: list[tuple[list[str], set[str]]] = []
        self.findings: list[Finding] = []

    # --- what a name or an expression stands for ----------------------------------------

    def origin(self, node: ast.AST | None) -> str | None:
        """The library object ``node`` comes from (a dotted name), or None."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            for scope in reversed(self.scopes):
                if node.id in scope:
                    return scope[node.id]
            return None
        if isinstance(node, ast.Attribute):
            base = self.origin(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            if self.is_super(node) and self.classes and self.classes[-1][0]:
                return self.classes[-1][0][0]
            return self.origin(node.func)
        if isinstance(node, ast.Subscript | ast.Await | ast.Starred):
            return self.origin(node.value)
        if isinstance(node, ast.BinOp):  # Flask | None
            return self.origin(node.left) or self.origin(node.right)
        return None

    def annotation_origin(self, node: ast.AST | None) -> str | None:
        """The library type an annotation names, written as code or as a string ("Flask")."""
        text = _constant_string(node) if node is not None else None
        if text is None:
            return self.origin(node)
        try:
            return self.origin(ast.parse(text, mode="eval").body)
        except SyntaxError:
            return None

    @staticmethod
    def is_super(node: ast.AST) -> bool:
        """Whether ``node`` is a ``super()`` call."""
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "super"
        )

    def bind(self, target: ast.AST, origin: str | None) -> None:
        """Record (or forget) what the names in ``target`` stand for."""
        if isinstance(target, ast.Name):
            if origin:
                self.scopes[-1][target.id] = origin
            else:
                self.scopes[-1].pop(target.id, None)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind(element, origin)

    def bind_statement(self, node: ast.stmt) -> None:
        """The names a module-level statement binds (imports, assignments, classes)."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_library(alias.name):
                    self.scopes[-1][alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if is_library(node.module):
                    self.scopes[-1][alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif alias.name in self.exported.get(node.module, {}):
                    origin = self.exported[node.module][alias.name]
                    self.scopes[-1][alias.asname or alias.name] = origin
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self.bind(target, self.origin(node.value))
        elif isinstance(node, ast.AnnAssign):
            self.bind(
                node.target, self.origin(node.value) or self.annotation_origin(node.annotation)
            )
        elif isinstance(node, ast.ClassDef):
            bases = [b for b in (self.origin(base) for base in node.bases) if b]
            if bases:
                self.scopes[-1][node.name] = bases[0]

    # --- the findings ----------------------------------------------------------------------

    def report(self, node: ast.AST, what: str) -> None:
        """Note a finding at ``node``'s line."""
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if is_library(alias.name) and any(is_private(p) for p in alias.name.split(".")):
                self.report(node, f"imports the private module {alias.name}")
        self.bind_statement(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if is_library(node.module):
            for alias in node.names:
                if is_private(alias.name):
                    self.report(node, f"imports {alias.name} from {node.module}")
            if any(is_private(part) for part in (node.module or "").split(".")):
                self.report(node, f"imports from the private module {node.module}")
        self.bind_statement(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        self.bind_statement(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self.bind_statement(node)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.bind(node.target, self.origin(node.iter))
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.visit(node.iter)
        self.bind(node.target, self.origin(node.iter))
        for condition in node.ifs:
            self.visit(condition)

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self.bind(node.optional_vars, self.origin(node.context_expr))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.visit(base)
        bases = [b for b in (self.origin(base) for base in node.bases) if b]
        defined = _names_defined_by(node)
        if bases:
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    name = statement.name
                    if is_private(name) and any(_has_attribute(b, name) for b in bases):
                        self.report(statement, f"overrides {name} of {bases[0]}")
        self.classes.append((bases, defined))
        self.scopes.append({})
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()
        self.classes.pop()
        self.bind_statement(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        scope: dict[str, str] = {}
        arguments = node.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            origin = self.annotation_origin(argument.annotation)
            if origin:
                scope[argument.arg] = origin
        self.scopes.append(scope)
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.generic_visit(node)
        if not is_private(node.attr):
            return
        value = node.value
        if self.classes and self.classes[-1][0]:
            bases, defined = self.classes[-1]
            if self.is_super(value):
                self.report(node, f"reads {node.attr} of {bases[0]} (super())")
                return
            if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                if node.attr not in defined:
                    self.report(node, f"reads {value.id}.{node.attr}, not defined by the class")
                return
        origin = self.origin(value)
        if origin:
            self.report(node, f"reads {ast.unparse(node)} ({origin})")

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        name = _constant_string(node.args[1]) if len(node.args) > 1 else None
        if (
            isinstance(func, ast.Name)
            and func.id in _ATTRIBUTE_FUNCTIONS
            and name is not None
            and is_private(name)
            and self.origin(node.args[0])
        ):
            self.report(node, f"{func.id}() of {name} on {ast.unparse(node.args[0])}")
        key = _constant_string(node.args[0]) if node.args else None
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "pop", "setdefault")
            and _is_dict_of(func.value)
            and key is not None
            and is_private(key)
            and self.origin(func.value)
        ):
            self.report(node, f"looks {key} up in {ast.unparse(func.value)}")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.generic_visit(node)
        key = _constant_string(node.slice)
        if (
            _is_dict_of(node.value)
            and key is not None
            and is_private(key)
            and self.origin(node.value)
        ):
            self.report(node, f"looks {key} up in {ast.unparse(node.value)}")

    def visit_Compare(self, node: ast.Compare) -> None:
        self.generic_visit(node)
        sides = [node.left, *node.comparators]
        names = [s for s in (_constant_string(side) for side in sides) if s and is_private(s)]
        if names and any("__name__" in ast.unparse(side) for side in sides):
            self.report(node, f"finds something by the private name {names[0]}")


def _constant_string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_dict_of(node: ast.AST) -> bool:
    """Whether ``node`` reads some object's ``__dict__``."""
    return isinstance(node, ast.Attribute) and node.attr == "__dict__"


def _names_defined_by(node: ast.ClassDef) -> set[str]:
    """The attributes a class defines: its methods and class attributes, ``self.x = ...``."""
    defined: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(child.name)
        targets: list[ast.AST] = []
        if isinstance(child, ast.Assign):
            targets = list(child.targets)
        elif isinstance(child, ast.AnnAssign | ast.AugAssign):
            targets = [child.target]
        for target in _flatten(targets):
            if isinstance(target, ast.Name):
                defined.add(target.id)
            elif (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id in ("self", "cls")
            ):
                defined.add(target.attr)
    return defined


def _flatten(targets: Iterable[ast.AST]) -> Iterator[ast.AST]:
    for target in targets:
        if isinstance(target, ast.Tuple | ast.List):
            yield from _flatten(target.elts)
        else:
            yield target


def _has_attribute(dotted: str, name: str) -> bool:
    """Whether the library object ``dotted`` (``flask.templating.Environment``) has ``name``;
    True when it cannot be imported here (then an override is reported, to be looked at)."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for part in parts[split:]:
                found = getattr(found, part)
        except AttributeError:
            return True
        return hasattr(found, name)
    return True
