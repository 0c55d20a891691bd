"""The bulk create's and the bulk delete's reads and writes: the exact-key duplicate
check of a whole batch in one statement, the leads and their first stage changes
written in one statement per few hundred, and the batch's ``leads_imported`` events;
a batch of leads locked, deleted in one statement and announced by ``leads_deleted``.

Every function takes the session ``db`` first and none commits (the entrypoint does).
The rows travel to PostgreSQL as one JSON document per statement
(``json_to_recordset``): a ``COPY`` cannot run on the service's green connections, and
one statement with one parameter costs one parse, one plan and one round trip however
many rows it carries.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from services.platform import similar
from services.platform.access import Actor
from services.platform.events import isoformat

from . import domain
from .duplicates_store import SHARES
from .models import Lead, StageChange
from .schemas import dump_lead

#: Leads per INSERT statement: the name keys' trigger sends the seqs of the keys one
#: statement adds to the in-memory name indexes while they are at most 500, and a
#: rebuild of every index above that (services/platform/migration_ops.py).
ROWS_PER_STATEMENT = 400
#: Leads per ``leads_imported`` event.
LEADS_PER_EVENT = 1000
#: The exact keys a batch is matched on, each through its own index.
MATCH_KEYS = ("email", "phone")

_TABLE = Lead.__table__
#: the columns a new lead is written with (the computed ones are the database's)
_COLUMNS = tuple(c for c in _TABLE.columns if c.computed is None)
_TYPES = {
    "UUID": "uuid",
    "DATETIME": "timestamptz",
    "INTEGER": "integer",
    "JSONB": "jsonb",
}


def _sql_type(column: sa.Column) -> str:
    return _TYPES.get(type(column.type).__name__.upper(), "text")


_RECORD = ", ".join(f"{c.name} {_sql_type(c)}" for c in _COLUMNS)
_NAMES = ", ".join(c.name for c in _COLUMNS)
#: A statement's leads and their first stage changes (from nothing to qualification).
_INSERT = sa.text(
    f"WITH r AS (SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r({_RECORD},"
    " history_id uuid)),"
    f" lead AS (INSERT INTO {_TABLE.fullname} ({_NAMES}) SELECT {_NAMES} FROM r)"
    f" INSERT INTO {StageChange.__table__.fullname}"
    " (id, lead_id, from_stage, to_stage, action, changed_by, changed_at)"
    " SELECT r.history_id, r.id, NULL, r.stage, 'create', r.created_by, r.created_at FROM r"
)

_ALLOWED = similar.allowed_sql("x", Lead.id, Lead.owner_id, Lead.team_id, SHARES.fullname)
#: The leads the caller may read with one of the emails (phones), oldest first.
_MATCHES = {
    key: sa.text(
        f"SELECT x.{key} AS value, x.id FROM {_TABLE.fullname} AS x"
        f" WHERE x.{key} = ANY(CAST(:values AS text[])) AND {_ALLOWED}"
        " ORDER BY x.created_at, x.id"
    )
    for key in MATCH_KEYS
}

# --- ids ----------------------------------------------------------------------------------

_last_ms = 0
_counter = 0


def new_ids(count: int) -> list[str]:
    """``count`` time-ordered UUIDs (v7, as :func:`services.platform.ids.new_id`
    makes them: milliseconds, a 12-bit counter, random bits), made together: a
    million leads need a million ids and two of them each."""
    global _last_ms, _counter
    noise = os.urandom(8 * count)
    out = []
    for n in range(count):
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, noise[8 * n] << 2
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
            ms = _last_ms
        rand = int.from_bytes(noise[8 * n : 8 * n + 8], "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _counter << 64 | 0b10 << 62 | rand
        text = f"{value:032x}"
        out.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return out


# --- the duplicate check ------------------------------------------------------------------


def existing_matches(db: Any, caller: Actor, key: str, values: Iterable[str]) -> dict[str, str]:
    """``{value: id}`` of the oldest lead the caller may read with each value of ``key``
    (email or phone), in one indexed statement (``ix_leads_email``, ``ix_leads_phone``)."""
    wanted = sorted({v for v in values if v})
    if not wanted:
        return {}
    allowed = similar.Allowed(
        caller, Lead.id, Lead.owner_id, Lead.team_id, None, entity="leads", shares=SHARES
    )
    found: dict[str, str] = {}
    for row in db.execute(_MATCHES[key], {**allowed.params(), "values": wanted}):
        found.setdefault(row.value, str(row.id))
    return found


# --- writing ------------------------------------------------------------------------------


def _wire(value: Any) -> Any:
    return isoformat(value) if hasattr(value, "isoformat") else value


def insert_leads(db: Any, leads: Sequence[dict[str, Any]]) -> None:
    """Write the new leads (``domain.new_lead``'s values, scored, each with a
    ``history_id``) and their first stage changes, :data:`ROWS_PER_STATEMENT` a
    statement."""
    for start in range(0, len(leads), ROWS_PER_STATEMENT):
        part = leads[start : start + ROWS_PER_STATEMENT]
        db.execute(_INSERT, {"rows": orjson.dumps(part, default=_wire).decode()})


def emit_imported(db: Any, leads: Sequence[dict[str, Any]], actor: dict[str, Any]) -> None:
    """``leads_imported`` for the new leads, :data:`LEADS_PER_EVENT` an event: ``{count,
    defaults, leads}``, each lead being ``defaults`` overlaid with its entry (the values
    every lead of the event shares are said once)."""
    for start in range(0, len(leads), LEADS_PER_EVENT):
        db.emit(
            "leads_imported", imported_data(leads[start : start + LEADS_PER_EVENT]), actor=actor
        )


def imported_data(leads: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{count, defaults, leads}`` of new leads' values: each lead as ``lead_created``
    carries it (``dump_lead``'s fields, times in ISO 8601), the fields equal in every
    lead said once in ``defaults``."""
    columns = {name: [lead.get(name) for lead in leads] for name in domain.FIELD_NAMES}
    defaults: dict[str, Any] = {}
    for name, column in columns.items():
        if name != "id" and column.count(column[0]) == len(column):
            defaults[name] = column[0]
    for name in ("created_at", "updated_at"):
        if name in defaults:
            defaults[name] = isoformat(defaults[name])
        else:
            columns[name] = [isoformat(value) for value in columns[name]]
    varying = [name for name in domain.FIELD_NAMES if name not in defaults]
    entries = [
        dict(zip(varying, values, strict=True))
        for values in zip(*(columns[n] for n in varying), strict=True)
    ]
    return {"count": len(leads), "defaults": defaults, "leads": entries}


