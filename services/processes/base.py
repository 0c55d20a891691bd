"""What every part of the processes service shares: one *step* of an instance, and the
sending of the CRM actions a step asked for.

A step is one transaction: lock the instance's row, load its workflow, change it (a
task completed, a signal caught, a timer due), let the engine run what it can, then
write what follows — the state and its indexed columns, the log, the calls to make
(``action_calls``: one row per idempotency key), the user tasks and their activities,
the events — and commit. Only then are the calls sent (:meth:`ProcessesBase._dispatch`):
an action's answer is a step of its own that completes the waiting service task. A
call the worker could not send (it died) is sent by the sweeper
(:mod:`services.processes.timers`), so nothing asked for is forgotten.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from services.platform.db import Database
from services.platform.errors import OspreyError
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from . import actions, domain, store
from .dependencies import EngineProvider, Settings, Webhooks
from .engine import Engine, StepFailed
from .models import metadata

log = logging.getLogger(__name__)

#: change(workflow, row) -> log entries (dicts) for the step; may raise to refuse
Change = Callable[[Any, Any], list[dict[str, Any]]]


def entry(
    kind: str,
    *,
    element_id: str | None = None,
    name: str | None = None,
    task_id: str | None = None,
    data: Any = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "element_id": element_id,
        "element_name": name,
        "task_id": task_id,
        "data": data,
    }


class ProcessesBase:
    """The shared steps; the ``@rpc`` methods and handlers live in the parts."""

    name = "processes"

    db = Database(metadata)
    engine: Engine = EngineProvider()
    settings = Settings()
    webhooks = Webhooks()

    leads_rpc = RpcProxy("leads")
    sales_rpc = RpcProxy("sales")
    orders_rpc = RpcProxy("orders")
    feed_rpc = RpcProxy("feed")
    mail_rpc = RpcProxy("mail")

    # --- starting -------------------------------------------------------------------

    def _start(
        self,
        definition: Any,
        version: Any,
        *,
        record_type: str | None,
        record_id: str | None,
        data: dict[str, Any],
        how: tuple[str, str],
        payload: dict[str, Any] | None,
        actor: dict[str, Any] | None,
    ) -> tuple[str, list[str]]:
        """Create and run an instance of ``version``; ``how`` is (kind, name) of its
        start: ``manual``, ``signal``, ``message`` or ``timer``. Not committed."""
        engine = self.engine
        workflow = engine.new_workflow(
            version.spec, {**data, "record_type": record_type, "record_id": record_id}
        )
        failure = engine.run(workflow)
        kind, name = how
        if failure is None and kind in ("signal", "message"):
            send = engine.send_signal if kind == "signal" else engine.send_message
            send(workflow, name, payload or {})
            failure = engine.run(workflow)
        snapshot = engine.snapshot(workflow, failure)
        now = utcnow()
        instance_id = new_id()
        owner_id, team_id = domain.instance_owner(data, actor)
        row = {
            "id": instance_id,
            "definition_id": definition.id,
            "version_id": version.id,
            "version_number": version.number,
            "name": definition.name,
            "status": snapshot.status,
            "record_type": record_type,
            "record_id": record_id,
            "state": engine.dump(workflow),
            "data": snapshot.data,
            "next_due_at": snapshot.next_due_at,
            "waiting_for": snapshot.waiting_for,
            "current": snapshot.current,
            "error": failure.to_dict() if failure else None,
            "started_by": _uuid_or_none((actor or {}).get("id")),
            "owner_id": owner_id,
            "team_id": team_id,
            "start_event": kind,
            "started_at": now,
            "updated_at": now,
            "ended_at": now if snapshot.status == "completed" else None,
        }
        store.insert_instance(self.db, row)
        started = entry("started", data={"how": kind, "event": name, "version": version.number})
        keys = self._follow(
            _Row(row), workflow, snapshot, failure, [started], actor, previous_status=None
        )
        self.db.emit(
            "process_instance_started",
            _event_data(row, definition.name),
            actor=actor,
        )
        return instance_id, keys

    # --- one step -------------------------------------------------------------------

    def _version(self, version_id: str) -> Any:
        """A definition version (cached: a saved version never changes what it runs)."""
        cache = self.engine.versions
        version = cache.get(version_id)
        if version is None:
            version = store.version_by_id(self.db, version_id)
            if len(cache) > 500:
                cache.clear()
            cache[version_id] = version
        return version

    def _step(
        self,
        instance_id: str,
        change: Change | None,
        actor: dict[str, Any] | None,
        *,
        failure_of_change: StepFailed | None = None,
        skip_locked: bool = False,
        locked: Any = None,
    ) -> list[str]:
        """Lock, load, change, run, save one instance (not committed); the call keys
        to send after commit. With ``skip_locked`` an instance another worker holds is
        left alone (returns []); ``locked`` is its row when this transaction holds it."""
        row = locked or store.instance(
            self.db, instance_id, for_update=True, skip_locked=skip_locked
        )
        if row is None or row.status in ("completed", "cancelled"):
            return []  # an ended instance takes no more steps (a late answer, a late event)
        version = self._version(row.version_id)
        workflow = self.engine.load(version.spec, row.state)
        try:
            entries = change(workflow, row) if change is not None else []
        except StepFailed as exc:
            entries, failure_of_change = [], exc
        failure = failure_of_change or self.engine.run(workflow)
        if failure_of_change is not None:
            # the failed task stays failed; the other branches still run
            self.engine.run(workflow)
        snapshot = self.engine.snapshot(workflow, failure)
        values = {
            "status": snapshot.status,
            "state": self.engine.dump(workflow),
            "data": snapshot.data,
            "next_due_at": snapshot.next_due_at,
            "waiting_for": snapshot.waiting_for,
            "current": snapshot.current,
            "error": failure.to_dict()
            if failure
            else (row.error if snapshot.status == "failed" else None),
            "updated_at": utcnow(),
        }
        if snapshot.status == "completed" and row.ended_at is None:
            values["ended_at"] = values["updated_at"]
        store.save_instance(self.db, instance_id, values)
        merged = _Row({**row._mapping, **values})
        keys = self._follow(
            merged,
            workflow,
            snapshot,
            failure,
            entries,
            actor,
            previous_status=row.status,
            user_tasks=bool(version.summary.get("user_tasks")),
        )
        if snapshot.status == "waiting" and row.inbox:
            keys += self._read_inbox(instance_id, list(row.inbox), snapshot.waiting_for)
        return keys

    def _read_inbox(self, instance_id: str, inbox: list[dict], waiting_for: list[str]) -> list[str]:
        """Deliver the oldest kept event the instance now waits for; those before it
        that it does not wait for are dropped (as a signal nobody waits for is)."""
        while inbox:
            kept = inbox.pop(0)
            if f"signal:{kept['name']}" in waiting_for:
                store.set_inbox(self.db, instance_id, inbox)
                deliver = self._deliver_signal(kept["name"], kept["data"], kept=True)
                return self._step(instance_id, deliver, kept.get("actor"))
        store.set_inbox(self.db, instance_id, [])
        return []

    def _deliver_signal(
        self, name: str, process_data: dict[str, Any], kept: bool = False
    ) -> Change:
        def deliver(workflow: Any, _row: Any) -> list[dict[str, Any]]:
            # the waiting tasks see the record as the event carries it now
            self.engine.put_data(workflow, process_data)
            caught = self.engine.send_signal(workflow, name, process_data)
            data = {"event": name, "caught": caught, **({"kept": True} if kept else {})}
            return [entry("event_caught", data=data)]

        return deliver

    def _follow(
        self,
        row: Any,
        workflow: Any,
        snapshot: Any,
        failure: StepFailed | None,
        entries: list[dict[str, Any]],
        actor: dict[str, Any] | None,
        *,
        previous_status: str | None,
        user_tasks: bool = True,
    ) -> list[str]:
        """Everything a step implies besides the state: calls, tasks, log, events.
        (``user_tasks`` false: the version has none, so there are none to look up.)"""
        db, now = self.db, utcnow()
        keys: list[str] = []
        names = {c["element_id"]: c.get("name") for c in snapshot.current}
        for call in snapshot.calls:
            key = domain.idempotency_key(row.id, call["task_id"], "action")
            if store.request_call(
                db,
                {
                    "key": key,
                    "instance_id": row.id,
                    "task_id": call["task_id"],
                    "element_id": call["element_id"],
                    "operation": call["operation"],
                    "params": call["params"],
                    "purpose": "service_task",
                },
            ):
                keys.append(key)
                entries.append(
                    entry(
                        "action_requested",
                        element_id=call["element_id"],
                        name=call["name"],
                        task_id=call["task_id"],
                        data={"operation": call["operation"], "params": call["params"], "key": key},
                    )
                )
        known = store.task_ids_of(db, row.id) if user_tasks or snapshot.user_tasks else {}
        for task in snapshot.user_tasks:
            if task["task_id"] in known:
                continue
            plan = domain.user_task_plan(task, row._mapping, now)
            store.insert_task(
                db,
                {
                    "instance_id": row.id,
                    "task_id": task["task_id"],
                    "element_id": task["element_id"],
                    "name": task["name"][:300],
                    "assignee_id": plan["assignee_id"],
                    "candidate_role": plan["candidate_role"],
                    "state": "open",
                    "form": plan["form"],
                    "record_type": row.record_type,
                    "record_id": row.record_id,
                    "due_at": plan["due_at"],
                    "created_at": now,
                },
            )
            key = domain.idempotency_key(row.id, task["task_id"], "activity")
            if store.request_call(
                db,
                {
                    "key": key,
                    "instance_id": row.id,
                    "task_id": task["task_id"],
                    "element_id": task["element_id"],
                    "operation": "create_activity",
                    "params": {"data": plan["activity"]},
                    "purpose": "user_task",
                },
            ):
                keys.append(key)
            entries.append(
                entry(
                    "task_created",
                    element_id=task["element_id"],
                    name=task["name"],
                    task_id=task["task_id"],
                    data={
                        "assignee_id": plan["assignee_id"],
                        "candidate_role": plan["candidate_role"],
                    },
                )
            )
            db.emit(
                "process_task_created",
                {
                    "instance_id": row.id,
                    "task_id": task["task_id"],
                    "name": task["name"],
                    "assignee_id": plan["assignee_id"],
                    "candidate_role": plan["candidate_role"],
                    "record_type": row.record_type,
                    "record_id": row.record_id,
                },
            )
        # User tasks that ended without a person (a boundary timer, a cancel): close them.
        open_tasks = {k: v for k, v in known.items() if v.state == "open"}
        for task_id in self.engine.finished_task_ids(workflow, list(open_tasks)):
            task_row = open_tasks[task_id]
            store.update_task(db, task_row.id, {"state": "cancelled", "completed_at": now})
            entries.append(
                entry(
                    "task_cancelled",
                    element_id=task_row.element_id,
                    name=task_row.name,
                    task_id=task_id,
                )
            )
            if task_row.activity_id:
                key = domain.idempotency_key(row.id, task_id, "cancel")
                if store.request_call(
                    db,
                    {
                        "key": key,
                        "instance_id": row.id,
                        "task_id": task_id,
                        "element_id": task_row.element_id,
                        "operation": "cancel_activity",
                        "params": {"activity_id": task_row.activity_id},
                        "purpose": "cleanup",
                    },
                ):
                    keys.append(key)
        if failure is not None:
            entries.append(
                entry(
                    "step_failed",
                    element_id=failure.element_id,
                    name=names.get(failure.element_id),
                    task_id=failure.task_id,
                    data=failure.to_dict(),
                )
            )
        if snapshot.status != previous_status:
            if snapshot.status == "completed":
                entries.append(entry("completed"))
                db.emit(
                    "process_instance_completed", _event_data(row._mapping, row.name), actor=actor
                )
            elif snapshot.status == "failed":
                db.emit(
                    "process_instance_failed",
                    {
                        **_event_data(row._mapping, row.name),
                        "error": failure.to_dict() if failure else None,
                    },
                    actor=actor,
                )
        self._log(row.id, entries, actor, now)
        return keys

    def _cancel(
        self, instance_id: str, actor: dict[str, Any] | None, reason: str | None
    ) -> list[str]:
        """End an open instance: its waiting tasks cancelled, their activities too."""
        db, now = self.db, utcnow()
        row = store.instance(db, instance_id, for_update=True)
        domain.check_open(row.status)
        version = self._version(row.version_id)
        workflow = self.engine.load(version.spec, row.state)
        self.engine.cancel(workflow)
        values = {
            "status": "cancelled",
            "state": self.engine.dump(workflow),
            "next_due_at": None,
            "waiting_for": [],
            "current": [],
            "updated_at": now,
            "ended_at": now,
        }
        store.save_instance(db, instance_id, values)
        keys = []
        entries = []
        for task_id, task_row in store.task_ids_of(db, instance_id, "open").items():
            store.update_task(db, task_row.id, {"state": "cancelled", "completed_at": now})
            entries.append(
                entry(
                    "task_cancelled",
                    element_id=task_row.element_id,
                    name=task_row.name,
                    task_id=task_id,
                )
            )
            if task_row.activity_id:
                key = domain.idempotency_key(instance_id, task_id, "cancel")
                if store.request_call(
                    db,
                    {
                        "key": key,
                        "instance_id": instance_id,
                        "task_id": task_id,
                        "element_id": task_row.element_id,
                        "operation": "cancel_activity",
                        "params": {"activity_id": task_row.activity_id},
                        "purpose": "cleanup",
                    },
                ):
                    keys.append(key)
        entries.append(entry("cancelled", data={"reason": reason}))
        self._log(instance_id, entries, actor, now)
        db.emit(
            "process_instance_cancelled",
            {**_event_data({**row._mapping, **values}, row.name), "reason": reason},
            actor=actor,
        )
        return keys

    def _settle_late_activity(self, row: Any, activity_id: str, state: str | None) -> list[str]:
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
        return [key] if store.request_call(self.db, values) else []

    def _log(
        self, instance_id: str, entries: list[dict[str, Any]], actor: dict | None, now: Any
    ) -> None:
        who = actor or {}
        store.add_log(
            self.db,
            [
                {
                    **e,
                    "instance_id": instance_id,
                    "at": now,
                    "actor_id": who.get("id"),
                    "actor_name": (who.get("full_name") or who.get("email") or None),
                    "data": _json_safe(e.get("data")),
                }
                for e in entries
            ],
        )

    # --- sending actions ------------------------------------------------------------

    def _dispatch(self, keys: list[str]) -> None:
        """Send the calls a committed step asked for, and apply their answers. Each
        call is claimed first (pending → sent, committed), so it is sent once."""
        claimed = store.claim_calls(self.db, keys, utcnow())
        self.db.commit()
        if not claimed:
            return
        names = {}
        for row in claimed:
            if row.instance_id not in names:
                names[row.instance_id] = store.instance(self.db, row.instance_id).name
        self.db.rollback()  # no transaction held while waiting for other services
        # The green threads share no session: _send only talks to other services.
        pool = eventlet.GreenPool(size=10)
        answers = list(
            pool.imap(lambda r: self._send(r, domain.process_actor(names[r.instance_id])), claimed)
        )
        for row, (ok, value) in zip(claimed, answers, strict=True):
            if ok is None:
                continue  # no answer in time: in doubt, the sweeper decides
            more = self._answer(row, ok, value)
            self.db.commit()
            if more:
                self._dispatch(more)

    def _send(self, row: Any, actor: dict[str, Any]) -> tuple[bool | None, Any]:
        """(True, result) | (False, error dict) | (None, None) when no answer came."""
        try:
            call = (
                actions.build_call(row.operation, row.params)
                if row.operation in actions.CATALOGUE
                else _internal_call(row)
            )
        except actions.ActionError as exc:
            return False, {"type": "ValidationFailed", "message": str(exc), "errors": []}
        try:
            with eventlet.Timeout(self.settings.action_timeout):
                if call.service is None:
                    return True, self.webhooks.send(
                        call.args[0], call.args[1], call.args[2], row.key
                    )
                proxy = getattr(self, f"{call.service}_rpc", None)
                if proxy is None:
                    return False, {
                        "type": "Unavailable",
                        "message": f"the {call.service} service is not installed",
                        "errors": [],
                    }
                return True, getattr(proxy, call.method)(*call.args, actor=actor, **call.kwargs)
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

    def _answer(self, row: Any, ok: bool, value: Any) -> list[str]:
        """Record a call's answer and take the step it completes (not committed)."""
        now = utcnow()
        state = "done" if ok else "failed"
        result = _json_safe(value) if ok else None
        if not store.finish_call(
            self.db, row.key, state, now, result=result, error=None if ok else value
        ):
            return []  # answered already (the sweeper and a worker raced): once is enough
        if row.purpose == "user_task":
            if ok and isinstance(value, dict) and value.get("id"):
                state = store.set_task_activity(self.db, row.instance_id, row.task_id, value["id"])
                more = self._settle_late_activity(row, value["id"], state)
                self._log(
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
                self._log(
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
                    self.engine.complete_task(workflow, row.task_id, {"result": result})
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

            return self._step(row.instance_id, complete, None)
        failure = StepFailed(
            f"{row.operation}: {value.get('message')}", row.task_id, row.element_id
        )

        def fail(workflow: Any, _row: Any) -> list[dict[str, Any]]:
            with contextlib.suppress(KeyError, ValueError):
                self.engine.fail_task(workflow, row.task_id)
            return [
                entry(
                    "action_failed",
                    element_id=row.element_id,
                    task_id=row.task_id,
                    data={"operation": row.operation, "error": value},
                )
            ]

        return self._step(row.instance_id, fail, None, failure_of_change=failure)


class _Row:
    """A saved instance's values read like a row (``row.id``, ``row._mapping``)."""

    def __init__(self, values: dict[str, Any]):
        self._mapping = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


def _internal_call(row: Any) -> actions.Call:
    """Calls the service makes for its own bookkeeping (a user task's activity)."""
    params = row.params or {}
    if row.operation == "cancel_activity":
        return actions.Call(
            "sales", "update_activity", (params["activity_id"], {"status": "cancelled"}), {}
        )
    if row.operation == "complete_activity":
        return actions.Call(
            "sales", "complete_activity", (params["activity_id"], params.get("data")), {}
        )
    raise actions.ActionError(f"unknown action {row.operation!r}")


def _uuid_or_none(value: Any) -> str | None:
    from services.platform.values import is_uuid

    return str(value) if is_uuid(value) else None


def _event_data(row: Any, name: str) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else row.__getitem__
    return {
        "id": get("id"),
        "definition_id": get("definition_id"),
        "version": get("version_number"),
        "name": name,
        "state": get("status"),
        "record_type": get("record_type"),
        "record_id": get("record_id"),
        "started_at": isoformat(get("started_at")),
    }


def _json_safe(value: Any) -> Any:
    import json

    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))
