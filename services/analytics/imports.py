"""The leads service's bulk creates (``leads_imported``) in the read models: every lead
of the event kept and its first stay (in its stage since it was created) begun, as
``lead_created`` does for one — for the event's thousand leads in one statement, safe
to repeat (the version guards each record, a stay is begun once, never for a record
deleted meanwhile), so it runs alone in autocommit with no claim of the event.

Its bulk deletes (``leads_deleted``, the rollback of an import) do what ``lead_deleted``
does for one: each lead a tombstone (reports skip it from then on, whatever arrives
later) and its stays in stages gone — one statement for the event's leads, as safe to
repeat, run alone as well.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler

from . import domain
from .dependencies import AnalyticsBase
from .models import records, stage_periods

_R = records.fullname
_UPSERT_MANY = sa.text(
    f"""
    WITH r AS (
        SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r(
            id uuid, version integer, owner_id uuid, team_id uuid, created_at timestamptz,
            updated_at timestamptz, data jsonb, stage text)
    ), kept AS (
        INSERT INTO {_R} AS k
            (entity, id, version, owner_id, team_id, created_at, updated_at, deleted, data)
        SELECT 'lead', r.id, r.version, r.owner_id, r.team_id, r.created_at, r.updated_at,
               false, r.data
        FROM r ORDER BY r.id
        ON CONFLICT (entity, id) DO UPDATE SET
            version = EXCLUDED.version, owner_id = EXCLUDED.owner_id,
            team_id = EXCLUDED.team_id, created_at = EXCLUDED.created_at,
            updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
        WHERE NOT k.deleted AND k.version <= EXCLUDED.version
    )
    INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
    SELECT 'lead', r.id, r.stage, COALESCE(r.created_at, now()), NULL
    FROM r
    WHERE r.stage IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM {stage_periods.fullname} AS p
        WHERE p.entity = 'lead' AND p.record_id = r.id
      )
      AND NOT EXISTS (
        SELECT 1 FROM {_R} AS d WHERE d.entity = 'lead' AND d.id = r.id AND d.deleted
      )
    ORDER BY r.id
    ON CONFLICT DO NOTHING
    """
)


#: The event's leads tombstoned (made so if not kept yet: a later ``leads_imported``
#: cannot bring one back) and their stays forgotten.
_TOMBSTONE_MANY = sa.text(
    f"""
    WITH r AS (
        SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r(
            id uuid, version integer, owner_id uuid, team_id uuid, created_at timestamptz,
            updated_at timestamptz, data jsonb, stage text)
    ), gone AS (
        INSERT INTO {_R} AS k
            (entity, id, version, owner_id, team_id, created_at, updated_at, deleted, data)
        SELECT 'lead', r.id, r.version, r.owner_id, r.team_id, r.created_at, r.updated_at,
               true, r.data
        FROM r ORDER BY r.id
        ON CONFLICT (entity, id) DO UPDATE SET
            deleted = true, version = GREATEST(k.version, EXCLUDED.version)
    )
    DELETE FROM {stage_periods.fullname} AS p
    USING r WHERE p.entity = 'lead' AND p.record_id = r.id
    """
)


def imported_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's leads (``defaults`` overlaid with each entry) as rows of the read
    model: the kept fields, and the stage each begins in."""
    defaults = data.get("defaults") or {}
    rows = []
    for entry in data.get("leads") or []:
        lead = {**defaults, **entry}
        if not lead.get("id"):
            continue
        version = lead.get("version")
        rows.append(
            {
                "id": str(lead["id"]),
                "version": version if isinstance(version, int) else 0,
                "owner_id": lead.get("owner_id"),
                "team_id": lead.get("team_id"),
                "created_at": lead.get("created_at"),
                "updated_at": lead.get("updated_at") or lead.get("created_at"),
                "data": domain.kept("lead", lead),
                "stage": lead.get("stage"),
            }
        )
    return rows


class ImportsHandlers(AnalyticsBase):
    """``leads_imported`` and ``leads_deleted``."""

    @event_handler("leads", "leads_deleted")
    def handle_leads_leads_deleted(self, event: dict[str, Any]) -> None:
        rows = imported_rows(event.get("data") or {})
        if rows:
            self.db.run_alone(_TOMBSTONE_MANY, {"rows": json.dumps(rows, default=str)})

    @event_handler("leads", "leads_imported")
    def handle_leads_leads_imported(self, event: dict[str, Any]) -> None:
        rows = imported_rows(event.get("data") or {})
        if rows:
            self.db.run_alone(_UPSERT_MANY, {"rows": json.dumps(rows, default=str)})
