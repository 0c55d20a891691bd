"""Tables of the identity service (schema `identity`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.platform.db import service_metadata

metadata = service_metadata("identity")

#: What the users list's search box looks through (the migration has the same text).
#: The email is also indexed in pieces, so "ann", "osprey" or "ann@osp" find it.
SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(full_name, '') || ' ' || email"
    " || ' ' || translate(email, '@.', '  '))"
)


class Base(DeclarativeBase):
    metadata = metadata


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # users and teams point at each other: this key is added after both tables exist
    manager_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False),
        sa.ForeignKey("identity.users.id", ondelete="SET NULL", use_alter=True),
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.Index("uq_teams_lower_name", sa.func.lower(name), unique=True),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.Text)
    team_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("identity.teams.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    locale: Mapped[str] = mapped_column(sa.String(8), server_default="en")
    theme: Mapped[str] = mapped_column(sa.String(8), server_default="light")
    accent_color: Mapped[str | None] = mapped_column(sa.String(7))
    #: a password Osprey made (or one an administrator asked to be replaced): the user
    #: changes it before doing anything else
    password_change_required: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        sa.CheckConstraint("locale IN ('en', 'ru')", name="locale"),
        sa.CheckConstraint("theme IN ('light', 'dark')", name="theme"),
        sa.Index("ix_users_team_id", "team_id"),
        sa.Index("ix_users_created_at_id", "created_at", "id"),
        sa.Index("ix_users_search", "search", postgresql_using="gin"),
    )


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    permissions: Mapped[list[str]] = mapped_column(ARRAY(sa.String(100)), server_default="{}")


class RoleObjectRight(Base):
    """What a role's holders may do with one entity (``rights.EntityRights``): its
    operations and the records they read and change."""

    __tablename__ = "role_object_rights"

    role_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    can_create: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    can_read: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    can_update: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    can_delete: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    can_export: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    read_scope: Mapped[str] = mapped_column(sa.String(10), server_default="own")
    write_scope: Mapped[str] = mapped_column(sa.String(10), server_default="own")

    __table_args__ = (
        sa.CheckConstraint("read_scope IN ('own', 'team', 'all')", name="read_scope"),
        sa.CheckConstraint("write_scope IN ('own', 'team', 'all')", name="write_scope"),
    )


class RoleColumnRight(Base):
    """A field of an entity hidden from a role's holders, or read-only for them."""

    __tablename__ = "role_column_rights"

    role_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    field: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    access: Mapped[str] = mapped_column(sa.String(10))

    __table_args__ = (sa.CheckConstraint("access IN ('hidden', 'read_only')", name="access"),)


user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column(
        "user_id",
        UUID(as_uuid=False),
        sa.ForeignKey("identity.users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "role_id",
        UUID(as_uuid=False),
        sa.ForeignKey("identity.roles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_user_roles_role_id", "role_id"),
)


class Token(Base):
    """A bearer token: a sign-in session (``kind`` ``session``) or a personal API
    token a user made for an integration (``personal``: named, with ``scopes`` and a
    ``prefix`` shown so it can be recognised). Only the SHA-256 of the token is kept."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("identity.users.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(sa.String(16), server_default="session")
    name: Mapped[str | None] = mapped_column(sa.String(100))
    scopes: Mapped[list[str] | None] = mapped_column(ARRAY(sa.String(50)))
    prefix: Mapped[str | None] = mapped_column(sa.String(16))

    __table_args__ = (
        sa.CheckConstraint(
            "kind = 'session' OR (kind = 'personal' AND name IS NOT NULL"
            " AND scopes IS NOT NULL AND prefix IS NOT NULL)",
            name="kind",
        ),
        sa.Index("ix_tokens_user_id_kind", "user_id", "kind"),
    )


class LoginFailure(Base):
    """Failed sign-ins counted per account (``account:<email>``) and per client address
    (``address:<ip>``) in a rolling window; ``locked_until`` refuses sign-ins for a
    while once the count reaches its limit (``domain.THROTTLES``)."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    first_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Preference(Base):
    """A user's UI settings (columns, saved views, ...), one JSON value per key."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
