"""``run_record_batch``: one of a service's own record calls made for many records in
one RPC — what a bulk action's job sends (services/integrations/imports/bulk.py,
issue 21 point 6).

A bulk action does each selected record through the call a single change makes
(``update_<record>``, ``delete_<record>``, ``get_<record>``, the feed's
``create_post``), as the caller and with the version the caller saw. One RPC a record
made the broker's round trips and the RPC's own work most of a job's cost; here the
service runs those entrypoints itself, one after the other, each exactly as its RPC
would run it: the same checks of the caller's rights, the record's state and version,
its own transaction committed by the entrypoint (a refused one is rolled back and leaves
the others done), its events written to the outbox with its change. Only a service's
``update_*``, ``delete_*`` and ``get_*`` entrypoints and ``create_post`` can be run so:
nothing an RPC of its own could not do.

A service adds :class:`RecordBatchRpc` to its parts (leads, sales, orders, feed).
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.exceptions import RemoteError, UnknownService

from .errors import EXPECTED, OspreyError, ValidationFailed
from .rpc import rpc

log = logging.getLogger(__name__)

#: the most calls one batch carries
MAX_CALLS = 500
PREFIXES = ("update_", "delete_", "get_")
OTHERS = ("create_post",)


def reason_of(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and the words a refusal is told with: an Osprey error's own
    (with the fields it names), 503 for a service that is not there, else 500."""
    if isinstance(exc, OspreyError):
        detail = "; ".join(
            f"{e.get('field')}: {e.get('message')}" for e in exc.errors if e.get("message")
        )
        return exc.status, f"{exc.message} ({detail})" if detail else exc.message
    if isinstance(exc, UnknownService):
        return 503, "Service unavailable"
    return 500, "Internal server error"


def refusal(exc: BaseException) -> dict[str, Any]:
    """A call's answer when it raised ``exc``."""
    status, reason = reason_of(exc)
    return {"ok": False, "status": status, "reason": reason}


def _failed(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])


class RecordBatchRpc:
    """The ``run_record_batch`` entrypoint, for a service part whose base has ``db``."""

    db: Any

    @rpc(expected_exceptions=EXPECTED)
    def run_record_batch(
        self, method: str, calls: list[dict[str, Any]], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run ``method`` (an ``update_*``, ``delete_*`` or ``get_*`` entrypoint of this
        service, or ``create_post``) once for each of up to 500 ``calls`` ``{args,
        kwargs}``, in order, as ``actor``: an answer each, ``{ok: true}`` or ``{ok:
        false, status, reason}`` (what the single call would have raised, as a status
        and words). Raises ``ValidationFailed`` for another method or a malformed list
        (nothing runs then)."""
        entrypoint = getattr(type(self), method, None) if isinstance(method, str) else None
        if (
            entrypoint is None
            or not getattr(entrypoint, "nameko_entrypoints", None)
            or not (method.startswith(PREFIXES) or method in OTHERS)
        ):
            raise _failed("method", "an update_, delete_ or get_ entrypoint, or create_post")
        if not isinstance(calls, list) or len(calls) > MAX_CALLS:
            raise _failed("calls", f"a list of at most {MAX_CALLS} calls")
        planned = []
        for n, call in enumerate(calls):
            args = call.get("args", []) if isinstance(call, dict) else None
            kwargs = call.get("kwargs", {}) if isinstance(call, dict) else None
            if not isinstance(args, list) or not isinstance(kwargs, dict) or "actor" in kwargs:
                raise _failed(f"calls[{n}]", "{args: [...], kwargs: {...}} without actor")
            planned.append((args, kwargs))
        run = getattr(self, method)
        answers: list[dict[str, Any]] = []
        for args, kwargs in planned:
            before = set(self.db.info)
            try:
                run(*args, actor=actor, **kwargs)
                answers.append({"ok": True})
            except (OspreyError, RemoteError, UnknownService) as exc:
                answers.append(refusal(exc))
            except Exception as exc:  # noqa: BLE001 - one record's bug, not the others'
                log.exception("%s failed in a batch", method)
                answers.append(refusal(exc))
            # the next call starts as its own RPC would: no transaction (a refused call's
            # work rolled back), no objects and nothing it queued for its commit kept
            # (the outbox's ids stay: the relay is woken with them and sends what exists)
            self.db.rollback()
            self.db.expunge_all()
            for key in set(self.db.info) - before - {"outbox_ids"}:
                del self.db.info[key]
        return answers
