"""Many creates and changes in one call: a part of the sales service.

A sync's first pass (Exchange, Google) brings thousands of contacts and meetings; one
RPC per record made the broker's round trip the whole cost. ``batch`` takes a list of
operations and runs each through the very entrypoint a single call reaches
(``create_contact``, ``update_activity``, ...), so every check that entrypoint makes
— the caller's rights, the record's scope, validation, look-alikes, idempotency keys —
applies to each operation unchanged, and each is its own transaction (committed by
that entrypoint, as a single call is): one operation refused leaves the others done.
"""

from __future__ import annotations

from typing import Any

from services.platform.errors import EXPECTED, OspreyError, ValidationFailed
from services.platform.rpc import rpc

from .dependencies import SalesBase

#: The most operations one call may carry.
MAX_OPERATIONS = 500

#: (entity, op) → (entrypoint, the operation's keys passed on as keyword arguments).
#: ``data`` goes first and ``id`` before it where the entrypoint takes one.
OPERATIONS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("contact", "create"): ("create_contact", ("allow_duplicates", "idempotency_key")),
    ("contact", "update"): ("update_contact", ("expected_version",)),
    ("contact", "get"): ("get_contact", ()),
    ("contact", "check_duplicates"): ("check_contact_duplicates", ()),
    ("account", "create"): ("create_account", ("allow_duplicates", "idempotency_key")),
    ("account", "update"): ("update_account", ("expected_version",)),
    ("activity", "create"): ("create_activity", ("idempotency_key",)),
    ("activity", "update"): ("update_activity", ("expected_version",)),
    ("activity", "get"): ("get_activity", ()),
}

_TAKES_ID = {"update", "get"}
_TAKES_DATA = {"create", "update", "check_duplicates"}


def _failed(position: int, field: str, message: str) -> ValidationFailed:
    where = f"operations[{position}].{field}"
    return ValidationFailed(f"{where}: {message}", [{"field": where, "message": message}])


def plan(operations: Any) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """Each operation as (entrypoint, positional arguments before ``actor``, keyword
    arguments); the whole list is checked before anything runs.

    Raises ``ValidationFailed`` naming the first operation at fault.
    """
    if not isinstance(operations, list):
        raise ValidationFailed(
            "operations: must be a list", [{"field": "operations", "message": "must be a list"}]
        )
    if len(operations) > MAX_OPERATIONS:
        raise ValidationFailed(
            f"operations: at most {MAX_OPERATIONS} in one call",
            [{"field": "operations", "message": f"at most {MAX_OPERATIONS} in one call"}],
        )
    planned = []
    for n, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise _failed(n, "op", "must be an object")
        key = (operation.get("entity"), operation.get("op"))
        if key not in OPERATIONS:
            choices = ", ".join(sorted(f"{e}.{o}" for e, o in OPERATIONS))
            raise _failed(n, "op", f"must be one of {choices}")
        entrypoint, options = OPERATIONS[key]
        args: list[Any] = []
        if key[1] in _TAKES_ID:
            if not isinstance(operation.get("id"), str):
                raise _failed(n, "id", "is required")
            args.append(operation["id"])
        if key[1] in _TAKES_DATA:
            if not isinstance(operation.get("data"), dict):
                raise _failed(n, "data", "must be an object")
            args.append(operation["data"])
        kwargs = {name: operation[name] for name in options if name in operation}
        unknown = set(operation) - {"entity", "op", "id", "data", *options}
        if unknown:
            raise _failed(n, sorted(unknown)[0], "is not taken by this operation")
        planned.append((entrypoint, args, kwargs))
    return planned


def failure(error: OspreyError) -> dict[str, Any]:
    """An operation's refusal as its answer: the error's name and its problem fields."""
    return {"ok": False, "error": {"type": type(error).__name__, **error.to_dict()}}


class BatchRpc(SalesBase):
    """``batch``: many creates, changes and reads of contacts, accounts and activities."""

    @rpc(expected_exceptions=EXPECTED)
    def batch(self, operations: list[dict[str, Any]], actor: dict[str, Any]) -> list[dict]:
        """Run up to 500 operations in order, each as its own call would; an answer each.

        An operation is ``{entity, op, id?, data?, ...}``: ``contact``/``account``
        ``create`` (``data``, ``allow_duplicates``, ``idempotency_key``) and ``update``
        (``id``, ``data``, ``expected_version``), ``contact`` ``get`` and
        ``check_duplicates`` (``data``), ``activity`` ``create`` (``data``,
        ``idempotency_key``), ``update`` and ``get``. The answer at each position is
        ``{"ok": true, "result": ...}`` (what the single call returns) or ``{"ok":
        false, "error": {type, message, errors, ...}}`` (what it raises:
        ``PermissionDenied``, ``ValidationFailed``, ``DuplicatesFound`` with its
        candidates, ...). Raises ``ValidationFailed`` for a malformed list (nothing
        runs then).
        """
        answers: list[dict[str, Any]] = []
        for entrypoint, args, kwargs in plan(operations):
            try:
                result = getattr(self, entrypoint)(*args, actor=actor, **kwargs)
            except EXPECTED as error:
                self.db.rollback()  # what the refused operation began, nothing else
                answers.append(failure(error))
                continue
            answers.append({"ok": True, "result": result})
        return answers
