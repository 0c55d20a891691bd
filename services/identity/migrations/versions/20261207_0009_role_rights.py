"""Access rights per role: object rights and record scopes per entity, column rights per
field; the seeded roles get exactly the rights Osprey applied before (admin: all/all;
sales_manager: read and change the team's; sales_rep: read the team's, change their
own; products changed by managers and admins only).

Revision ID: identity_0009
Revises: identity_0008
Create Date: 2026-12-07 15:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "identity_0009"
down_revision = "identity_0008"
branch_labels = None
depends_on = None

SCHEMA = "identity"
ENTITIES = (
    "leads",
    "accounts",
    "contacts",
    "opportunities",
    "activities",
    "products",
    "orders",
    "invoices",
)
ADMIN = "00000000-0000-7000-8000-000000000001"
SALES_MANAGER = "00000000-0000-7000-8000-000000000002"
SALES_REP = "00000000-0000-7000-8000-000000000003"
# written out literally, as services/identity/rights.py SEEDED_RIGHTS has them
SEEDED = {
    ADMIN: {entity: ("crudx", "all", "all") for entity in ENTITIES},
    SALES_MANAGER: {
        **{entity: ("crudx", "team", "team") for entity in ENTITIES},
        "products": ("crudx", "all", "all"),
    },
    SALES_REP: {
        **{entity: ("crudx", "team", "own") for entity in ENTITIES},
        "products": ("rx", "all", "own"),
    },
}


def upgrade() -> None:
    rights = op.create_table(
        "role_object_rights",
        sa.Column(
            "role_id",
            UUID(as_uuid=False),
            sa.ForeignKey("identity.roles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("can_create", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_read", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_update", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_delete", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_export", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("read_scope", sa.String(10), server_default="own", nullable=False),
        sa.Column("write_scope", sa.String(10), server_default="own", nullable=False),
        sa.PrimaryKeyConstraint("role_id", "entity", name="pk_role_object_rights"),
        sa.CheckConstraint(
            "read_scope IN ('own', 'team', 'all')", name="ck_role_object_rights_read_scope"
        ),
        sa.CheckConstraint(
            "write_scope IN ('own', 'team', 'all')", name="ck_role_object_rights_write_scope"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "role_column_rights",
        sa.Column(
            "role_id",
            UUID(as_uuid=False),
            sa.ForeignKey("identity.roles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("field", sa.String(63), nullable=False),
        sa.Column("access", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "entity", "field", name="pk_role_column_rights"),
        sa.CheckConstraint(
            "access IN ('hidden', 'read_only')", name="ck_role_column_rights_access"
        ),
        schema=SCHEMA,
    )
    existing = {
        row[0] for row in op.get_bind().execute(sa.text("SELECT id::text FROM identity.roles"))
    }
    op.bulk_insert(
        rights,
        [
            {
                "role_id": role_id,
                "entity": entity,
                "can_create": "c" in ops,
                "can_read": "r" in ops,
                "can_update": "u" in ops,
                "can_delete": "d" in ops,
                "can_export": "x" in ops,
                "read_scope": read,
                "write_scope": write,
            }
            for role_id, entities in SEEDED.items()
            if role_id in existing
            for entity, (ops, read, write) in entities.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("role_column_rights", schema=SCHEMA)
    op.drop_table("role_object_rights", schema=SCHEMA)
