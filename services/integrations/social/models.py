"""Tables of the social service (schema ``social``).

``connections`` (the sync library's) holds the social channels an administrator
configured: ``kind`` ∈ facebook, telegram, vk; the platform's settings in ``settings``
(never a secret); the app secret, bot token or VK secret encrypted in ``secret``;
health and ``counts`` (leads made, requests refused). ``hook_events`` keeps one row per
platform delivery that was applied (the platform's own id), so a redelivery gets the
first answer and makes nothing; ``hook_log`` keeps every request refused or accepted,
in words an administrator reads. ``dialogues`` is a Telegram chat's place in the short
dialogue that collects a name and a phone.

``subscriptions`` are the outbound webhooks (a URL and the events it wants, its signing
secret encrypted); ``deliveries`` one event to one subscription with its state and
back-off; ``delivery_attempts`` each try and the answer it got.

``dead_letters`` keeps each message of the inbound bus that was refused (its body as
it came, its routing key and the reason), for an administrator to send again or
discard (Administration → Inbound bus).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.integrations.sync.tables import sync_tables
from services.platform.db import service_metadata

metadata = service_metadata("social")

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

connections, cursors = sync_tables(metadata)

hook_events = sa.Table(
    "hook_events",
    metadata,
    sa.Column(
        "channel_id", ID, sa.ForeignKey(connections.c.id, ondelete="CASCADE"), primary_key=True
    ),  # fmt: skip
    # the platform's id of what it delivered: a leadgen id, a Telegram update id, a VK
    # lead id
    sa.Column("external_id", sa.String(200), primary_key=True),
    sa.Column("lead_id", ID),
    # what the platform was answered (a Telegram reply), given again on a redelivery
    sa.Column("answer", JSONB),
    sa.Column("received_at", TS, nullable=False),
)

hook_log = sa.Table(
    "hook_log",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("channel_id", ID, sa.ForeignKey(connections.c.id, ondelete="CASCADE")),
    sa.Column("kind", sa.String(30), nullable=False),
    # accepted, redelivered, verified, unsigned, forged, replayed, malformed, failed
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("external_id", sa.String(200)),
    sa.Column("lead_id", ID),
    sa.Column("client_ip", sa.String(64)),
    sa.Column("received_at", TS, nullable=False),
    sa.Index("ix_hook_log_channel_received", "channel_id", "received_at"),
)

dialogues = sa.Table(
    "dialogues",
    metadata,
    sa.Column(
        "channel_id", ID, sa.ForeignKey(connections.c.id, ondelete="CASCADE"), primary_key=True
    ),  # fmt: skip
    sa.Column("chat_id", sa.String(40), primary_key=True),
    sa.Column("step", sa.String(20), nullable=False),  # name, phone, done
    sa.Column("answers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("lead_id", ID),
    sa.Column("updated_at", TS, nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("secret", sa.LargeBinary, nullable=False),  # Fernet token (sync.crypto)
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("created_by", ID),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "subscription_id", ID, sa.ForeignKey(subscriptions.c.id, ondelete="CASCADE"), nullable=False
    ),  # fmt: skip
    sa.Column("event_id", ID, nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    # the exact body every attempt sends (and signs)
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", TS),
    sa.Column("lease_until", TS),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_attempt_at", TS),
    sa.Column("delivered_at", TS),
    sa.UniqueConstraint("subscription_id", "event_id"),
    sa.Index("ix_deliveries_subscription_created", "subscription_id", "created_at"),
    sa.Index(
        "ix_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
    ),  # fmt: skip
    # the log's pruning (social_0002): settled deliveries by their last try
    sa.Index(
        "ix_deliveries_settled_at",
        sa.text("COALESCE(last_attempt_at, created_at)"),
        postgresql_where=sa.text("status <> 'pending'"),
    ),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column(
        "delivery_id", ID, sa.ForeignKey(deliveries.c.id, ondelete="CASCADE"), primary_key=True
    ),  # fmt: skip
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("by_hand", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status_code", sa.Integer),
    # the start of the answer's body, as received
    sa.Column("response", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("duration_ms", sa.Integer),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", ID, primary_key=True),
    # the message_id the message named, when it named one (shown; not trusted)
    sa.Column("message_id", sa.String(100)),
    sa.Column("routing_key", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(255)),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("received_at", TS, nullable=False),
)
