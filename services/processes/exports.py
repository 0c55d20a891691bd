"""Process instances and user tasks, page by page, as their events carry them: what the
analytics read models are rebuilt from (``osprey analytics rebuild``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import isoformat
from services.platform.exports import MAX_PAGE, check_exporter, unknown_entity
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from .dependencies import ProcessesBase
from .models import instances, process_tasks
from .steps import instance_event_data

ENTITIES = ("process_instance", "process_task")


def dump_task(row: Any) -> dict[str, Any]:
    """A user task as its ``process_task_created`` and ``process_task_completed`` events
    carry it together."""
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "name": row.name,
        "assignee_id": row.assignee_id,
        "candidate_role": row.candidate_role,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "state": row.state,
        "due_at": isoformat(row.due_at),
        "created_at": isoformat(row.created_at),
        "team_id": row.instance_team_id,
        "data": row.data,
        "completed_by": row.completed_by,
        "completed_at": isoformat(row.completed_at),
    }


class ExportsRpc(ProcessesBase):
    """``export_records``: administrators and the system only."""

    @rpc(expected_exceptions=EXPECTED)
    def export_records(
        self,
        entity: str,
        after: str | None = None,
        limit: int = 500,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """``{items, next_after}``: ``entity`` (``process_instance``, ``process_task``)
        in id order after the id ``after``, each as its events carry it."""
        check_exporter(actor)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                "Bad page size", [{"field": "limit", "message": f"must be 1..{MAX_PAGE}"}]
            )
        if after is not None and not is_uuid(after):
            raise ValidationFailed("Bad cursor", [{"field": "after", "message": "must be an id"}])
        if entity == "process_instance":
            table, statement = instances, sa.select(instances)
        elif entity == "process_task":
            table = process_tasks
            statement = sa.select(
                process_tasks, instances.c.team_id.label("instance_team_id")
            ).join(instances, instances.c.id == process_tasks.c.instance_id)
        else:
            raise unknown_entity(entity, list(ENTITIES))
        if after is not None:
            statement = statement.where(table.c.id > after)
        rows = self.db.execute(statement.order_by(table.c.id).limit(limit)).all()
        self.db.rollback()
        if entity == "process_instance":
            items = [instance_event_data(row._mapping, row.name) for row in rows]
        else:
            items = [dump_task(row) for row in rows]
        return {"items": items, "next_after": str(rows[-1].id) if len(rows) == limit else None}
