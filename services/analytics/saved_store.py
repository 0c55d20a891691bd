"""Saved reports and Results pages (dashboards): rows, who may read and change them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.events import isoformat, utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.records import check_version, not_found
from services.platform.values import is_uuid

from . import domain
from .models import dashboards, reports

MAX_NAME = 200
MAX_WIDGETS = 24
WIDGET_KINDS = ("number", "chart", "list")
GRID_COLUMNS = 12
#: what of a saved report is its spec (the rest: name, sharing, version)
SPEC_KEYS = ("entity", "group_by", "aggregates", "filters", "chart", "columns")


def readable_reports(actor: Actor) -> Any:
    """A user's own reports and those shared with their team (an admin reads all)."""
    if actor.is_admin:
        return sa.true()
    mine = reports.c.owner_id == actor.id
    if actor.team_id and is_uuid(actor.team_id):
        return sa.or_(mine, sa.and_(reports.c.shared_with_team, reports.c.team_id == actor.team_id))
    return mine


def report_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        **row.spec,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "shared_with_team": row.shared_with_team,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise failed("name", "is required")
    if len(value.strip()) > MAX_NAME or "\x00" in value:
        raise failed("name", f"at most {MAX_NAME} characters of text")
    return value.strip()


def report_row(db: Any, report_id: str, actor: Actor, *, for_update: bool = False) -> Any:
    if not is_uuid(report_id):
        raise not_found("report")
    statement = sa.select(reports).where(reports.c.id == report_id, readable_reports(actor))
    if for_update:
        statement = statement.with_for_update()
    row = db.execute(statement).first()
    if row is None:
        raise not_found("report")
    return row


