"""Tables of the sales service (schema `sales`).

Accounts, contacts and careers; opportunities with their stages, stage history,
tactics and competitors; activities and participants; forecast plans; merges.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.platform.db import service_metadata
from services.platform.listing import LOOKUP_INCLUDE, after_first_word, phone_key_sql
from services.platform.record_shares import shares_table
from services.platform.requests_once import applied_requests_table

from .domain import (
    ACCOUNT_TYPES,
    ACTIVITY_PRIORITIES,
    ACTIVITY_SOURCES,
    ACTIVITY_STATUSES,
    ACTIVITY_TYPES,
    EMAIL_DIRECTIONS,
    EMAIL_VISIBILITIES,
    OPPORTUNITY_STATUSES,
    PARTICIPANT_KINDS,
    PERIOD_KINDS,
    RELATED_TYPES,
    TACTIC_KINDS,
)

metadata = service_metadata("sales")
#: the idempotency keys of the requests applied (services/platform/requests_once.py)
applied_requests = applied_requests_table(metadata)

#: An account's web domain without scheme, ``www.`` and path (indexed for duplicates).
ACCOUNT_DOMAIN_EXPRESSION = (
    "lower(regexp_replace(web, '^([a-z][a-z0-9+.-]*://)?(www\\.)?([^/:?#]*).*$', '\\3', 'i'))"
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
    #: The phone's significant digits reversed (``listing.phone_key``): the search box
    #: finds a number however it is typed with a prefix lookup (sales_0007).
    phone_key: Mapped[str | None] = mapped_column(
        sa.Text, sa.Computed(phone_key_sql("phone"), persisted=True), deferred=True
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
        sa.Index(
            "ix_accounts_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        # the search box's lookups (sales_0007): text_pattern_ops for prefixes (and
        # equality), LOOKUP_INCLUDE for pages and totals read from the index alone
        sa.Index(
            "ix_accounts_email",
            "email",
            postgresql_ops={"email": "text_pattern_ops"},
            postgresql_include=list(LOOKUP_INCLUDE),
        ),
        sa.Index("ix_accounts_phone", "phone"),
        # (a number matches a handful of records: nothing to read from it alone)
        sa.Index(
            "ix_accounts_phone_key", "phone_key", postgresql_ops={"phone_key": "text_pattern_ops"}
        ),
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
    #: The name's distinct lower-cased words, sorted: the same trigrams as the name
    #: (see ``ContactNameKey``).
    name_key: Mapped[str | None] = mapped_column(
        sa.Text, sa.Computed("sales.name_key((full_name)::text)", persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_contacts_created_at_id", "created_at", "id"),
        sa.Index("ix_contacts_updated_at_id", "updated_at", "id"),
        sa.Index("ix_contacts_owner_id", "owner_id"),
        sa.Index("ix_contacts_team_id", "team_id"),
        # also the search box's company lookup (sales_0007): the contacts of the
        # accounts found, from the index alone (the name too: a contact found by its
        # name is not counted again by its company)
        sa.Index(
            "ix_contacts_account_id",
            "account_id",
            postgresql_include=["full_name", *LOOKUP_INCLUDE],
        ),
        sa.Index("ix_contacts_name_key", "name_key", "id"),
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
            # the duplicate check's look-up: no pending list to read through (sales_0013)
            postgresql_with={"fastupdate": "off"},
        ),
        sa.Index(
            "ix_contacts_phones",
            "phones",
            postgresql_using="gin",
            postgresql_ops={"phones": "jsonb_path_ops"},
            # the duplicate check's look-up: no pending list to read through (sales_0013)
            postgresql_with={"fastupdate": "off"},
        ),
    )


def _prefix_index(name: str, expression: sa.ColumnElement, column: str) -> sa.Index:
    """The search box's words: the start of ``expression`` (lower-cased), holding the
    ``column`` it is made of and ``LOOKUP_INCLUDE`` too, so a page of ids and a total
    are read from the index alone (sales_0007, which also makes the planner's
    statistics on it finer)."""
    return sa.Index(
        name,
        sa.func.lower(expression).label("prefix"),
        postgresql_ops={"prefix": "text_pattern_ops"},
        postgresql_include=[column, *LOOKUP_INCLUDE],
    )


_prefix_index("ix_accounts_name_prefix", Account.__table__.c.name, "name")
_prefix_index("ix_contacts_full_name_prefix", Contact.__table__.c.full_name, "full_name")
_prefix_index(
    "ix_contacts_surname_prefix", after_first_word(Contact.__table__.c.full_name), "full_name"
)


class ContactNameKey(Base):
    """Every contact name key in use, with its own trigram index: the similar-contacts
    search compares a name with the distinct names, not with every contact. Filled by
    a trigger on ``contacts`` (sales_0005); a key nobody has any more may stay."""

    __tablename__ = "contact_name_keys"

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    #: Numbers the keys in the order they were added; the trigger sends the seqs it
    #: adds to the in-memory name index on commit (services/platform/name_index.py, sales_0006).
    seq: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), nullable=False)

    __table_args__ = (
        sa.Index("uq_contact_name_keys_seq", "seq", unique=True),
        sa.Index(
            "ix_contact_name_keys_key_trgm",
            "key",
            postgresql_using="gin",
            postgresql_ops={"key": "gin_trgm_ops"},
        ),
    )


class ContactSearchTerm(Base):
    """One email or phone of a contact, for the search box: ``e:<email>`` or
    ``p:<phone key>`` (``listing.phone_key``). A contact's emails and phones are JSON
    arrays, which a btree cannot index one by one; this table can, by prefix. Kept by
    statement triggers on ``contacts`` from ``sales.contact_terms(emails, phones)``
    (sales_0007); a deleted contact's terms go with it."""

    __tablename__ = "contact_search_terms"

    contact_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False),
        sa.ForeignKey("sales.contacts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    term: Mapped[str] = mapped_column(sa.Text, primary_key=True)

    __table_args__ = (
        sa.Index(
            "ix_contact_search_terms_term",
            "term",
            "contact_id",
            postgresql_ops={"term": "text_pattern_ops"},
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


# --- opportunities --------------------------------------------------------------------

OPPORTUNITY_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(need_type, ''))"
)


class OpportunityStage(Base):
    """A step of the sales pipeline; ``position`` orders them, final ones end a deal."""

    __tablename__ = "opportunity_stages"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(sa.Integer)
    probability: Mapped[int] = mapped_column(sa.Integer)
    is_final: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    is_successful: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        sa.CheckConstraint("is_final OR NOT is_successful", name="successful_is_final"),
        sa.UniqueConstraint("position", name="uq_opportunity_stages_position"),
        sa.UniqueConstraint("name", name="uq_opportunity_stages_name"),
    )


