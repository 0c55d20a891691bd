"""Tables of the feed service (schema ``feed``).

Channels and their members; posts (in a channel or about a record), comments and
likes; subscriptions (follows); notifications; the files store; the live stream's
items and their gap-free counter; the read models kept from other services' events
(``record_refs``, ``directory_users``, ``directory_teams``); system post settings.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from services.platform.db import service_metadata
from services.platform.requests_once import applied_requests_table

metadata = service_metadata("feed")
#: the idempotency keys of the requests applied (services/platform/requests_once.py)
applied_requests = applied_requests_table(metadata)

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, TS, nullable=nullable)


channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("is_private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_by", ID, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("uq_channels_lower_name", sa.text("lower(name)"), unique=True),
)

channel_members = sa.Table(
    "channel_members",
    metadata,
    sa.Column("channel_id", ID, sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    _ts("created_at"),
    sa.Index("ix_channel_members_user_id", "user_id"),
)

posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("channel_id", ID, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=True),
    sa.Column("related_type", sa.String(30), nullable=True),
    sa.Column("related_id", ID, nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("author_id", ID, nullable=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("event_type", sa.String(60), nullable=True),
    sa.Column("source_event_id", ID, nullable=True),
    sa.Column("mentions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("attachment_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("like_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("comment_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_pinned", sa.Boolean, nullable=False, server_default=sa.false()),
    _ts("created_at"),
    _ts("edited_at", nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # a system post's text names its record's fields (a title, an amount): the fields,
    # and the text without them for a reader whose role hides any (feed_0004)
    sa.Column("shows_fields", JSONB, nullable=True),
    sa.Column("plain_text", sa.Text, nullable=True),
    sa.Column("plain_html", sa.Text, nullable=True),
    sa.CheckConstraint("(channel_id IS NULL) <> (related_id IS NULL)", name="channel_or_record"),
    sa.CheckConstraint("kind IN ('user', 'system')", name="kind"),
    sa.UniqueConstraint("source_event_id"),
    sa.Index("ix_posts_channel_id_id", "channel_id", "id"),
    sa.Index("ix_posts_related_type_related_id_id", "related_type", "related_id", "id"),
    sa.Index("ix_posts_author_id_id", "author_id", "id"),
    sa.Index("ix_posts_mentions", "mentions", postgresql_using="gin"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("post_id", ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("author_id", ID, nullable=False),
    sa.Column("mentions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    _ts("created_at"),
    _ts("edited_at", nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_comments_post_id_id", "post_id", "id"),
)

likes = sa.Table(
    "likes",
    metadata,
    sa.Column("post_id", ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
    _ts("created_at"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("target_type", sa.String(30), nullable=False),
    sa.Column("target_id", ID, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("user_id", "target_type", "target_id"),
    sa.Index("ix_subscriptions_target_type_target_id", "target_type", "target_id"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("related_type", sa.String(30), nullable=True),
    sa.Column("related_id", ID, nullable=True),
    sa.Column("post_id", ID, nullable=True),
    sa.Column("actor_id", ID, nullable=True),
    _ts("read_at", nullable=True),
    _ts("created_at"),
    sa.CheckConstraint(
        "kind IN ('mention', 'comment', 'like', 'assignment', 'system')", name="kind"
    ),
    sa.Index("ix_notifications_user_id_id", "user_id", "id"),
    sa.Index(
        "ix_notifications_unread",
        "user_id",
        postgresql_where=sa.text("read_at IS NULL"),
    ),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", BYTEA, nullable=False),
    sa.Column("created_by", ID, nullable=False),
    _ts("created_at"),
)

stream_counter = sa.Table(
    "stream_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
)

stream_items = sa.Table(
    "stream_items",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(40), nullable=False),
    _ts("occurred_at"),
    sa.Column("audience", JSONB, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Index("ix_stream_items_occurred_at", "occurred_at"),
)

record_refs = sa.Table(
    "record_refs",
    metadata,
    sa.Column("type", sa.String(30), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, nullable=True),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("title", sa.String(300), nullable=True),
    _ts("updated_at"),
    # an activity's record (its related_type / related_id): its posts show there (feed_0005)
    sa.Column("parent_type", sa.String(30), nullable=True),
    sa.Column("parent_id", ID, nullable=True),
    sa.Index(
        "ix_record_refs_parent",
        "parent_type",
        "parent_id",
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    ),
)

# the owning services' record shares (``<singular>_shared`` / ``_unshared``): who reads
# a record's posts beyond its owner and team (feed_0004)
record_shares = sa.Table(
    "record_shares",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("user_id", ID, nullable=True),
    sa.Column("team_id", ID, nullable=True),
    # taken back: kept, so a late ``_shared`` of the same share cannot bring it back
    sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_record_shares_record", "type", "record_id"),
    sa.Index("ix_record_shares_user_id", "user_id"),
    sa.Index("ix_record_shares_team_id", "team_id"),
)

directory_users = sa.Table(
    "directory_users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("handle", sa.String(320), nullable=False),
    sa.Column("full_name", sa.String(300), nullable=True),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_directory_users_handle", "handle"),
    sa.Index("ix_directory_users_team_id", "team_id"),
)

directory_teams = sa.Table(
    "directory_teams",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("handle", sa.String(200), nullable=False),
    sa.Index("ix_directory_teams_handle", "handle"),
)

system_post_settings = sa.Table(
    "system_post_settings",
    metadata,
    sa.Column("event_type", sa.String(60), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("channel_id", ID, nullable=True),
    _ts("updated_at", nullable=True),
)
