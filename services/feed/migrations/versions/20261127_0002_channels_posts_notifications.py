"""Channels and members, posts, comments and likes, subscriptions, notifications, the
files store, the live stream's items and gap-free counter, the read models of records
and people, and the system post settings (every event type enabled).

Revision ID: feed_0002
Revises: feed_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "feed_0002"
down_revision = "feed_0001"
branch_labels = None
depends_on = None

# Written out, not imported: a migration must keep meaning what it meant when written.
SYSTEM_EVENT_TYPES = (
    "lead_assigned",
    "opportunity_stage_changed",
    "opportunity_won",
    "order_status_changed",
    "invoice_overdue",
)


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_private", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        schema="feed",
    )
    op.create_index(
        "uq_channels_lower_name",
        "channels",
        [sa.literal_column("lower(name)")],
        unique=True,
        schema="feed",
    )
    op.create_table(
        "directory_teams",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_teams")),
        schema="feed",
    )
    op.create_index(
        "ix_directory_teams_handle", "directory_teams", ["handle"], unique=False, schema="feed"
    )
    op.create_table(
        "directory_users",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("handle", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_users")),
        schema="feed",
    )
    op.create_index(
        "ix_directory_users_handle", "directory_users", ["handle"], unique=False, schema="feed"
    )
    op.create_index(
        "ix_directory_users_team_id", "directory_users", ["team_id"], unique=False, schema="feed"
    )
    op.create_table(
        "files",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", postgresql.BYTEA(), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        schema="feed",
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("user_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("related_type", sa.String(length=30), nullable=True),
        sa.Column("related_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("post_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("actor_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('mention', 'comment', 'like', 'assignment', 'system')",
            name=op.f("ck_notifications_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        schema="feed",
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        unique=False,
        schema="feed",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notifications_user_id_id",
        "notifications",
        ["user_id", "id"],
        unique=False,
        schema="feed",
    )
    op.create_table(
        "record_refs",
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type", "id", name=op.f("pk_record_refs")),
        schema="feed",
    )
    op.create_table(
        "stream_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_counter")),
        schema="feed",
    )
    op.create_table(
        "stream_items",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_stream_items")),
        schema="feed",
    )
    op.create_index(
        "ix_stream_items_occurred_at", "stream_items", ["occurred_at"], unique=False, schema="feed"
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("user_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("target_type", sa.String(length=30), nullable=False),
        sa.Column("target_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "user_id",
            "target_type",
            "target_id",
            name=op.f("uq_subscriptions_user_id_target_type_target_id"),
        ),
        schema="feed",
    )
    op.create_index(
        "ix_subscriptions_target_type_target_id",
        "subscriptions",
        ["target_type", "target_id"],
        unique=False,
        schema="feed",
    )
    op.create_table(
        "system_post_settings",
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("channel_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_type", name=op.f("pk_system_post_settings")),
        schema="feed",
    )
    op.create_table(
        "channel_members",
        sa.Column("channel_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("user_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["feed.channels.id"],
            name=op.f("fk_channel_members_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "user_id", name=op.f("pk_channel_members")),
        schema="feed",
    )
    op.create_index(
        "ix_channel_members_user_id", "channel_members", ["user_id"], unique=False, schema="feed"
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("channel_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("related_type", sa.String(length=30), nullable=True),
        sa.Column("related_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=True),
        sa.Column("source_event_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column(
            "mentions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "attachment_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("like_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("kind IN ('user', 'system')", name=op.f("ck_posts_kind")),
        sa.CheckConstraint(
            "(channel_id IS NULL) <> (related_id IS NULL)", name=op.f("ck_posts_channel_or_record")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["feed.channels.id"],
            name=op.f("fk_posts_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("source_event_id", name=op.f("uq_posts_source_event_id")),
        schema="feed",
    )
    op.create_index(
        "ix_posts_author_id_id", "posts", ["author_id", "id"], unique=False, schema="feed"
    )
    op.create_index(
        "ix_posts_channel_id_id", "posts", ["channel_id", "id"], unique=False, schema="feed"
    )
    op.create_index(
        "ix_posts_mentions",
        "posts",
        ["mentions"],
        unique=False,
        schema="feed",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_posts_related_type_related_id_id",
        "posts",
        ["related_type", "related_id", "id"],
        unique=False,
        schema="feed",
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("post_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column(
            "mentions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["feed.posts.id"],
            name=op.f("fk_comments_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        schema="feed",
    )
    op.create_index(
        "ix_comments_post_id_id", "comments", ["post_id", "id"], unique=False, schema="feed"
    )
    op.create_table(
        "likes",
        sa.Column("post_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("user_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["feed.posts.id"], name=op.f("fk_likes_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", name=op.f("pk_likes")),
        schema="feed",
    )
    op.execute("INSERT INTO feed.stream_counter (id, last_seq) VALUES (1, 0)")
    for event_type in SYSTEM_EVENT_TYPES:
        op.execute(
            "INSERT INTO feed.system_post_settings (event_type, enabled) "
            f"VALUES ('{event_type}', true)"
        )


def downgrade() -> None:
    op.drop_table("likes", schema="feed")
    op.drop_index("ix_comments_post_id_id", table_name="comments", schema="feed")
    op.drop_table("comments", schema="feed")
    op.drop_index("ix_posts_related_type_related_id_id", table_name="posts", schema="feed")
    op.drop_index("ix_posts_mentions", table_name="posts", schema="feed", postgresql_using="gin")
    op.drop_index("ix_posts_channel_id_id", table_name="posts", schema="feed")
    op.drop_index("ix_posts_author_id_id", table_name="posts", schema="feed")
    op.drop_table("posts", schema="feed")
    op.drop_index("ix_channel_members_user_id", table_name="channel_members", schema="feed")
    op.drop_table("channel_members", schema="feed")
    op.drop_table("system_post_settings", schema="feed")
    op.drop_index(
        "ix_subscriptions_target_type_target_id", table_name="subscriptions", schema="feed"
    )
    op.drop_table("subscriptions", schema="feed")
    op.drop_index("ix_stream_items_occurred_at", table_name="stream_items", schema="feed")
    op.drop_table("stream_items", schema="feed")
    op.drop_table("stream_counter", schema="feed")
    op.drop_table("record_refs", schema="feed")
    op.drop_index("ix_notifications_user_id_id", table_name="notifications", schema="feed")
    op.drop_index(
        "ix_notifications_unread",
        table_name="notifications",
        schema="feed",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.drop_table("notifications", schema="feed")
    op.drop_table("files", schema="feed")
    op.drop_index("ix_directory_users_team_id", table_name="directory_users", schema="feed")
    op.drop_index("ix_directory_users_handle", table_name="directory_users", schema="feed")
    op.drop_table("directory_users", schema="feed")
    op.drop_index("ix_directory_teams_handle", table_name="directory_teams", schema="feed")
    op.drop_table("directory_teams", schema="feed")
    op.drop_index("uq_channels_lower_name", table_name="channels", schema="feed")
    op.drop_table("channels", schema="feed")