def imported_leads(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The leads of a ``leads_imported`` event's data, each whole."""
    defaults = data.get("defaults") or {}
    return [{**defaults, **lead} for lead in data.get("leads") or []]


# --- deleting -----------------------------------------------------------------------------

#: The leads of a batch that exist, under row locks taken in the order of their ids (two
#: batches never wait on each other in a circle).
_LOCK_MANY = sa.text(
    f"SELECT id, owner_id, team_id FROM {_TABLE.fullname}"
    " WHERE id = ANY(CAST(:ids AS uuid[])) ORDER BY id FOR UPDATE"
).columns(_TABLE.c.id, _TABLE.c.owner_id, _TABLE.c.team_id)
#: The leads deleted (their stage changes and shares go with them, ON DELETE CASCADE),
#: each with its last state.
_DELETE_MANY = sa.text(
    f"DELETE FROM {_TABLE.fullname} WHERE id = ANY(CAST(:ids AS uuid[]))"
    f" RETURNING {', '.join(domain.FIELD_NAMES)}"
).columns(*(_TABLE.c[name] for name in domain.FIELD_NAMES))


def lock_leads(db: Any, ids: Sequence[str]) -> list[Any]:
    """``(id, owner_id, team_id)`` of those of the leads that exist, locked."""
    return db.execute(_LOCK_MANY, {"ids": list(ids)}).all() if ids else []


def delete_leads(db: Any, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Delete the leads (one statement); their last states, as ``lead_deleted``
    carries one."""
    if not ids:
        return []
    return [dump_lead(row) for row in db.execute(_DELETE_MANY, {"ids": list(ids)})]


def emit_deleted(db: Any, states: Sequence[dict[str, Any]], actor: dict[str, Any]) -> None:
    """``leads_deleted`` for the deleted leads, :data:`LEADS_PER_EVENT` an event: ``{count,
    defaults, leads}`` of their last states, as ``leads_imported`` carries new ones."""
    for start in range(0, len(states), LEADS_PER_EVENT):
        db.emit("leads_deleted", batch_data(states[start : start + LEADS_PER_EVENT]), actor=actor)


def batch_data(states: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{count, defaults, leads}`` of leads' states (``dump_lead``'s): the fields equal
    in every one said once in ``defaults``, each lead's entry the rest (its id always)."""
    first = states[0]
    defaults = {
        name: value
        for name, value in first.items()
        if name != "id" and all(state.get(name) == value for state in states)
    }
    entries = [{k: v for k, v in state.items() if k not in defaults} for state in states]
    return {"count": len(states), "defaults": defaults, "leads": entries}
