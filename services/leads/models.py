"""Tables of the leads service (schema `leads`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.platform.db import service_metadata

from .domain import INITIAL_STAGE, NEED_MATURITIES, STAGES

metadata = service_metadata("leads")

#: What the search box looks through (the migration creates the same expression).
#: Emails and phones are also indexed in pieces, so a partial address ("ben@ini"),
#: a domain ("initech") or a number typed without its "+" finds the lead too.
SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(contact_name, '') || ' ' || coalesce(account_name, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(phone, '') || ' ' || translate(coalesce(phone, ''), '+', ''))"
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = metadata


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    contact_name: Mapped[str | None] = mapped_column(sa.String(300))
    account_name: Mapped[str | None] = mapped_column(sa.String(300))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str | None] = mapped_column(sa.String(100))
    channel: Mapped[str | None] = mapped_column(sa.String(100))
    need_type: Mapped[str | None] = mapped_column(sa.String(100))
    need_maturity: Mapped[str | None] = mapped_column(sa.String(20))
    stage: Mapped[str] = mapped_column(sa.String(20), server_default=INITIAL_STAGE)
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    score: Mapped[int | None] = mapped_column(sa.Integer)
    disqualification_reason: Mapped[str | None] = mapped_column(sa.String(300))
    contact_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    account_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    opportunity_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    utm_source: Mapped[str | None] = mapped_column(sa.String(300))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(300))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(300))
    utm_term: Mapped[str | None] = mapped_column(sa.String(300))
    utm_content: Mapped[str | None] = mapped_column(sa.String(300))
    referrer: Mapped[str | None] = mapped_column(sa.String(2000))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"stage IN ({_in(STAGES)})", name="stage"),
        sa.CheckConstraint(f"need_maturity IN ({_in(NEED_MATURITIES)})", name="need_maturity"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        sa.CheckConstraint("version >= 1", name="version"),
        # keyset pages: the default list order and the other sortable timestamps
        sa.Index("ix_leads_created_at_id", "created_at", "id"),
        sa.Index("ix_leads_updated_at_id", "updated_at", "id"),
        sa.Index("ix_leads_owner_id", "owner_id"),
        sa.Index("ix_leads_team_id", "team_id"),
        sa.Index("ix_leads_stage", "stage"),
        sa.Index("ix_leads_email", "email"),
        sa.Index("ix_leads_search", "search", postgresql_using="gin"),
        # fuzzy duplicate search (pg_trgm) comes next; the indexes are ready for it
        sa.Index(
            "ix_leads_contact_name_trgm",
            "contact_name",
            postgresql_using="gin",
            postgresql_ops={"contact_name": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_leads_account_name_trgm",
            "account_name",
            postgresql_using="gin",
            postgresql_ops={"account_name": "gin_trgm_ops"},
        ),
    )
