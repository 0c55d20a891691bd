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
or a process: the names a script sees are its data and :data:`SAFE_FUNCTIONS`. Pure
Python, no I/O: the engine calls :func:`evaluate` and :func:`execute`. The check and
the rewriting are in :mod:`~services.processes.sandbox_syntax`, the budget, the guards and
the functions in :mod:`~services.processes.sandbox_guards`; this module runs them.
"""

from __future__ import annotations

from typing import Any

from .sandbox_guards import (
    MAX_ALLOCATED,
    MAX_INT_BITS,
    MAX_LENGTH,
    MAX_SECONDS,
    MAX_STEPS,
    SAFE_FUNCTIONS,
    Budget,
    make_guards,
)
from .sandbox_syntax import MAX_SOURCE, SandboxError, check, compile_source

__all__ = [
    "MAX_ALLOCATED",
    "MAX_INT_BITS",
    "MAX_LENGTH",
    "MAX_SECONDS",
    "MAX_SOURCE",
    "MAX_STEPS",
    "SAFE_FUNCTIONS",
    "SandboxError",
    "check",
    "compile_source",
    "evaluate",
    "execute",
    "validate",
]


def _namespace(data: dict[str, Any], budget: Budget) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update(SAFE_FUNCTIONS)
    namespace.update(make_guards(budget))
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
    budget = Budget()
    return _run(code, _namespace(data or {}, budget), "eval")


def execute(script: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a script task over ``data``; returns the variables it set or changed
    (only JSON-like values: a script cannot leave a function in the process data)."""
    code = compile_source(script, "exec")
    budget = Budget()
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
