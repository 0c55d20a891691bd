"""Rebuilding the read models from scratch: every owning service's ``export_records``
paged through, the records kept as their events would keep them, the stays in stages
made from the services' stage histories — in one transaction, so readers see the old
models until the new ones are whole. ``osprey analytics rebuild`` runs it.

Events handled meanwhile are not lost: a record an event keeps before the rebuild
reaches it is only replaced by an export of the same or a newer version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.platform.access import Actor

from . import domain, facts_store
from .models import records, stage_periods

#: (service, exported entity, read-model entity), in the order they are loaded
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("leads", "lead", "lead"),
    ("sales", "account", "account"),
    ("sales", "contact", "contact"),
    ("sales", "opportunity_stage", "opportunity_stage"),
    ("sales", "opportunity", "opportunity"),
    ("sales", "activity", "activity"),
    ("sales", "forecast_plan", "forecast_plan"),
    ("orders", "product", "product"),
    ("orders", "order", "order"),
    ("orders", "invoice", "invoice"),
)
#: (service, exported entity, the event whose rule lays its items over the model): the
#: records events tell in parts, each exported whole and laid the same way
PATCHED: tuple[tuple[str, str, tuple[str, str]], ...] = (
    ("mail", "email", ("mail", "email_received")),
    ("processes", "process_instance", ("processes", "process_instance_started")),
    ("processes", "process_task", ("processes", "process_task_created")),
)
PAGE = 500

#: ``call(service, method, **kwargs)``: an RPC to an owning service
Call = Callable[..., dict[str, Any]]
#: ``progress(what, count_so_far)`` after every page
Progress = Callable[[str, int], None]


def pages(call: Call, service: str, entity: str) -> Any:
    """Every page of one export."""
    after = None
    actor = Actor.system("analytics").to_dict()
    while True:
        page = call(service, "export_records", entity=entity, after=after, limit=PAGE, actor=actor)
        yield page["items"]
        after = page.get("next_after")
        if not after:
            return


def rebuild(db: Any, call: Call, progress: Progress | None = None) -> dict[str, int]:
    """Replace the read models with what the owning services hold now; commit once.
    Returns how many of each were kept."""
    progress = progress or (lambda what, done: None)
    counts: dict[str, int] = {}
    db.execute(sa.delete(stage_periods))
    rebuilt = {s[2] for s in SOURCES} | {domain.EVENTS[rule].entity for *_, rule in PATCHED}
    db.execute(sa.delete(records).where(records.c.entity.in_(rebuilt)))
    for service, exported, entity in SOURCES:
        done = 0
        for items in pages(call, service, exported):
            facts_store.upsert_many(db, entity, items)
            done += len(items)
            progress(entity, done)
        counts[entity] = done
    for service, exported, rule_of in PATCHED:
        rule = domain.EVENTS[rule_of]
        done = 0
        for items in pages(call, service, exported):
            parts = [part for item in items if (part := domain.patch_of(rule, item))]
            facts_store.patch_many(db, rule.entity, parts)
            done += len(items)
            progress(rule.entity, done)
        counts[rule.entity] = done
    counts["lead_stays"] = _lead_stays(db, call, progress)
    counts["opportunity_stays"] = _deal_stays(db, call, progress)
    db.commit()
    return counts


def _lead_stays(db: Any, call: Call, progress: Progress) -> int:
    """A lead's stays: one per row of its stage history (its creation is the first row),
    each until the next."""
    db.execute(
        sa.text(
            "CREATE TEMP TABLE analytics_lead_moves (id uuid, lead_id uuid, from_stage text, "
            "to_stage text, changed_at timestamptz) ON COMMIT DROP"
        )
    )
    done = 0
    for items in pages(call, "leads", "lead_stage_change"):
        if items:
            db.execute(
                sa.text(
                    "INSERT INTO analytics_lead_moves SELECT * FROM json_populate_recordset("
                    "NULL::analytics_lead_moves, CAST(:rows AS json))"
                ),
                {"rows": json.dumps(items)},
            )
        done += len(items)
        progress("lead stage changes", done)
    # a lead with no history at all (made before histories were kept): one stay since
    # its creation in the stage it is in
    first = db.execute(
        sa.text(
            f"""
            INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
            SELECT 'lead', r.id, r.data->>'stage', r.created_at, NULL
            FROM {records.fullname} r
            WHERE r.entity = 'lead' AND r.created_at IS NOT NULL AND r.data->>'stage' IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM analytics_lead_moves m WHERE m.lead_id = r.id)
            ON CONFLICT DO NOTHING
            """
        )
    ).rowcount
    moves = db.execute(
        sa.text(
            f"""
            INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
            SELECT 'lead', m.lead_id, m.to_stage, m.changed_at,
                   lead(m.changed_at) OVER (PARTITION BY m.lead_id ORDER BY m.changed_at, m.id)
            FROM analytics_lead_moves m
            JOIN {records.fullname} r ON r.entity = 'lead' AND r.id = m.lead_id
            ON CONFLICT DO NOTHING
            """
        )
    ).rowcount
    return first + moves


def _deal_stays(db: Any, call: Call, progress: Progress) -> int:
    """A deal's stays as its stage history has them (stages skipped over are none)."""
    done = kept = 0
    for items in pages(call, "sales", "opportunity_stay"):
        rows = [
            {
                "entity": "opportunity",
                "record_id": item["opportunity_id"],
                "stage": item["stage_id"],
                "entered_at": item["entered_at"],
                "left_at": item["left_at"],
            }
            for item in items
            if not item.get("skipped")
        ]
        if rows:
            db.execute(insert(stage_periods).values(rows).on_conflict_do_nothing())
        kept += len(rows)
        done += len(items)
        progress("deal stage stays", done)
    return kept
