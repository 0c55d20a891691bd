"""Tables of the leads service (schema `leads`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.platform.db import service_metadata
from services.platform.listing import LOOKUP_INCLUDE, after_first_word, phone_key_sql
from services.platform.requests_once import applied_requests_table

from .domain import (
    DISTRIBUTION_STRATEGIES,
    INITIAL_STAGE,
    LOOKUP_KINDS,
    NEED_MATURITIES,
    SCORING_OPERATORS,
    STAGES,
)

metadata = service_metadata("leads")
#: the idempotency keys of the requests applied (services/platform/requests_once.py)
applied_requests = applied_requests_table(metadata)


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
    region: Mapped[str | None] = mapped_column(sa.String(100))
    score_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    notes: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    #: The contact name's distinct lower-cased words, sorted: the same trigrams as the
    #: name (see ``LeadNameKey``).
    name_key: Mapped[str | None] = mapped_column(
        sa.Text, sa.Computed("leads.name_key((contact_name)::text)", persisted=True), deferred=True
    )
    #: The phone's significant digits reversed (``listing.phone_key``): the search box
    #: finds a number however it is typed with a prefix lookup (leads_0009).
    phone_key: Mapped[str | None] = mapped_column(
        sa.Text, sa.Computed(phone_key_sql("phone"), persisted=True), deferred=True
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
        # the search box's lookups (leads_0009): text_pattern_ops for prefixes (and
        # equality), LOOKUP_INCLUDE for pages and totals read from the index alone
        sa.Index(
            "ix_leads_email",
            "email",
            postgresql_ops={"email": "text_pattern_ops"},
            postgresql_include=list(LOOKUP_INCLUDE),
        ),
        sa.Index("ix_leads_phone", "phone"),
        # (a number matches a handful of records: nothing to read from it alone)
        sa.Index(
            "ix_leads_phone_key", "phone_key", postgresql_ops={"phone_key": "text_pattern_ops"}
        ),
        sa.Index("ix_leads_contact_id", "contact_id"),
        sa.Index("ix_leads_account_id", "account_id"),
        sa.Index("ix_leads_opportunity_id", "opportunity_id"),
        sa.Index("ix_leads_name_key", "name_key", "id"),
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


def _prefix_index(name: str, expression: sa.ColumnElement, *names: str) -> sa.Index:
    """The search box's words: the start of ``expression`` (lower-cased), holding the
    ``names`` its search tests and ``LOOKUP_INCLUDE`` too, so a page of ids and a
    total are read from the index alone (leads_0009, which also makes the planner's
    statistics on it finer)."""
    return sa.Index(
        name,
        sa.func.lower(expression).label("prefix"),
        postgresql_ops={"prefix": "text_pattern_ops"},
        postgresql_include=[*names, *LOOKUP_INCLUDE],
    )


_leads = Lead.__table__.c
_prefix_index("ix_leads_contact_name_prefix", _leads.contact_name, "contact_name")
_prefix_index(
    "ix_leads_contact_surname_prefix", after_first_word(_leads.contact_name), "contact_name"
)
# the contact's name too: a lead found by its name is not counted again by its company
_prefix_index("ix_leads_account_name_prefix", _leads.account_name, "account_name", "contact_name")


# --- the lead process (stage history, lookups, distribution, scoring, merges, web forms) --


class LeadNameKey(Base):
    """Every lead name key in use, with its own trigram index: the similar-leads search
    compares a name with the distinct names, not with every lead. Filled by a trigger
    on ``leads`` (leads_0006); a key nobody has any more may stay."""

    __tablename__ = "lead_name_keys"

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    #: Numbers the keys in the order they were added; the trigger sends the seqs it
    #: adds to the in-memory name index on commit (services/platform/name_index.py, leads_0008).
    seq: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), nullable=False)

    __table_args__ = (
        sa.Index("uq_lead_name_keys_seq", "seq", unique=True),
        sa.Index(
            "ix_lead_name_keys_key_trgm",
            "key",
            postgresql_using="gin",
            postgresql_ops={"key": "gin_trgm_ops"},
        ),
    )


class StageChange(Base):
    """One change of a lead's stage: from, to, who, when and through which action."""

    __tablename__ = "lead_stage_history"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    lead_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("leads.leads.id", ondelete="CASCADE")
    )
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    to_stage: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    changed_by: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("ix_lead_stage_history_lead_id", "lead_id", "changed_at"),
        sa.Index("ix_lead_stage_history_to_stage", "to_stage", "lead_id"),
    )


