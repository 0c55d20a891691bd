"""The sandbox for what users write in a process: gateway conditions, start conditions,
script tasks, timer and parameter expressions.

A diagram is data from any administrator, so its Python must not reach the host. The
source is parsed and checked node by node against a small subset of Python (no
imports, no ``def``/``lambda``/``class``, no names or attributes starting with ``_``,
method calls only from a list of harmless ones on plain values), then rewritten so
that every operation that can grow memory or time goes through a guard:

- loops and comprehensions count steps (:data:`MAX_STEPS`) and watch a wall-clock
  deadline (:data:`MAX_SECONDS`), so ``while True: pass`` ends;
- ``*``, ``**``, ``<<``, ``+`` and the size-making methods check the size of what
  they would build *before* building it (:data:`MAX_LENGTH` items or characters,
  :data:`MAX_INT_BITS` for integers), and every value made is charged to a budget
  (:data:`MAX_ALLOCATED`), so ``"a" * 10**10`` and ``10**10**10`` fail at once.

Without imports, attributes or the real builtins there is no way to a file, a socket
or a process: the names a script sees are its data and the functions below. Pure
Python, no I/O: the engine calls :func:`evaluate` and :func:`execute`.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

MAX_SOURCE = 20_000
MAX_STEPS = 200_000
MAX_SECONDS = 1.0
MAX_LENGTH = 100_000
MAX_INT_BITS = 4_096
MAX_ALLOCATED = 5_000_000


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
_SAFE_TYPES = (str, list, dict, set, tuple, int, float, bool, frozenset)


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


class _Budget:
    """The steps, time and memory one evaluation may use."""

    def __init__(self) -> None:
        self.steps = 0
        self.allocated = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise SandboxError(f"took more than {MAX_STEPS:,} steps")
        if time.monotonic() > self.deadline:
            raise SandboxError(f"took longer than {MAX_SECONDS:g} s")

    def charge(self, value: Any) -> Any:
        size = _size(value)
        if size > MAX_LENGTH:
            raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        self.allocated += size
        if self.allocated > MAX_ALLOCATED:
            raise SandboxError("used too much memory")
        if _int_bits(value) > MAX_INT_BITS:
            raise SandboxError("a number this large is not allowed")
        return value


def _size(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)):
        return len(value)
    return 1


def _length_of(value: Any) -> int | None:
    if isinstance(value, (str, list, tuple)):
        return len(value)
    return None


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.add,
    "Sub": operator.sub,
    "Mult": operator.mul,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": operator.mod,
    "Pow": operator.pow,
    "LShift": operator.lshift,
    "RShift": operator.rshift,
    "BitOr": operator.or_,
    "BitAnd": operator.and_,
    "BitXor": operator.xor,
}


def _int_bits(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value.bit_length()


def _make_guards(budget: _Budget) -> dict[str, Any]:
    def binop(name: str, left: Any, right: Any) -> Any:
        fn = _BINOPS.get(name)
        if fn is None:
            raise SandboxError(f"the operator {name} is not allowed")
        if name == "Mod" and isinstance(left, str):
            raise SandboxError("%-formatting is not allowed; use an f-string")
        if name == "Mult":
            for seq, times in ((left, right), (right, left)):
                length = _length_of(seq)
                if length is not None and isinstance(times, int) and length * times > MAX_LENGTH:
                    raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
            if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
                raise SandboxError("a number this large is not allowed")
        if (
            name == "Pow"
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and max(_int_bits(left), 1) * right > MAX_INT_BITS
        ):
            raise SandboxError("a number this large is not allowed")
        if name == "LShift" and isinstance(right, int) and _int_bits(left) + right > MAX_INT_BITS:
            raise SandboxError("a number this large is not allowed")
        if name == "Add":
            a, b = _length_of(left), _length_of(right)
            if a is not None and b is not None and a + b > MAX_LENGTH:
                raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        try:
            return budget.charge(fn(left, right))
        except OverflowError:
            raise SandboxError("a number this large is not allowed") from None

    def iterate(values: Iterable[Any]) -> Iterator[Any]:
        if isinstance(values, (int, float)) or values is None:
            raise SandboxError(f"{type(values).__name__} is not iterable")
        for value in values:
            budget.tick()
            yield value

    def method(owner: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(owner, _SAFE_TYPES) or name not in SAFE_METHODS:
            raise SandboxError(f"the method {name!r} is not allowed here")
        fn = getattr(owner, name, None)
        if fn is None:
            raise SandboxError(f"{type(owner).__name__} has no method {name!r}")
        if name == "replace" and isinstance(owner, str) and len(args) >= 2:
            grow = max(1, len(str(args[1])))
            if len(owner) * grow + grow > MAX_LENGTH:
                raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        if name == "join" and isinstance(owner, str) and args:
            items = list(iterate(args[0]))
            total = len(owner) * len(items) + sum(
                len(i) if isinstance(i, str) else 0 for i in items
            )
            if total > MAX_LENGTH:
                raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
            args = (items,)
        if name in ("extend", "update", "union") and args:
            extra = _size(args[0])
            if _size(owner) + extra > MAX_LENGTH:
                raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        if name in ("append", "insert", "add", "setdefault") and _size(owner) + 1 > MAX_LENGTH:
            raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        budget.tick()
        return budget.charge(fn(*args, **kwargs))

    def checked(value: Any) -> Any:
        if callable(value) and not isinstance(value, type):
            # a function read as a value is fine to call later, but not to return
            return value
        return budget.charge(value)

    def tick() -> None:
        budget.tick()

    def text(value: Any) -> Any:
        if _text_size(value) > MAX_LENGTH:
            raise SandboxError(f"a value longer than {MAX_LENGTH:,} is not allowed")
        return value

    def as_text(value: Any = "") -> str:
        return budget.charge(str(text(value)))

    return {
        "__binop": binop,
        "__iter": iterate,
        "__method": method,
        "__check": checked,
        "__tick": tick,
        "__text": text,
        "str": as_text,
    }


def _text_size(value: Any, limit: int = MAX_LENGTH) -> int:
    """About how long ``str(value)`` would be, counted only up to just past ``limit``
    (so a list of a million long strings is not turned into text to learn it is long)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 24
    return total


