"""The google service's tables (schema ``google``).

A connected Google account is a connection of the shared sync library (``connections``:
what to sync in ``settings``, the refresh token encrypted in ``secret``; ``cursors``:
the People sync token, one Calendar sync token per calendar, the Gmail history id).

``links`` is the map between Google's ids and Osprey's: a contact ↔ a person, an
activity ↔ an event. A record is never created twice by a round trip because every
write on either side goes through its link, and each link keeps what was last written
on both sides (``remote_etag``, ``crm_version``, the field ``snapshot``), so a sync
knows whether a side changed since and which fields did. ``conflicts`` logs each field
changed on both sides and which side won. ``authorizations`` holds an OAuth 2.0 flow
between its start (the consent screen opened) and its end (the code came back).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.integrations.sync.tables import sync_tables
from services.platform.db import service_metadata

metadata = service_metadata("google")
connections, cursors = sync_tables(metadata)

#: kinds of record a link maps
LINK_KINDS = ("contact", "event")

links = sa.Table(
    "links",
    metadata,
    sa.Column(
        "connection_id",
        UUID(as_uuid=False),
        sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(10), primary_key=True),
    # a person's resourceName; a calendar id and an event id ("primary/abc123")
    sa.Column("remote_id", sa.String(1100), primary_key=True),
    sa.Column("crm_id", UUID(as_uuid=False), nullable=False),
    sa.Column("remote_etag", sa.String(200)),
    sa.Column("crm_version", sa.Integer),
    # the fields as both sides last agreed on them (the base of a three-way merge)
    sa.Column("snapshot", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # what the remote side keeps that Osprey has no field for (a recurrence, a time zone)
    sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # the CRM record was deleted; the remote one goes too when deletions propagate
    sa.Column("crm_deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN {LINK_KINDS!r}", name="kind"),
    sa.UniqueConstraint("connection_id", "kind", "crm_id"),
    sa.Index("ix_links_crm", "kind", "crm_id"),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column(
        "connection_id",
        UUID(as_uuid=False),
        sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("crm_id", UUID(as_uuid=False), nullable=False),
    sa.Column("remote_id", sa.String(1100), nullable=False),
    sa.Column("field", sa.String(50), nullable=False),
    sa.Column("crm_value", JSONB),
    sa.Column("remote_value", JSONB),
    sa.Column("winner", sa.String(10), nullable=False),  # crm, google
    sa.Column("crm_modified_at", sa.DateTime(timezone=True)),
    sa.Column("remote_modified_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_conflicts_connection", "connection_id", "resolved_at"),
)

authorizations = sa.Table(
    "authorizations",
    metadata,
    sa.Column("state", sa.String(100), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=False), nullable=False),
    sa.Column("actor", JSONB, nullable=False),
    sa.Column("code_verifier", sa.String(200)),
    sa.Column("redirect_uri", sa.String(1000), nullable=False),
    # a reconnect: the connection whose token is replaced
    sa.Column("connection_id", UUID(as_uuid=False)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
