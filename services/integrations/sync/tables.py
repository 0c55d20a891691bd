"""The tables every integration service keeps in its own schema: ``connections`` (one
per connected account, personal or shared, with its lease and health) and ``cursors``
(how far each folder or feed of a connection is synced)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

#: What a connection is doing: syncing when due, stopped by its owner, or refused by
#: the server until someone fixes it (a wrong password is not retried every minute).
STATES = ("active", "paused", "needs_attention")


def sync_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """Add ``connections`` and ``cursors`` to a service's metadata; return them."""
    connections = sa.Table(
        "connections",
        metadata,
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("name", sa.String(320), nullable=False),
        sa.Column("owner_id", UUID(as_uuid=False)),
        sa.Column("team_id", UUID(as_uuid=False)),
        sa.Column("is_shared", sa.Boolean, nullable=False, server_default=sa.false()),
        # the vendor's settings (hosts, ports, folders, ...): never a secret
        sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("secret", sa.LargeBinary),  # Fernet token (crypto.SecretBox)
        sa.Column("state", sa.String(30), nullable=False, server_default="active"),
        # leases: who syncs it now and until when; when it is due next
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=False),
        # health
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_synced_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", sa.DateTime(timezone=True)),
        sa.Column("counts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", UUID(as_uuid=False)),
        sa.CheckConstraint(f"state IN {STATES!r}".replace(",)", ")"), name="state"),
        sa.Index(
            "ix_connections_due", "next_sync_at", postgresql_where=sa.text("state = 'active'")
        ),
        sa.Index("ix_connections_owner_id", "owner_id"),
    )
    cursors = sa.Table(
        "cursors",
        metadata,
        sa.Column(
            "connection_id",
            UUID(as_uuid=False),
            sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(1000), primary_key=True),  # a folder, a feed
        sa.Column("state", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    return connections, cursors