class Opportunity(Base):
    """A deal ("sale"): its stage, money and outcome. ``owner_id`` is required."""

    __tablename__ = "opportunities"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    account_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.accounts.id")
    )
    contact_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.contacts.id")
    )
    stage_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.opportunity_stages.id")
    )
    need_type: Mapped[str | None] = mapped_column(sa.String(100))
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    probability: Mapped[int | None] = mapped_column(sa.Integer)
    close_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), server_default="open")
    lost_reason: Mapped[str | None] = mapped_column(sa.String(500))
    lead_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    stage_entered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    owner_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(OPPORTUNITY_SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(OPPORTUNITY_STATUSES)})", name="status"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        sa.CheckConstraint("amount >= 0 AND budget >= 0", name="money"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_opportunities_created_at_id", "created_at", "id"),
        sa.Index("ix_opportunities_updated_at_id", "updated_at", "id"),
        sa.Index("ix_opportunities_owner_id", "owner_id"),
        sa.Index("ix_opportunities_team_id", "team_id"),
        sa.Index("ix_opportunities_account_id", "account_id"),
        sa.Index("ix_opportunities_contact_id", "contact_id"),
        sa.Index("ix_opportunities_lead_id", "lead_id"),
        sa.Index("ix_opportunities_close_date", "close_date"),
        # the list's filter by why a deal was lost (the loss reasons' drill-down)
        sa.Index(
            "ix_opportunities_lost_reason",
            "lost_reason",
            postgresql_where=sa.text("lost_reason IS NOT NULL"),
        ),
        # The pipeline board: open deals by stage, newest first.
        sa.Index(
            "ix_opportunities_open_stage",
            "stage_id",
            "updated_at",
            "id",
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_opportunities_search", "search", postgresql_using="gin"),
    )


