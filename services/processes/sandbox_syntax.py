"""What Python a process may contain, checked and rewritten before it runs.

The source is parsed and checked node by node against a small subset of Python (no
imports, no ``def``/``lambda``/``class``, no names or attributes starting with ``_``,
method calls only from a list of harmless ones on plain values), then rewritten so that
every operation that can grow memory or time goes through a guard of
:mod:`services.processes.sandbox_guards`. A checked source is compiled once.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

MAX_SOURCE = 20_000


class SandboxError(Exception):
    """What a user's expression did wrong, in their words, with the line when known."""

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"{message} (line {line})" if line else message)


_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.While,
    ast.Break,
    ast.Continue,
    ast.Pass,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Subscript,
    ast.Slice,
    ast.Attribute,
    ast.keyword,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)

_REFUSED_WORDS: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.With: "with is not allowed",
    ast.Try: "try is not allowed",
    ast.Raise: "raise is not allowed",
    ast.Delete: "del is not allowed",
    ast.NamedExpr: "the := operator is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed",
}

#: Methods a script may call on plain values (str, list, dict, set, tuple, numbers).
SAFE_METHODS: frozenset[str] = frozenset(
    {
        # str
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "rsplit",
        "replace",
        "title",
        "capitalize",
        "casefold",
        "find",
        "rfind",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "join",
        # str, list, tuple
        "count",
        "index",
        # dict
        "get",
        "keys",
        "values",
        "items",
        # list, dict, set (in-place changes of a script's own values)
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "sort",
        "reverse",
        "update",
        "add",
        "discard",
        "setdefault",
        "copy",
        "union",
        "intersection",
        "difference",
        "issubset",
        "issuperset",
    }
)


def _refuse(node: ast.AST, message: str) -> SandboxError:
    return SandboxError(message, getattr(node, "lineno", None))


def check(tree: ast.AST) -> None:
    """Raise :class:`SandboxError` at the first construct outside the allowed subset."""
    for node in ast.walk(tree):
        if type(node) in _REFUSED_WORDS:
            raise _refuse(node, _REFUSED_WORDS[type(node)])
        if not isinstance(node, _ALLOWED_NODES):
            raise _refuse(node, f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise _refuse(node, f"the name {node.id!r} is not allowed (names may not start with _)")
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise _refuse(node, f"the attribute {node.attr!r} is not allowed")
            if node.attr not in SAFE_METHODS:
                raise _refuse(node, f"the method {node.attr!r} is not allowed")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            raise _refuse(node, "format specifications in f-strings are not allowed")
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            raise _refuse(node, "bytes are not allowed")
    # A method may only be called, never read as a value (that would hand it around).
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (
            id(node) not in called or not isinstance(node.ctx, ast.Load)
        ):
            raise _refuse(node, f"{node.attr!r} may only be called")


class _Rewriter(ast.NodeTransformer):
    """Send every size- or time-making operation through the guards."""

    def _guard(self, name: str, *args: ast.expr, node: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])
        return ast.copy_location(call, node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        op = ast.Constant(value=type(node.op).__name__)
        return self._guard("__binop", op, node.left, node.right, node=node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        target = node.target
        load = ast.copy_location(
            ast.parse(ast.unparse(target), mode="eval").body,
            target,  # the same target, read
        )
        binop = ast.copy_location(ast.BinOp(left=load, op=node.op, right=node.value), node)
        assign = ast.copy_location(ast.Assign(targets=[target], value=binop), node)
        ast.fix_missing_locations(assign)
        return self.visit(assign)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = self._guard("__iter", node.iter, node=node.iter)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        tick = ast.copy_location(ast.Expr(value=self._guard("__tick", node=node)), node)
        node.body.insert(0, tick)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = self._guard("__iter", node.iter, node=node.iter)
        return node

    def _checked(self, node: ast.expr) -> ast.AST:
        self.generic_visit(node)
        return self._guard("__check", node, node=node)

    visit_ListComp = _checked
    visit_SetComp = _checked
    visit_DictComp = _checked
    visit_List = _checked
    visit_Dict = _checked
    visit_Set = _checked
    visit_JoinedStr = _checked

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = self._guard("__text", node.value, node=node.value)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = ast.Constant(value=node.func.attr)
            call = ast.Call(
                func=ast.Name(id="__method", ctx=ast.Load()),
                args=[owner, name, *node.args],
                keywords=node.keywords,
            )
            return ast.copy_location(call, node)
        return self._guard("__check", node, node=node)


def compile_source(source: str, mode: str) -> Any:
    """Check and rewrite ``source`` (``"eval"`` or ``"exec"``); raises :class:`SandboxError`."""
    if not isinstance(source, str):
        raise SandboxError("an expression must be text")
    return _compiled(source, mode)


@functools.lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> Any:
    # A diagram's expressions run again and again; checking and compiling once is enough
    # (a code object is never changed by running it). A refusal is not cached: it raises.
    if len(source) > MAX_SOURCE:
        raise SandboxError(f"longer than {MAX_SOURCE:,} characters")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as exc:
        raise SandboxError(f"syntax error: {exc.msg}", exc.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise SandboxError("too deeply nested") from None
    check(tree)
    tree = ast.fix_missing_locations(_Rewriter().visit(tree))
    try:
        return compile(tree, "<process>", mode)
    except (RecursionError, MemoryError, ValueError, SyntaxError):
        raise SandboxError("too deeply nested") from None