def _safe_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_LENGTH:
        raise SandboxError(f"a range longer than {MAX_LENGTH:,} is not allowed")
    return values


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _today() -> str:
    return date.today().isoformat()


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _days_since(value: str) -> float:
    """Days from an ISO time (or date) to now: ``days_since(record["created_at"]) > 2``."""
    return (datetime.now(UTC) - _parse_time(value)).total_seconds() / 86_400


def _add_days(value: str, days: float) -> str:
    return (_parse_time(value) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def _number(value: Any) -> float:
    """A decimal string (money travels as strings) as a number; None and "" as 0."""
    if value in (None, ""):
        return 0.0
    result = float(value)
    if math.isnan(result):
        raise SandboxError("not a number")
    return result


#: The functions every expression sees besides its data.
SAFE_FUNCTIONS: dict[str, Any] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "enumerate": enumerate,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": _safe_range,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    "now": _now,
    "today": _today,
    "days_since": _days_since,
    "add_days": _add_days,
    "number": _number,
}


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


def _namespace(data: dict[str, Any], budget: _Budget) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update(SAFE_FUNCTIONS)
    namespace.update(_make_guards(budget))
    for key, value in data.items():
        if isinstance(key, str) and not key.startswith("_") and key not in SAFE_FUNCTIONS:
            namespace[key] = value
    return namespace


def _run(code: Any, namespace: dict[str, Any], mode: str) -> Any:
    try:
        return eval(code, namespace) if mode == "eval" else exec(code, namespace)  # noqa: S307
    except SandboxError:
        raise
    except RecursionError:
        raise SandboxError("too deeply nested") from None
    except MemoryError:
        raise SandboxError("used too much memory") from None
    except Exception as exc:  # noqa: BLE001 - a user's mistake, told in their words
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<process>":
                line = tb.tb_lineno
            tb = tb.tb_next
        raise SandboxError(f"{type(exc).__name__}: {exc}", line) from None


def evaluate(expression: str, data: dict[str, Any] | None = None) -> Any:
    """The value of one expression over ``data`` (a gateway condition, a parameter)."""
    code = compile_source(expression, "eval")
    budget = _Budget()
    return _run(code, _namespace(data or {}, budget), "eval")


def execute(script: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a script task over ``data``; returns the variables it set or changed
    (only JSON-like values: a script cannot leave a function in the process data)."""
    code = compile_source(script, "exec")
    budget = _Budget()
    namespace = _namespace(data, budget)
    before = {k: namespace[k] for k in namespace if k in data}
    _run(code, namespace, "exec")
    changed: dict[str, Any] = {}
    for key, value in namespace.items():
        if key.startswith("_") or key in SAFE_FUNCTIONS or key == "__builtins__":
            continue
        if callable(value) or isinstance(value, (range, type(iter([])))):
            continue
        if key not in before or before[key] is not value or key in data:
            changed[key] = value
    return changed


def validate(source: str, mode: str = "eval") -> None:
    """Raise :class:`SandboxError` if ``source`` would be refused (used at deploy)."""
    compile_source(source, mode)