class StageVisit(Base):
    """One stay of a deal in a stage: entered, left, who moved it; skipped stages too."""

    __tablename__ = "opportunity_stage_history"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.opportunities.id", ondelete="CASCADE")
    )
    stage_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.opportunity_stages.id")
    )
    entered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    moved_by: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    skipped: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())

    __table_args__ = (
        sa.CheckConstraint("left_at >= entered_at", name="time_order"),
        sa.Index("ix_opportunity_stage_history_opportunity_id", "opportunity_id", "entered_at"),
        # At most one open stay per deal: the stage it is in now.
        sa.Index(
            "uq_opportunity_stage_history_current",
            "opportunity_id",
            unique=True,
            postgresql_where=sa.text("left_at IS NULL"),
        ),
    )


class Tactic(Base):
    """A SWOT entry of a deal: strength, weakness, opportunity or threat."""

    __tablename__ = "opportunity_tactics"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.opportunities.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(TACTIC_KINDS)})", name="kind"),
        sa.Index("ix_opportunity_tactics_opportunity_id", "opportunity_id"),
    )


class Competitor(Base):
    """A competitor account in a deal: what they offer and how we compare."""

    __tablename__ = "opportunity_competitors"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("sales.opportunities.id", ondelete="CASCADE")
    )
    account_id: Mapped[str] = mapped_column(UUID(as_uuid=False), sa.ForeignKey("sales.accounts.id"))
    offer: Mapped[str | None] = mapped_column(sa.String(2000))
    comparison: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.UniqueConstraint("opportunity_id", "account_id", name="uq_opportunity_competitors"),
        sa.Index("ix_opportunity_competitors_account_id", "account_id"),
    )


# --- activities -----------------------------------------------------------------------


class Activity(Base):
    """A task, call, meeting or email, maybe about one record, with its participants."""

    __tablename__ = "activities"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), server_default="not_started")
    priority: Mapped[str] = mapped_column(sa.String(10), server_default="normal")
    start_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(sa.String(2000))
    related_type: Mapped[str | None] = mapped_column(sa.String(20))
    related_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    # where it came from: a connected calendar (google, exchange), None when made here
    source: Mapped[str | None] = mapped_column(sa.String(20))
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR,
        sa.Computed("to_tsvector('simple', coalesce(title, ''))", persisted=True),
        deferred=True,
    )

    __table_args__ = (
        sa.CheckConstraint(f"type IN ({_in(ACTIVITY_TYPES)})", name="type"),
        sa.CheckConstraint(f"status IN ({_in(ACTIVITY_STATUSES)})", name="status"),
        sa.CheckConstraint(f"priority IN ({_in(ACTIVITY_PRIORITIES)})", name="priority"),
        sa.CheckConstraint(f"related_type IN ({_in(RELATED_TYPES)})", name="related_type"),
        sa.CheckConstraint(f"source IN ({_in(ACTIVITY_SOURCES)})", name="source"),
        sa.CheckConstraint("(related_type IS NULL) = (related_id IS NULL)", name="related_pair"),
        sa.CheckConstraint("due_at >= start_at", name="time_order"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_activities_created_at_id", "created_at", "id"),
        sa.Index("ix_activities_updated_at_id", "updated_at", "id"),
        sa.Index("ix_activities_owner_due", "owner_id", "due_at", "id"),
        sa.Index("ix_activities_team_id", "team_id"),
        sa.Index("ix_activities_related", "related_type", "related_id"),
        sa.Index("ix_activities_search", "search", postgresql_using="gin"),
    )


class Participant(Base):
    """A contact or a user taking part in an activity."""

    __tablename__ = "activity_participants"

    activity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False),
        sa.ForeignKey("sales.activities.id", ondelete="CASCADE"),
        primary_key=True,
    )
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    participant_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(PARTICIPANT_KINDS)})", name="kind"),
        sa.Index("ix_activity_participants_participant", "kind", "participant_id"),
    )


