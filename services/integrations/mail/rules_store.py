"""Subject rules and mail templates: their reads and writes (the caller commits)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from .models import subject_rules, templates


def dump_rule(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "pattern": row.pattern,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "is_active": row.is_active,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def list_rules(db: Any) -> list[dict[str, Any]]:
    rows = db.execute(sa.select(subject_rules).order_by(subject_rules.c.created_at)).all()
    return [dump_rule(r) for r in rows]


def insert_rule(db: Any, values: dict[str, Any], created_by: str) -> dict[str, Any]:
    now = utcnow()
    rule_id = new_id()
    db.execute(
        subject_rules.insert().values(
            id=rule_id, created_at=now, updated_at=now, created_by=created_by, **values
        )
    )
    return dump_rule(
        db.execute(sa.select(subject_rules).where(subject_rules.c.id == rule_id)).first()
    )


def delete_rule(db: Any, rule_id: str) -> bool:
    return bool(db.execute(subject_rules.delete().where(subject_rules.c.id == rule_id)).rowcount)


def dump_template(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "subject": row.subject,
        "body": row.body,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def list_templates(db: Any) -> list[dict[str, Any]]:
    return [dump_template(r) for r in db.execute(sa.select(templates).order_by(templates.c.name))]


def template_row(db: Any, template_id: str) -> Any:
    return db.execute(sa.select(templates).where(templates.c.id == template_id)).first()


def insert_template(db: Any, values: dict[str, Any], created_by: str) -> dict[str, Any]:
    now = utcnow()
    template_id = new_id()
    db.execute(
        insert(templates).values(
            id=template_id, created_at=now, updated_at=now, created_by=created_by, **values
        )
    )
    return dump_template(template_row(db, template_id))
