"""User tasks: the people's steps of processes. Each became an activity in sales (in
"my activities"); completing the activity — or the task here, with its form's data —
completes the step."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, PermissionDenied
from services.platform.records import check_version, not_found
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import calls, domain, steps, store
from .dependencies import ProcessesBase
from .schemas import clean_filters, decode_cursor, dump_task, encode_cursor, page_limit

TASK_FILTERS = ("state", "assignee_id", "instance_id", "candidate_role", "record_type", "record_id")


class TasksRpc(ProcessesBase):
    @rpc(expected_exceptions=EXPECTED)
    def list_process_tasks(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of user tasks, newest first. Filters ``state, assignee_id,
        instance_id, candidate_role, record_type, record_id``; ``mine: true`` = assigned
        to the caller or offered to one of their roles (always so for a sales rep).
        ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        query = query or {}
        filters = clean_filters(query, TASK_FILTERS)
        limit = page_limit(query.get("limit"))
        # a sales rep sees their own tasks and their roles' open ones; managers all
        mine = (caller.id, caller.roles) if query.get("mine") or not caller.is_manager else None
        rows = store.list_tasks(self.db, filters, mine, limit, decode_cursor(query.get("cursor")))
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [dump_task(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def get_process_task(self, task_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The task with its form; ``NotFound`` also for another's (unless a manager)."""
        caller = Actor.from_dict(actor)
        row = store.process_task(self.db, task_id)
        if not domain.may_complete_task(caller, row.assignee_id, row.candidate_role):
            raise not_found("process task", "task_id")
        return dump_task(row)

    @rpc(expected_exceptions=EXPECTED)
    def complete_process_task(
        self,
        task_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Complete a user task with its form's ``data``; the process goes on and the
        task's activity is completed too. Its assignee, a holder of its role (when
        unassigned), a manager or an administrator may. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (done or cancelled already, stale),
        ``ValidationFailed`` (data outside the form)."""
        caller = Actor.from_dict(actor)
        expected = parse_expected_version(expected_version)
        row = store.process_task(self.db, task_id, for_update=True)
        if not domain.may_complete_task(caller, row.assignee_id, row.candidate_role):
            raise PermissionDenied(
                "This task is someone else's", [{"field": "task_id", "message": "not yours"}]
            )
        check_version("process task", row.version, expected)
        if row.state != "open":
            raise Conflict(f"The task is {row.state}", [{"field": "state", "message": row.state}])
        clean = domain.clean_task_data(row.form, data)
        keys = steps.complete_user_task(self.db, self.engine, row, clean, actor)
        if row.activity_id:
            key = domain.idempotency_key(row.instance_id, row.task_id, "complete")
            if store.request_call(
                self.db,
                {
                    "key": key,
                    "instance_id": row.instance_id,
                    "task_id": row.task_id,
                    "element_id": row.element_id,
                    "operation": "complete_activity",
                    "params": {
                        "activity_id": row.activity_id,
                        "data": {"result": str(clean.get("result") or "")[:2000] or None},
                    },
                    "purpose": "cleanup",
                },
            ):
                keys.append(key)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_task(store.process_task(self.db, task_id))