class ActivityEmail(Base):
    """The message an ``email`` activity records (from the mail service's events)."""

    __tablename__ = "activity_emails"

    activity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False),
        sa.ForeignKey("sales.activities.id", ondelete="CASCADE"),
        primary_key=True,
    )
    email_id: Mapped[str] = mapped_column(UUID(as_uuid=False), unique=True)
    message_id: Mapped[str | None] = mapped_column(sa.Text)
    thread_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    direction: Mapped[str] = mapped_column(sa.String(10))
    visibility: Mapped[str] = mapped_column(sa.String(10))

    __table_args__ = (
        sa.CheckConstraint(f"direction IN ({_in(EMAIL_DIRECTIONS)})", name="direction"),
        sa.CheckConstraint(f"visibility IN ({_in(EMAIL_VISIBILITIES)})", name="visibility"),
    )


class ActivityLink(Base):
    """A record an activity shows on (an email linked to a contact, its account, a deal)."""

    __tablename__ = "activity_links"

    activity_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False),
        sa.ForeignKey("sales.activities.id", ondelete="CASCADE"),
        primary_key=True,
    )
    record_type: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)

    __table_args__ = (sa.Index("ix_activity_links_record", "record_type", "record_id"),)


# --- forecasts ------------------------------------------------------------------------


class ForecastPlan(Base):
    """The amount a user or a team plans to win in one month, quarter or year."""

    __tablename__ = "forecast_plans"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    period_kind: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.CheckConstraint(f"period_kind IN ({_in(PERIOD_KINDS)})", name="period_kind"),
        sa.CheckConstraint("(owner_id IS NULL) <> (team_id IS NULL)", name="one_scope"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.Index(
            "uq_forecast_plans_owner_period",
            "owner_id",
            "period_kind",
            "period_start",
            "currency",
            unique=True,
            postgresql_where=sa.text("owner_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_forecast_plans_team_period",
            "team_id",
            "period_kind",
            "period_start",
            "currency",
            unique=True,
            postgresql_where=sa.text("team_id IS NOT NULL"),
        ),
    )


# --- merges ---------------------------------------------------------------------------


class MergeRecord(Base):
    """What a merge of two contacts or two accounts did: kept, removed, moved."""

    __tablename__ = "merges"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(20))
    kept_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    moved: Mapped[dict[str, Any]] = mapped_column(JSONB)
    merged_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("entity IN ('contact', 'account')", name="entity"),
        sa.Index("ix_merges_kept_id", "kept_id"),
        sa.Index("ix_merges_merged_id", "merged_id"),
    )


# Record sharing (docs/architecture.md, "Access rights"): a record shared with a user or
# a team for reading or editing, beyond the record scope of their roles (sales_0012).
account_shares = shares_table(metadata, "account_shares", "sales.accounts")
contact_shares = shares_table(metadata, "contact_shares", "sales.contacts")
opportunity_shares = shares_table(metadata, "opportunity_shares", "sales.opportunities")
activity_shares = shares_table(metadata, "activity_shares", "sales.activities")
