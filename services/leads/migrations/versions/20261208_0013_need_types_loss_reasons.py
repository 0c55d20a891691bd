"""Lookups: need types and deals' loss reasons are lists administrators keep too, seeded
with their defaults (written out here, as services/leads/domain/lookups.py has them).

Revision ID: leads_0013
Revises: leads_0012
Create Date: 2026-12-08
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "leads_0013"
down_revision = "leads_0012"
branch_labels = None
depends_on = None

SCHEMA = "leads"
KINDS = ("source", "channel", "disqualification_reason", "need_type", "loss_reason")
OLD_KINDS = ("source", "channel", "disqualification_reason")
LOOKUPS = {
    "need_type": (
        ("licences", "Licences"),
        ("implementation", "Implementation"),
        ("support", "Support"),
        ("training", "Training"),
        ("consulting", "Consulting"),
    ),
    "loss_reason": (
        ("price", "Price"),
        ("chose_competitor", "Chose a competitor"),
        ("no_budget", "No budget"),
        ("no_decision", "No decision"),
        ("timing", "Timing"),
    ),
}


def _check(kinds: tuple[str, ...]) -> None:
    op.drop_constraint("ck_lookups_kind", "lookups", schema=SCHEMA, type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint("ck_lookups_kind", "lookups", f"kind IN ({listed})", schema=SCHEMA)


def upgrade() -> None:
    _check(KINDS)
    lookups = sa.table(
        "lookups",
        *(sa.column(name) for name in ("id", "kind", "code", "name", "position", "is_active")),
        *(sa.column(name) for name in ("version", "created_at", "updated_at")),
        schema=SCHEMA,
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        lookups,
        [
            {
                "id": str(uuid.uuid4()),
                "kind": kind,
                "code": code,
                "name": name,
                "position": (i + 1) * 10,
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for kind, entries in LOOKUPS.items()
            for i, (code, name) in enumerate(entries)
        ],
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.lookups WHERE kind IN ('need_type', 'loss_reason')")
    _check(OLD_KINDS)