class Lookup(Base):
    """A configurable list entry: a lead source, a channel or a disqualification reason."""

    __tablename__ = "lookups"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    code: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(LOOKUP_KINDS)})", name="kind"),
        sa.UniqueConstraint("kind", "code", name="uq_lookups_kind_code"),
    )


class DistributionRule(Base):
    """Who gets which new leads: conditions (any when empty) and a strategy."""

    __tablename__ = "distribution_rules"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    need_type: Mapped[str | None] = mapped_column(sa.String(100))
    source: Mapped[str | None] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    strategy: Mapped[str] = mapped_column(sa.String(20))
    owner_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    fixed_owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    #: round-robin: the index in ``owner_ids`` of the last owner chosen
    last_index: Mapped[int] = mapped_column(sa.Integer, server_default="-1")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint(f"strategy IN ({_in(DISTRIBUTION_STRATEGIES)})", name="strategy"),
        sa.UniqueConstraint("position", name="uq_distribution_rules_position"),
    )


class Assignment(Base):
    """One assignment of a lead: to whom, from whom, by which rule (or by hand), who did it."""

    __tablename__ = "lead_assignments"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    lead_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("leads.leads.id", ondelete="CASCADE")
    )
    owner_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    previous_owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    rule_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    strategy: Mapped[str | None] = mapped_column(sa.String(20))
    assigned_by: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    assigned_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("ix_lead_assignments_lead_id", "lead_id", "assigned_at"),
        sa.Index("ix_lead_assignments_owner_id", "owner_id"),
    )


class LeadShare(Base):
    """A lead shared with a user or a team beyond the record scope of their roles:
    ``read`` lets them read it, ``edit`` also change it (docs/architecture.md,
    "Access rights")."""

    __tablename__ = "lead_shares"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    record_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("leads.leads.id", ondelete="CASCADE")
    )
    user_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    access: Mapped[str] = mapped_column(sa.String(10))
    created_by: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("access IN ('read', 'edit')", name="access"),
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="user_or_team"),
        sa.Index("ix_lead_shares_record_id", "record_id"),
        sa.Index(
            "uq_lead_shares_user",
            "record_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("user_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_lead_shares_team",
            "record_id",
            "team_id",
            unique=True,
            postgresql_where=sa.text("team_id IS NOT NULL"),
        ),
        sa.Index("ix_lead_shares_user_id", "user_id", "record_id"),
        sa.Index("ix_lead_shares_team_id", "team_id", "record_id"),
    )


class ScoringRule(Base):
    """Points a lead earns when one of its fields meets a condition."""

    __tablename__ = "scoring_rules"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    field: Mapped[str] = mapped_column(sa.String(50))
    operator: Mapped[str] = mapped_column(sa.String(20))
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    points: Mapped[int] = mapped_column(sa.Integer)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint(f"operator IN ({_in(SCORING_OPERATORS)})", name="operator"),
        sa.CheckConstraint("points BETWEEN -100 AND 100", name="points"),
    )


class LeadMerge(Base):
    """A lead merged into another: the kept one, the merged one's last state, who, when."""

    __tablename__ = "lead_merges"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    kept_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    filled_fields: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    merged_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    merged_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("ix_lead_merges_kept_id", "kept_id"),
        sa.Index("ix_lead_merges_merged_id", "merged_id"),
    )


class WebForm(Base):
    """A website form that creates leads without a login (web-to-lead)."""

    __tablename__ = "web_forms"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    allowed_origins: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    source: Mapped[str | None] = mapped_column(sa.String(100))
    channel: Mapped[str | None] = mapped_column(sa.String(100))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    owner_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    honeypot_field: Mapped[str] = mapped_column(sa.String(50), server_default="website")
    rate_limit_per_minute: Mapped[int] = mapped_column(sa.Integer, server_default="10")
    redirect_url: Mapped[str | None] = mapped_column(sa.String(2000))
    submissions: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.CheckConstraint("rate_limit_per_minute BETWEEN 1 AND 10000", name="rate_limit"),
    )


class WebFormSubmission(Base):
    """One submission attempt of a web form, kept a minute for the rate limit.

    ``ip_hash`` is the SHA-256 of the form's id and the sender's address: the
    address itself is never stored.
    """

    __tablename__ = "web_form_submissions"

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    form_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("leads.web_forms.id", ondelete="CASCADE")
    )
    ip_hash: Mapped[str] = mapped_column(sa.String(64))
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index(
            "ix_web_form_submissions_form_id_ip_hash_submitted_at",
            "form_id",
            "ip_hash",
            "submitted_at",
        ),
        sa.Index("ix_web_form_submissions_submitted_at", "submitted_at"),
    )
