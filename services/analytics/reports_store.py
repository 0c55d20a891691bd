"""Running a report over the read models, and the funnel and deal figures.

Every query reads ``records`` (and ``stage_periods``) of one entity, skips tombstones
and keeps to the rows the reader may read — the same rule as every list
(:func:`services.platform.list_filters.readable_by`), by the entity's read scope when
the reader's roles set rights (docs/architecture.md, "Access rights"): a role without
the entity's ``read`` right gets 403, a field hidden from it is refused (422) as a
group, an aggregate or a filter.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.sql.elements import ColumnElement

from services.platform.access import Actor
from services.platform.audience import ENTITY_OF_RECORD_TYPE
from services.platform.errors import ValidationFailed
from services.platform.list_filters import readable_by

from . import domain
from .models import records, stage_periods

#: fields kept as columns of ``records`` (indexed), not read out of ``data``
_COLUMNS = {"owner_id", "team_id", "created_at", "updated_at"}


def field(name: str, kind: str) -> ColumnElement[Any]:
    """A field of the record as SQL of its type (an empty value is NULL)."""
    if name in _COLUMNS:
        return records.c[name]
    text = sa.func.nullif(records.c.data[name].astext, "")
    if kind == domain.NUMBER:
        return sa.cast(text, sa.Numeric)
    if kind == domain.DATE:
        return sa.cast(text, sa.Date)
    if kind == domain.DATETIME:
        return sa.cast(text, TIMESTAMP(timezone=True))
    return text


def _grouped(group: domain.Group) -> ColumnElement[Any]:
    expr = field(group.field, group.kind)
    if group.bucket:
        moment = expr if group.kind == domain.DATE else sa.func.timezone("UTC", expr)
        return sa.cast(sa.func.date_trunc(group.bucket, moment), sa.Date)
    return expr


def _aggregated(aggregate: domain.Aggregate) -> ColumnElement[Any]:
    if aggregate.fn == "count":
        return sa.func.count()
    expr = field(aggregate.field or "", aggregate.kind or domain.NUMBER)
    return getattr(sa.func, aggregate.fn)(expr)


def scope(model: str, actor: Actor, filters: tuple[domain.Filter, ...]) -> list[Any]:
    """The WHERE of a report: the entity, no tombstones, the reader's rights, filters."""
    fields = {}
    for _plural, (name, entity_fields) in domain.ENTITIES.items():
        if name == model:
            fields = entity_fields
    where: list[Any] = [
        records.c.entity == model,
        records.c.deleted.is_(False),
    ]
    entity = ENTITY_OF_RECORD_TYPE.get(model)
    if entity is not None:
        actor.require(entity, "read")
        check_visible(model, actor, [item.field for item in filters])
    if model not in domain.CATALOGUE:
        read_scope = actor.read_scope(entity) if entity is not None else None
        where.append(readable_by(actor, records.c.owner_id, records.c.team_id, read_scope))
    for item in filters:
        expr = field(item.field, fields.get(item.field, item.kind))
        if item.values:
            where.append(expr.in_(list(item.values)))
        else:
            if item.low is not None:
                where.append(expr >= item.low)
            if item.high is not None:
                where.append(expr <= item.high)
    return where


def check_visible(model: str, actor: Actor, names: list[str]) -> None:
    """Refuse (422, naming each) the fields of ``model`` hidden from ``actor``."""
    entity = ENTITY_OF_RECORD_TYPE.get(model)
    hidden = actor.hidden(entity) if entity is not None else frozenset()
    refused = sorted({name for name in names if name in hidden})
    if refused:
        raise ValidationFailed(
            "A report may not use a field hidden from your role",
            [{"field": name, "message": "hidden from your role"} for name in refused],
        )


def run(db: Any, report: domain.Report, actor: Actor) -> dict[str, Any]:
    """``{rows: [{<group key>: value, …, <aggregate key>: n}], truncated}``."""
    rows, truncated = raw_rows(db, report, actor)
    return {
        "rows": [{key: plain(value) for key, value in row.items()} for row in rows],
        "truncated": truncated,
    }


def raw_rows(db: Any, report: domain.Report, actor: Actor) -> tuple[list[dict[str, Any]], bool]:
    """The report's rows as PostgreSQL answers them (decimals, dates), at most
    ``MAX_ROWS``, and whether there were more."""
    check_visible(
        report.model,
        actor,
        [g.field for g in report.groups] + [a.field for a in report.aggregates if a.field],
    )
    groups = [_grouped(g).label(g.key) for g in report.groups]
    aggregates = [_aggregated(a).label(a.key) for a in report.aggregates]
    statement = sa.select(*groups, *aggregates).where(*scope(report.model, actor, report.filters))
    if groups:
        statement = statement.group_by(*[_grouped(g) for g in report.groups]).order_by(
            *[_grouped(g).asc().nulls_last() for g in report.groups]
        )
    statement = statement.limit(domain.MAX_ROWS + 1)
    rows = [dict(row._mapping) for row in db.read(statement)]
    return rows[: domain.MAX_ROWS], len(rows) > domain.MAX_ROWS


#: id fields whose records the read models keep, and the model that keeps them
_NAMED = {
    "account_id": "account",
    "parent_id": "account",
    "contact_id": "contact",
    "opportunity_id": "opportunity",
    "lead_id": "lead",
    "order_id": "order",
    "stage_id": "opportunity_stage",
}


