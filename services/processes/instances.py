"""Process instances: start by hand, send a message, list, read with the log, and an
administrator's repairs — retry a failed step, skip it, cancel, migrate to a version."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, ValidationFailed
from services.platform.events import utcnow
from services.platform.list_filters import readable_by
from services.platform.records import not_found
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import calls, domain, steps, store
from .definition_parsing import DefinitionRefused
from .dependencies import ProcessesBase
from .models import instances
from .schemas import (
    clean_filters,
    decode_cursor,
    dump_call,
    dump_instance,
    dump_log,
    dump_task,
    encode_cursor,
    page_limit,
)
from .steps import entry

INSTANCE_FILTERS = ("definition_id", "status", "record_type", "record_id", "version_id")


class InstancesRpc(ProcessesBase):
    @rpc(expected_exceptions=EXPECTED)
    def start_process_instance(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Start the deployed version of a process by hand (from a record page):
        ``{definition_id, record_type?, record_id?, data?}``. A process with a plain start
        event starts there; one that starts on a record event or a message is started
        as if that had happened. The instance (``state`` running, waiting, completed
        or failed). Raises ``NotFound``, ``ValidationFailed``, ``Conflict`` (nothing
        deployed).
        """
        caller = Actor.from_dict(actor)
        request = domain.clean_start(data)
        definition = store.definition(self.db, request["definition_id"])
        if definition.deployed_version_id is None:
            raise Conflict(
                "This process is not deployed",
                [{"field": "definition_id", "message": "not deployed"}],
            )
        version = store.version_by_id(self.db, definition.deployed_version_id)
        starts = {t["kind"]: t for t in reversed(version.triggers)}
        trigger = (
            starts.get("manual")
            or starts.get("signal")
            or starts.get("message")
            or starts.get("timer")
        )
        how = (trigger["kind"], trigger["name"]) if trigger else ("manual", "manual")
        record = dict(request["data"].get("record") or {})
        if request["record_id"]:
            record.setdefault("id", request["record_id"])
        process_data = {**request["data"], "record": record, "started_by": caller.id}
        instance_id, keys = steps.start_instance(
            self.db,
            self.engine,
            definition,
            version,
            record_type=request["record_type"],
            record_id=request["record_id"],
            data=process_data,
            how=how,
            payload=process_data,
            actor=actor,
        )
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_instance(store.instance(self.db, instance_id))

    @rpc(expected_exceptions=EXPECTED)
    def send_process_message(
        self,
        name: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        record_type: str | None = None,
        record_id: str | None = None,
    ) -> dict[str, Any]:
        """Deliver a message: start every deployed process whose start waits for it,
        and continue the instances waiting for it (only those about the record, when
        one is named). ``{started: [ids], continued: [ids]}``. ``ValidationFailed``."""
        Actor.from_dict(actor)
        name, payload = domain.clean_message(name, data)
        record = dict(payload.get("record") or {})
        if record_id:
            record.setdefault("id", record_id)
        process_data = {**payload, "record": record, "message": {"name": name, "data": payload}}
        started, continued, keys = [], [], []
        for trigger in store.triggers_for(self.db, "message", [name]):
            if not domain.condition_holds(trigger.condition, process_data):
                continue
            definition = store.definition(self.db, trigger.definition_id)
            version = store.version_by_id(self.db, trigger.version_id)
            instance_id, more = steps.start_instance(
                self.db,
                self.engine,
                definition,
                version,
                record_type=record_type,
                record_id=record_id,
                data=process_data,
                how=("message", name),
                payload=process_data,
                actor=actor,
            )
            started.append(instance_id)
            keys += more
        waiting = (
            store.waiting_instances(self.db, record_type, record_id, f"message:{name}")
            if record_type and record_id
            else store.instances_waiting_for(self.db, f"message:{name}")
        )
        for instance_id in waiting:

            def deliver(workflow: Any, _row: Any) -> list[dict[str, Any]]:
                self.engine.put_data(workflow, {"message": {"name": name, "data": payload}})
                caught = self.engine.send_message(workflow, name, payload)
                return [entry("message_caught", data={"name": name, "caught": caught})]

            keys += steps.take_step(self.db, self.engine, instance_id, deliver, actor)
            continued.append(instance_id)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return {"started": started, "continued": continued}

    @rpc(expected_exceptions=EXPECTED)
    def get_process_instance(self, instance_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The instance with its ``log`` (oldest first), its user ``tasks`` and its
        action ``calls``. ``NotFound``."""
        row = self._readable(instance_id, actor)
        result = dump_instance(row)
        result["log"] = [dump_log(e) for e in store.read_log(self.db, instance_id)]
        result["tasks"] = [dump_task(t) for t in store.task_ids_of(self.db, instance_id).values()]
        result["calls"] = [dump_call(c) for c in store.calls_of(self.db, instance_id)]
        return result

    @rpc(expected_exceptions=EXPECTED)
    def process_instance_log(self, instance_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Each step ``{id, at, kind, element_id, element_name, task_id, actor_id,
        actor_name, data}``, oldest first. ``NotFound``."""
        self._readable(instance_id, actor)
        return [dump_log(e) for e in store.read_log(self.db, instance_id)]

    @rpc(expected_exceptions=EXPECTED)
    def list_process_instances(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of instances, newest first. Filters ``definition_id, status,
        record_type, record_id, version_id``; ``limit``, ``cursor``. ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        query = query or {}
        filters = clean_filters(query, INSTANCE_FILTERS)
        limit = page_limit(query.get("limit"))
        readable = readable_by(caller, instances.c.owner_id, instances.c.team_id)
        rows = store.list_instances(
            self.db, filters, limit, decode_cursor(query.get("cursor")), readable
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [dump_instance(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].started_at, rows[-1].id) if more else None,
        }

    def _readable(self, instance_id: str, actor: dict[str, Any]) -> Any:
        """The instance, if the caller may read its record (as one missing, otherwise)."""
        caller = Actor.from_dict(actor)
        row = store.instance(self.db, instance_id)
        if not caller.can_read(row.owner_id, row.team_id) and row.started_by != caller.id:
            raise not_found("process instance", "instance_id")
        return row

    # --- an administrator's repairs ---------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def retry_process_instance(self, instance_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Run the failed step again. An action that failed is asked again under the
        same idempotency key; one whose answer was lost is sent again (the
        administrator checked). Raises ``NotFound``, ``Conflict`` (not failed),
        ``PermissionDenied``."""
        caller = Actor.from_dict(actor)
        domain.check_may_administer(caller)
        row = store.instance(self.db, instance_id, for_update=True)
        domain.check_failed(row.status)

        def retry(workflow: Any, _row: Any) -> list[dict[str, Any]]:
            retried = self.engine.retry(workflow)
            return [entry("retried", task_id=t) for t in retried] or [entry("retried")]

        keys = steps.take_step(self.db, self.engine, instance_id, retry, actor)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_instance(store.instance(self.db, instance_id))

    @rpc(expected_exceptions=EXPECTED)
    def skip_process_step(
        self,
        instance_id: str,
        actor: dict[str, Any],
        task_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Complete a failed step as if it had worked (``data`` becomes its result) and
        go on. ``task_id`` defaults to the failed one. Raises ``NotFound``,
        ``Conflict`` (not failed), ``PermissionDenied``, ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        domain.check_may_administer(caller)
        if data is not None and not isinstance(data, dict):
            raise domain.failed("data", "must be an object")
        row = store.instance(self.db, instance_id, for_update=True)
        domain.check_failed(row.status)
        target = task_id or (row.error or {}).get("task_id")
        if not target:
            raise domain.failed("task_id", "name the step to skip")

        def skip(workflow: Any, _row: Any) -> list[dict[str, Any]]:
            try:
                self.engine.skip(workflow, target, data)
            except (KeyError, ValueError):
                raise domain.failed("task_id", "no such step in this instance") from None
            return [entry("skipped", task_id=target, data=data)]

        keys = steps.take_step(self.db, self.engine, instance_id, skip, actor)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_instance(store.instance(self.db, instance_id))

    @rpc(expected_exceptions=EXPECTED)
    def cancel_process_instance(
        self, instance_id: str, actor: dict[str, Any], reason: str | None = None
    ) -> dict[str, Any]:
        """End an open instance; its open tasks and their activities are cancelled.
        Raises ``NotFound``, ``Conflict`` (ended already), ``PermissionDenied``."""
        caller = Actor.from_dict(actor)
        domain.check_may_administer(caller)
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            raise domain.failed("reason", "text of at most 500 characters")
        keys = steps.cancel_instance(self.db, self.engine, instance_id, actor, reason)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_instance(store.instance(self.db, instance_id))

    @rpc(expected_exceptions=EXPECTED)
    def migrate_process_instance(
        self,
        instance_id: str,
        version: int,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Move an open instance to another version of its process when every task it
        waits in exists there unchanged. Raises ``NotFound``, ``Conflict`` (ended,
        stale), ``ValidationFailed`` (no such version, the tasks do not match),
        ``PermissionDenied``."""
        caller = Actor.from_dict(actor)
        domain.check_may_administer(caller)
        expected = parse_expected_version(expected_version)
        if isinstance(version, bool) or not isinstance(version, int):
            raise domain.failed("version", "a version number")
        row = store.instance(self.db, instance_id, for_update=True)
        domain.check_open(row.status)
        if expected is not None and expected != row.version:
            raise Conflict(
                "The instance changed meanwhile", [{"field": "version", "message": "stale"}]
            )
        target = store.version_row(self.db, row.definition_id, version)
        source = store.version_by_id(self.db, row.version_id)
        workflow = self.engine.load(source.spec, row.state)
        try:
            workflow = self.engine.migrate(workflow, target.spec)
        except DefinitionRefused as exc:
            raise ValidationFailed(
                exc.message, [{"field": "version", "message": exc.message}]
            ) from None
        store.save_instance(
            self.db,
            instance_id,
            {
                "state": self.engine.dump(workflow),
                "version_id": target.id,
                "version_number": target.number,
            },
        )
        steps.write_log(
            self.db,
            instance_id,
            [entry("migrated", data={"from": row.version_number, "to": target.number})],
            actor,
            utcnow(),
        )
        keys = steps.take_step(self.db, self.engine, instance_id, None, actor)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_instance(store.instance(self.db, instance_id))
