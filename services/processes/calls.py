"""Sending the CRM actions a committed step asked for, and taking the step each answer
completes.

:func:`dispatch` claims each call first (pending → sent, committed), so it is sent once;
an action's answer is a step of its own (:func:`answer`) that completes the waiting
service task. A call the worker could not send (it died) is sent by the sweeper
(:mod:`services.processes.timers`), so nothing asked for is forgotten. What sending
needs from a part — the action timeout, the webhook client, the other services'
proxies — travels in one :class:`Outbound`, made by :func:`outbound_of`.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import eventlet
from nameko.exceptions import UnknownService

from services.platform.db import ServiceSession
from services.platform.errors import OspreyError
from services.platform.events import utcnow

from . import actions, domain, store
from .dependencies import WebhookClient
from .engine import Engine, StepFailed
from .steps import complete_user_task, entry, json_safe, take_step, write_log

log = logging.getLogger(__name__)

#: The services an action may call, each through the part's ``<name>_rpc`` proxy.
SERVICES = ("leads", "sales", "orders", "feed", "mail")


@dataclass(frozen=True)
class Outbound:
    """What sending a call needs: how long to wait, the webhook client, the proxies."""

    action_timeout: float
    webhooks: WebhookClient
    proxies: dict[str, Any]


def outbound_of(part: Any) -> Outbound:
    """The :class:`Outbound` of a worker of the service (its injected providers)."""
    return Outbound(
        action_timeout=part.settings.action_timeout,
        webhooks=part.webhooks,
        proxies={name: getattr(part, f"{name}_rpc") for name in SERVICES},
    )


def dispatch(db: ServiceSession, engine: Engine, outbound: Outbound, keys: list[str]) -> None:
    """Send the calls a committed step asked for, and apply their answers. Each
    call is claimed first (pending → sent, committed), so it is sent once."""
    claimed = store.claim_calls(db, keys, utcnow())
    db.commit()
    if not claimed:
        return
    names = {}
    for row in claimed:
        if row.instance_id not in names:
            names[row.instance_id] = store.instance(db, row.instance_id).name
    db.rollback()  # no transaction held while waiting for other services
    # The green threads share no session: send_call only talks to other services.
    pool = eventlet.GreenPool(size=10)
    answers = list(
        pool.imap(
            lambda r: send_call(outbound, r, domain.process_actor(names[r.instance_id])), claimed
        )
    )
    for row, (ok, value) in zip(claimed, answers, strict=True):
        if ok is None:
            continue  # no answer in time: in doubt, the sweeper decides
        more = answer(db, engine, row, ok, value)
        db.commit()
        if more:
            dispatch(db, engine, outbound, more)


def send_call(outbound: Outbound, row: Any, actor: dict[str, Any]) -> tuple[bool | None, Any]:
    """(True, result) | (False, error dict) | (None, None) when no answer came."""
    try:
        call = actions.build_any_call(row.operation, row.params)
    except actions.ActionError as exc:
        return False, {"type": "ValidationFailed", "message": str(exc), "errors": []}
    try:
        with eventlet.Timeout(outbound.action_timeout):
            if call.service is None:
                return True, outbound.webhooks.send(
                    call.args[0], call.args[1], call.args[2], row.key
                )
            proxy = outbound.proxies.get(call.service)
            if proxy is None:
                return False, {
                    "type": "Unavailable",
                    "message": f"the {call.service} service is not installed",
                    "errors": [],
                }
            kwargs = {**call.kwargs, "idempotency_key": row.key} if call.keyed else call.kwargs
            return True, getattr(proxy, call.method)(*call.args, actor=actor, **kwargs)
    except eventlet.Timeout:
        return None, None
    except OspreyError as exc:
        return False, {"type": type(exc).__name__, "message": exc.message, "errors": exc.errors}
    except UnknownService:
        # no queue: nothing was delivered, so nothing happened; safe to ask again later
        message = f"the {call.service} service is not running"
        return False, {"type": "Unavailable", "message": message, "errors": []}
    except Exception as exc:  # noqa: BLE001 - any failure of the far side is the step's error
        log.warning("action %s failed: %s", row.key, exc)
        return False, {"type": type(exc).__name__, "message": str(exc)[:500], "errors": []}


def answer(db: ServiceSession, engine: Engine, row: Any, ok: bool, value: Any) -> list[str]:
    """Record a call's answer and take the step it completes (not committed)."""
    now = utcnow()
    state = "done" if ok else "failed"
    result = json_safe(value) if ok else None
    if not store.finish_call(db, row.key, state, now, result=result, error=None if ok else value):
        return []  # answered already (the sweeper and a worker raced): once is enough
    if row.purpose == "user_task":
        if ok and isinstance(value, dict) and value.get("id"):
            state = store.set_task_activity(db, row.instance_id, row.task_id, value["id"])
            more = settle_late_activity(db, row, value["id"], state)
            if state == "open":
                more += complete_parked(db, engine, row, value["id"])
            write_log(
                db,
                row.instance_id,
                [
                    entry(
                        "activity_created",
                        element_id=row.element_id,
                        task_id=row.task_id,
                        data={"activity_id": value["id"]},
                    )
                ],
                None,
                now,
            )
        elif not ok:
            write_log(
                db,
                row.instance_id,
                [
                    entry(
                        "activity_failed",
                        element_id=row.element_id,
                        task_id=row.task_id,
                        data=value,
                    )
                ],
                None,
                now,
            )
        return more if ok and isinstance(value, dict) and value.get("id") else []
    if row.purpose == "cleanup":
        return []
    if ok:

        def complete(workflow: Any, _row: Any) -> list[dict[str, Any]]:
            try:
                engine.complete_task(workflow, row.task_id, {"result": result})
            except (KeyError, ValueError):
                return [entry("answer_ignored", element_id=row.element_id, task_id=row.task_id)]
            return [
                entry(
                    "action_done",
                    element_id=row.element_id,
                    task_id=row.task_id,
                    data={"operation": row.operation, "result": result},
                )
            ]

        return take_step(db, engine, row.instance_id, complete, None)
    failure = StepFailed(f"{row.operation}: {value.get('message')}", row.task_id, row.element_id)

    def fail(workflow: Any, _row: Any) -> list[dict[str, Any]]:
        with contextlib.suppress(KeyError, ValueError):
            engine.fail_task(workflow, row.task_id)
        return [
            entry(
                "action_failed",
                element_id=row.element_id,
                task_id=row.task_id,
                data={"operation": row.operation, "error": value},
            )
        ]

    return take_step(db, engine, row.instance_id, fail, None, failure_of_change=failure)


def complete_parked(db: ServiceSession, engine: Engine, row: Any, activity_id: str) -> list[str]:
    """The activity was completed before this answer named it (the event came first and
    was parked): its task is completed now, as the event would have."""
    parked = store.take_parked_completion(db, activity_id)
    if parked is None:
        return []
    task = store.task_of(db, row.instance_id, row.task_id)
    if task is None or task.state != "open":
        return []
    return complete_user_task(db, engine, task, parked.data, parked.actor)


def settle_late_activity(
    db: ServiceSession, row: Any, activity_id: str, state: str | None
) -> list[str]:
    """A task done or cancelled before its activity existed: close the activity too."""
    if state not in ("completed", "cancelled"):
        return []
    operation = "complete_activity" if state == "completed" else "cancel_activity"
    key = domain.idempotency_key(row.instance_id, row.task_id, operation.split("_")[0])
    values = {
        "key": key,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "element_id": row.element_id,
        "operation": operation,
        "params": {"activity_id": activity_id, "data": None},
        "purpose": "cleanup",
    }
    return [key] if store.request_call(db, values) else []