def record_names(db: Any, report: domain.Report, rows: list[dict[str, Any]]) -> dict[str, dict]:
    """Per id group of the report, the names of the records its rows name, as the read
    models keep them (a record's name, title, full name or number)."""
    out: dict[str, dict[str, str]] = {}
    for group in report.groups:
        model = _NAMED.get(group.field)
        ids = sorted({str(row[group.key]) for row in rows if row.get(group.key)})
        if model is None or not ids:
            continue
        shown = sa.func.coalesce(
            *(
                sa.func.nullif(records.c.data[key].astext, "")
                for key in ("name", "title", "full_name", "contact_name", "number")
            )
        )
        found = db.read(
            sa.select(records.c.id, shown.label("shown")).where(
                records.c.entity == model, records.c.id.in_(ids)
            )
        )
        out[group.field] = {str(row.id): row.shown for row in found if row.shown}
    return out


def plain(value: Any) -> Any:
    """A figure as JSON carries it: money and averages as decimal strings, dates ISO."""
    if isinstance(value, Decimal):
        return (
            str(value.quantize(Decimal("0.01")))
            if value != value.to_integral()
            else str(value.quantize(Decimal(1)))
        )
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- the lead funnel --------------------------------------------------------------------------


def lead_funnel(db: Any, actor: Actor, filters: tuple[domain.Filter, ...]) -> list[dict]:
    """For the leads in scope: how many entered each funnel stage, and the average
    seconds of the stays in it that ended."""
    leads = sa.select(records.c.id).where(*scope("lead", actor, filters)).subquery()
    seconds = sa.func.extract("epoch", stage_periods.c.left_at - stage_periods.c.entered_at)
    statement = (
        sa.select(
            stage_periods.c.stage,
            sa.func.count(sa.distinct(stage_periods.c.record_id)).label("entered"),
            sa.func.avg(seconds).label("seconds"),
        )
        .where(
            stage_periods.c.entity == "lead", stage_periods.c.record_id.in_(sa.select(leads.c.id))
        )
        .group_by(stage_periods.c.stage)
    )
    entered: dict[str, int] = {}
    average: dict[str, float | None] = {}
    for row in db.read(statement):
        entered[row.stage] = row.entered
        average[row.stage] = None if row.seconds is None else float(row.seconds)
    return domain.funnel_rows(entered, average)


# --- deals ----------------------------------------------------------------------------------------


def deal_summary(db: Any, actor: Actor, filters: tuple[domain.Filter, ...]) -> dict[str, Any]:
    """Win rate, average cycle of closed deals, time in each stage, why deals are lost."""
    where = scope("opportunity", actor, filters)
    status = records.c.data["status"].astext
    entered = sa.cast(
        sa.func.nullif(records.c.data["stage_entered_at"].astext, ""), TIMESTAMP(timezone=True)
    )
    closed = status.in_(["won", "lost"])
    totals = db.read(
        sa.select(
            sa.func.count().filter(status == "won").label("won"),
            sa.func.count().filter(status == "lost").label("lost"),
            sa.func.count().filter(status == "open").label("open"),
            sa.func.avg(sa.func.extract("epoch", entered - records.c.created_at))
            .filter(closed)
            .label("cycle"),
        ).where(*where)
    )[0]
    decided = totals.won + totals.lost
    deals = sa.select(records.c.id).where(*where).subquery()
    seconds = sa.func.extract("epoch", stage_periods.c.left_at - stage_periods.c.entered_at)
    in_stage = db.read(
        sa.select(
            stage_periods.c.stage,
            sa.func.count(sa.distinct(stage_periods.c.record_id)).label("deals"),
            sa.func.avg(seconds).label("seconds"),
        )
        .where(
            stage_periods.c.entity == "opportunity",
            stage_periods.c.record_id.in_(sa.select(deals.c.id)),
        )
        .group_by(stage_periods.c.stage)
    )
    names = {
        row.id: row.data
        for row in db.read(
            sa.select(records.c.id, records.c.data).where(
                records.c.entity == "opportunity_stage", records.c.deleted.is_(False)
            )
        )
    }
    stages = sorted(
        (
            {
                "stage_id": row.stage,
                "name": (names.get(row.stage) or {}).get("name"),
                "position": (names.get(row.stage) or {}).get("position"),
                "deals": row.deals,
                "average_seconds": None if row.seconds is None else round(float(row.seconds), 1),
            }
            for row in in_stage
        ),
        key=lambda s: (s["position"] is None, s["position"] or 0, s["name"] or ""),
    )
    reason = sa.func.coalesce(sa.func.nullif(records.c.data["lost_reason"].astext, ""), "")
    lost = db.read(
        sa.select(reason.label("reason"), sa.func.count().label("count"))
        .where(*where, status == "lost")
        .group_by(reason)
        .order_by(sa.func.count().desc(), reason)
    )
    return {
        "won": totals.won,
        "lost": totals.lost,
        "open": totals.open,
        "win_rate": None if decided == 0 else round(totals.won / decided, 4),
        "average_cycle_seconds": None if totals.cycle is None else round(float(totals.cycle), 1),
        "stages": stages,
        "lost_reasons": [{"reason": row.reason or None, "count": row.count} for row in lost],
    }