def create_report(db: Any, data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    name = check_name(data.get("name"))
    spec = domain.check_report(data).as_spec()
    now = utcnow()
    row = {
        "id": new_id(),
        "name": name,
        "spec": spec,
        "owner_id": actor.id,
        "team_id": actor.team_id,
        "shared_with_team": bool(data.get("shared_with_team")),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    db.execute(reports.insert().values(**row))
    return report_out(_Row(row))


def update_report(
    db: Any, report_id: str, data: dict[str, Any], actor: Actor, expected: int | None
) -> dict[str, Any]:
    row = report_row(db, report_id, actor, for_update=True)
    if row.owner_id != actor.id and not actor.is_admin:
        raise PermissionDenied("Only its owner changes a report")
    check_version("report", row.version, expected)
    unknown = set(data) - {*SPEC_KEYS, "name", "shared_with_team", "version"}
    if unknown:
        raise ValidationFailed(
            "Unknown fields",
            [{"field": name, "message": "unknown field"} for name in sorted(unknown)],
        )
    spec = domain.check_report({**row.spec, **{k: data[k] for k in SPEC_KEYS if k in data}})
    values = {
        "name": check_name(data["name"]) if "name" in data else row.name,
        "spec": spec.as_spec(),
        "shared_with_team": bool(data.get("shared_with_team", row.shared_with_team)),
        "version": row.version + 1,
        "updated_at": utcnow(),
    }
    db.execute(reports.update().where(reports.c.id == row.id).values(**values))
    return report_out(_Row({**row._mapping, **values}))


def delete_report(db: Any, report_id: str, actor: Actor, expected: int | None = None) -> None:
    row = report_row(db, report_id, actor, for_update=True)
    if row.owner_id != actor.id and not actor.is_admin:
        raise PermissionDenied("Only its owner deletes a report")
    check_version("report", row.version, expected)
    db.execute(reports.delete().where(reports.c.id == row.id))


def list_reports(db: Any, actor: Actor) -> list[dict[str, Any]]:
    rows = db.read(
        sa.select(reports).where(readable_reports(actor)).order_by(reports.c.name, reports.c.id)
    )
    return [report_out(row) for row in rows]


class _Row:
    """A dict read as a row (attributes), for :func:`report_out` and :func:`dashboard_out`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# --- Results pages ---------------------------------------------------------------------


def check_widgets(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise failed("widgets", "must be a list")
    if len(value) > MAX_WIDGETS:
        raise failed("widgets", f"at most {MAX_WIDGETS}")
    out = []
    for n, item in enumerate(value):
        where = f"widgets[{n}]"
        if not isinstance(item, dict):
            raise failed(where, "must be an object")
        kind = item.get("kind")
        if kind not in WIDGET_KINDS:
            raise failed(f"{where}.kind", f"must be one of {', '.join(WIDGET_KINDS)}")
        title = item.get("title") or ""
        if not isinstance(title, str) or len(title) > MAX_NAME or "\x00" in title:
            raise failed(f"{where}.title", f"at most {MAX_NAME} characters of text")
        try:
            spec = domain.check_report(item.get("report")).as_spec()
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message,
                [
                    {"field": f"{where}.report.{e['field']}", "message": e["message"]}
                    for e in exc.errors
                ],
            ) from None
        box = {}
        for key, low, high, default in (
            ("x", 0, GRID_COLUMNS - 1, 0),
            ("y", 0, 1000, n),
            ("w", 1, GRID_COLUMNS, 4),
            ("h", 1, 12, 3),
        ):
            number = item.get(key, default)
            if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                raise failed(f"{where}.{key}", f"must be a whole number from {low} to {high}")
            box[key] = number
        if box["x"] + box["w"] > GRID_COLUMNS:
            raise failed(f"{where}.w", f"the widget must fit the {GRID_COLUMNS} columns")
        out.append(
            {
                "id": str(item.get("id") or new_id())[:64],
                "kind": kind,
                "title": title.strip(),
                "report": spec,
                **box,
            }
        )
    return out


def dashboard_out(row: Any, *, source: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "widgets": row.widgets,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "is_team_default": row.is_team_default,
        "version": row.version,
        "source": source,  # mine | team | built_in
        "updated_at": isoformat(row.updated_at) if row.updated_at else None,
    }


def results_page(db: Any, actor: Actor) -> dict[str, Any]:
    """The user's own Results page, else their team's default, else Osprey's."""
    mine = db.read(
        sa.select(dashboards).where(
            dashboards.c.owner_id == actor.id, dashboards.c.is_team_default.is_(False)
        )
    )
    if mine:
        return dashboard_out(mine[0], source="mine")
    if actor.team_id and is_uuid(actor.team_id):
        team = db.read(
            sa.select(dashboards)
            .where(dashboards.c.team_id == actor.team_id, dashboards.c.is_team_default.is_(True))
            .order_by(dashboards.c.updated_at.desc())
            .limit(1)
        )
        if team:
            return dashboard_out(team[0], source="team")
    return {
        "id": None,
        "name": "Results",
        "widgets": check_widgets(BUILT_IN_WIDGETS),
        "owner_id": None,
        "team_id": None,
        "is_team_default": False,
        "version": 0,
        "source": "built_in",
        "updated_at": None,
    }


def save_results_page(
    db: Any, data: dict[str, Any], actor: Actor, *, team_default: bool, expected: int | None
) -> dict[str, Any]:
    widgets = check_widgets(data.get("widgets"))
    name = check_name(data.get("name") or "Results")
    if team_default:
        if not actor.is_manager:
            raise PermissionDenied(
                "Only a manager or an administrator shares a team's Results page"
            )
        if not actor.team_id:
            raise failed("team_id", "you belong to no team")
        where = [dashboards.c.team_id == actor.team_id, dashboards.c.is_team_default.is_(True)]
    else:
        where = [dashboards.c.owner_id == actor.id, dashboards.c.is_team_default.is_(False)]
    row = db.execute(sa.select(dashboards).where(*where).with_for_update()).first()
    now = utcnow()
    if row is None:
        if expected not in (None, 0):
            check_version("Results page", 0, expected)
        values = {
            "id": new_id(),
            "name": name,
            "widgets": widgets,
            "owner_id": actor.id,
            "team_id": actor.team_id,
            "is_team_default": team_default,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        db.execute(dashboards.insert().values(**values))
        return dashboard_out(_Row(values), source="team" if team_default else "mine")
    check_version("Results page", row.version, expected)
    values = {"name": name, "widgets": widgets, "version": row.version + 1, "updated_at": now}
    db.execute(dashboards.update().where(dashboards.c.id == row.id).values(**values))
    return dashboard_out(
        _Row({**row._mapping, **values}), source="team" if team_default else "mine"
    )


#: the Results page of a user who has not made one and whose team has none
BUILT_IN_WIDGETS: list[dict[str, Any]] = [
    {
        "kind": "number",
        "title": "Open deals",
        "x": 0,
        "y": 0,
        "w": 3,
        "h": 2,
        "report": {
            "entity": "opportunities",
            "filters": {"status": "open"},
            "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
            "chart": "number",
        },
    },
    {
        "kind": "number",
        "title": "New leads this month",
        "x": 3,
        "y": 0,
        "w": 3,
        "h": 2,
        "report": {
            "entity": "leads",
            "group_by": [{"field": "created_at", "bucket": "month"}],
            "chart": "number",
        },
    },
    {
        "kind": "chart",
        "title": "Leads by source",
        "x": 6,
        "y": 0,
        "w": 6,
        "h": 4,
        "report": {"entity": "leads", "group_by": ["source"], "chart": "bar"},
    },
    {
        "kind": "chart",
        "title": "Deals by stage",
        "x": 0,
        "y": 2,
        "w": 6,
        "h": 4,
        "report": {
            "entity": "opportunities",
            "filters": {"status": "open"},
            "group_by": ["stage_id"],
            "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
            "chart": "funnel",
        },
    },
    {
        "kind": "chart",
        "title": "Orders by month",
        "x": 6,
        "y": 4,
        "w": 6,
        "h": 4,
        "report": {
            "entity": "orders",
            "group_by": [{"field": "created_at", "bucket": "month"}],
            "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "total"}],
            "chart": "line",
        },
    },
    {
        "kind": "chart",
        "title": "Activities by owner",
        "x": 0,
        "y": 6,
        "w": 6,
        "h": 4,
        "report": {"entity": "activities", "group_by": ["owner_id", "status"], "chart": "bar"},
    },
]
