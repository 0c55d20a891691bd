"""The mail service's tables (schema ``mail``).

A mailbox is a connection of the shared sync library (``connections``: its IMAP/SMTP
settings in ``settings``, the password encrypted in ``secret``; ``cursors``: one per
folder). A message is stored once, whichever mailboxes and folders hold it
(``message_key``: its Message-ID, else a hash of its bytes); ``message_locations`` says
where each copy is (mailbox, folder, UIDVALIDITY, UID).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.integrations.sync.tables import sync_tables
from services.platform.db import service_metadata

metadata = service_metadata("mail")
connections, cursors = sync_tables(metadata)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("message_key", sa.String(200), nullable=False, unique=True),
    sa.Column("message_id", sa.Text),  # the Message-ID header, without <>
    sa.Column("thread_key", sa.String(200), nullable=False),
    sa.Column("subject", sa.Text, nullable=False, server_default=""),
    sa.Column("from_address", sa.String(320)),
    sa.Column("from_name", sa.Text),
    sa.Column("to_addresses", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("cc_addresses", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("in_reply_to", sa.Text),
    sa.Column("references", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("snippet", sa.Text, nullable=False, server_default=""),
    sa.Column("body_text", sa.Text),
    sa.Column("body_html", sa.Text),
    sa.Column("size", sa.Integer, nullable=False, server_default="0"),
    sa.Column("has_attachments", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("problems", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("direction", sa.String(10), nullable=False, server_default="incoming"),
    sa.Column("needs_processing", sa.Boolean, nullable=False, server_default=sa.false()),
    # pending: waits for the linking step; done: linked or left for a person
    sa.Column("link_state", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # whom the message counts for (analytics): the mailbox that first stored it and its
    # owner and team; for mail sent through Osprey, the sender and their team (mail_0002)
    sa.Column("mailbox_id", UUID(as_uuid=False)),
    sa.Column("user_id", UUID(as_uuid=False)),
    sa.Column("team_id", UUID(as_uuid=False)),
    sa.Index("ix_messages_thread_key", "thread_key"),
    sa.Index("ix_messages_message_id", "message_id"),
    sa.Index("ix_messages_link_pending", "id", postgresql_where=sa.text("link_state = 'pending'")),
    sa.Index(
        "ix_messages_needs_processing",
        "sent_at",
        postgresql_where=sa.text("needs_processing"),
    ),
)

locations = sa.Table(
    "message_locations",
    metadata,
    sa.Column(
        "connection_id",
        UUID(as_uuid=False),
        sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("folder", sa.String(1000), primary_key=True),
    sa.Column("uidvalidity", sa.BigInteger, primary_key=True),
    sa.Column("uid", sa.BigInteger, primary_key=True),
    sa.Column(
        "message_id",
        UUID(as_uuid=False),
        sa.ForeignKey(messages.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Index("ix_message_locations_message_id", "message_id"),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column(
        "message_id",
        UUID(as_uuid=False),
        sa.ForeignKey(messages.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("filename", sa.Text),
    sa.Column("content_type", sa.String(200), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary),  # None: over the configured size, not kept
    sa.Index("ix_attachments_message_id", "message_id"),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column(
        "message_id",
        UUID(as_uuid=False),
        sa.ForeignKey(messages.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("record_type", sa.String(30), primary_key=True),
    sa.Column("record_id", UUID(as_uuid=False), primary_key=True),
    sa.Column("rule", sa.String(20), nullable=False),  # sender, recipient, subject, thread, ...
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", UUID(as_uuid=False)),
    sa.Index("ix_links_record", "record_type", "record_id"),
)

subject_rules = sa.Table(
    "subject_rules",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("pattern", sa.String(500), nullable=False),
    sa.Column("record_type", sa.String(30), nullable=False),
    sa.Column("record_id", UUID(as_uuid=False)),  # None: the match names the record
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", UUID(as_uuid=False)),
)

templates = sa.Table(
    "templates",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", UUID(as_uuid=False)),
)

#: Mail being sent: kept from the request on, so a send that fails loses nothing and
#: says why; ``message_id`` names the stored message once it went out.
sends = sa.Table(
    "sends",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column(
        "connection_id",
        UUID(as_uuid=False),
        sa.ForeignKey(connections.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("state", sa.String(10), nullable=False),  # pending, sent, failed
    sa.Column("mime", sa.LargeBinary, nullable=False),
    sa.Column("recipients", JSONB, nullable=False),
    sa.Column("links", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message_id", UUID(as_uuid=False)),
    sa.Column("created_by", UUID(as_uuid=False)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)

#: One lead per unknown sender to a shared mailbox, ever: the address is claimed here
#: before the lead is asked for.
sender_leads = sa.Table(
    "sender_leads",
    metadata,
    sa.Column("address", sa.String(320), primary_key=True),
    sa.Column("lead_id", UUID(as_uuid=False)),
    sa.Column("message_id", UUID(as_uuid=False), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
