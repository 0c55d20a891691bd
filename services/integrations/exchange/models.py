"""The Exchange service's tables (schema ``exchange``).

A connection is one of the shared sync library's ``connections`` (its EWS settings in
``settings``: the address, the EWS URL or autodiscover, the authentication, the chosen
folders and directions; the password or OAuth2 token encrypted in ``secret``), and each
synced folder has a cursor (``cursors``: the folder's SyncFolderItems sync state).

``item_links`` pairs an Exchange item with the CRM record it is (a contact, or an
activity: a meeting or a task), so an item never becomes a second record however often
it goes back and forth; for a recurring meeting each occurrence is its own activity,
keyed by the series' item and the occurrence's original start. ``snapshot`` holds the
fields as both sides last agreed on them, which is how a change is told from an old
value. ``conflicts`` logs every field both sides changed and which side won.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.integrations.sync.tables import sync_tables
from services.platform.db import service_metadata

metadata = service_metadata("exchange")
connections, cursors = sync_tables(metadata)

#: what an item link pairs: a contact, a calendar meeting, a task
LINK_KINDS = ("contact", "meeting", "task")

item_links = sa.Table(
    "item_links",
    metadata,
    sa.Column(
        "connection_id",
        UUID(as_uuid=False),
        sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("remote_id", sa.String(1024), primary_key=True),
    # an occurrence of a recurring meeting: its original start (ISO, UTC); '' otherwise
    sa.Column("occurrence", sa.String(40), primary_key=True, server_default=""),
    sa.Column("crm_id", UUID(as_uuid=False), nullable=False),
    sa.Column("change_key", sa.String(1024)),
    sa.Column("crm_version", sa.Integer),
    sa.Column("remote_modified_at", sa.DateTime(timezone=True)),
    sa.Column("snapshot", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN {LINK_KINDS!r}", name="kind"),
    sa.UniqueConstraint("connection_id", "crm_id", name="uq_item_links_connection_id_crm_id"),
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
    sa.Column("remote_id", sa.String(1024), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("crm_value", JSONB),
    sa.Column("remote_value", JSONB),
    # crm or exchange: the side whose change was newer
    sa.Column("winner", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_conflicts_connection_id_at", "connection_id", "at"),
)
