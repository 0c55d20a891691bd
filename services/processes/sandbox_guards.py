"""What a process's Python may spend, and the functions it sees besides its data.

Loops and comprehensions count steps (:data:`MAX_STEPS`) and watch a wall-clock deadline
(:data:`MAX_SECONDS`), so ``while True: pass`` ends; ``*``, ``**``, ``<<``, ``+`` and the
size-making methods check the size of what they would build *before* building it
(:data:`MAX_LENGTH` items or characters, :data:`MAX_INT_BITS` for integers), and every
value made is charged to a budget (:data:`MAX_ALLOCATED`), so ``"a" * 10**10`` and
``10**10**10`` fail at once.
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .sandbox_syntax import SAFE_METHODS, SandboxError

MAX_STEPS = 200_000
MAX_SECONDS = 1.0
MAX_LENGTH = 100_000
MAX_INT_BITS = 4_096
MAX_ALLOCATED = 5_000_000

#: The values whose harmless methods (:data:`SAFE_METHODS`) a script may call.
SAFE_TYPES = (str, list, dict, set, tuple, int, float, bool, frozenset)


class Budget:
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


def make_guards(budget: Budget) -> dict[str, Any]:
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
        if not isinstance(owner, SAFE_TYPES) or name not in SAFE_METHODS:
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
