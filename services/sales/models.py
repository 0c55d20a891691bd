"""Tables of the sales service (schema `sales`): accounts, contacts and careers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.platform.db import service_metadata

from .domain import ACCOUNT_TYPES

metadata = service_metadata("sales")

#: What the search box looks through (the migration creates the same expressions).
ACCOUNT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(industry, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(web, '') || ' ' || translate(coalesce(web, ''), './:', '   '))"
)
#: An account's web domain without scheme, ``www.`` and path (indexed for duplicates).
ACCOUNT_DOMAIN_EXPRESSION = (
    "lower(regexp_replace(web, '^([a-z][a-z0-9+.-]*://)?(www\\.)?([^/:?#]*).*$', '\\3', 'i'))"
)
CONTACT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(full_name, '') || ' ' || coalesce(job_title, ''))"
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = metadata


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    type: Mapped[str | None] = mapped_column(sa.String(20))
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    parent_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.accounts.id")
    )
    web: Mapped[str | None] = mapped_column(sa.String(2000))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(ACCOUNT_SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"type IN ({_in(ACCOUNT_TYPES)})", name="type"),
        sa.CheckConstraint("parent_id <> id", name="parent_not_self"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_accounts_created_at_id", "created_at", "id"),
        sa.Index("ix_accounts_updated_at_id", "updated_at", "id"),
        sa.Index("ix_accounts_owner_id", "owner_id"),
        sa.Index("ix_accounts_team_id", "team_id"),
        sa.Index("ix_accounts_parent_id", "parent_id"),
        sa.Index("ix_accounts_search", "search", postgresql_using="gin"),
        sa.Index(
            "ix_accounts_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        sa.Index("ix_accounts_email", "email"),
        sa.Index("ix_accounts_phone", "phone"),
        sa.Index("ix_accounts_web_domain", sa.text(ACCOUNT_DOMAIN_EXPRESSION)),
    )


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(300))
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    account_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.accounts.id")
    )
    job_title: Mapped[str | None] = mapped_column(sa.String(200))
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(CONTACT_SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_contacts_created_at_id", "created_at", "id"),
        sa.Index("ix_contacts_updated_at_id", "updated_at", "id"),
        sa.Index("ix_contacts_owner_id", "owner_id"),
        sa.Index("ix_contacts_team_id", "team_id"),
        sa.Index("ix_contacts_account_id", "account_id"),
        sa.Index("ix_contacts_search", "search", postgresql_using="gin"),
        sa.Index(
            "ix_contacts_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_contacts_emails",
            "emails",
            postgresql_using="gin",
            postgresql_ops={"emails": "jsonb_path_ops"},
        ),
        sa.Index(
            "ix_contacts_phones",
            "phones",
            postgresql_using="gin",
            postgresql_ops={"phones": "jsonb_path_ops"},
        ),
    )


class Career(Base):
    """A contact's place of work; at most one per contact is primary."""

    __tablename__ = "careers"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    contact_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.contacts.id", ondelete="CASCADE")
    )
    account_id: Mapped[str] = mapped_column(UUID(as_uuid=False), sa.ForeignKey("sales.accounts.id"))
    job_title: Mapped[str | None] = mapped_column(sa.String(200))
    is_primary: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="date_order"),
        sa.Index("ix_careers_contact_id", "contact_id"),
        sa.Index("ix_careers_account_id", "account_id"),
        sa.Index(
            "uq_careers_one_primary",
            "contact_id",
            unique=True,
            postgresql_where=sa.text("is_primary"),
        ),
    )
