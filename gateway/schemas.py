"""What the HTTP API accepts and returns, as Pydantic models (they also feed OpenAPI).

Request models are strict: an unknown field or a value of the wrong JSON type is a
422 naming the field, never silently dropped or coerced. Business rules (a taken
email, a stage change that is not allowed) stay in the services. Response models
allow extra fields, so a service that grows a field shows it before the gateway
learns its name.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

#: the widest whole number a float stands for exactly, and the RPC wire carries
_WHOLE_FLOAT_LIMIT = 2**53


def _takes_int(annotation: Any) -> bool:
    """Whether a field's type is a whole number (``int``, ``int | None``), not a bool."""
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return int in typing.get_args(annotation) and float not in typing.get_args(annotation)
    return False


@cache
def _integer_keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _takes_int(field.annotation)
    )


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """A whole number written with a fraction of zero (``4192.0``) is that integer:
        JSON Schema's ``integer``, which the document states, holds it. Any other
        fraction, a bool or a text is still refused."""
        keys = _integer_keys(cls) & data.keys() if isinstance(data, dict) else ()
        found = {
            key: int(data[key])
            for key in keys
            if isinstance(data[key], float)
            and data[key].is_integer()
            and abs(data[key]) <= _WHOLE_FLOAT_LIMIT
        }
        return {**data, **found} if found else data

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent (PATCH semantics: absent = unchanged)."""
        return self.model_dump(exclude_unset=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="allow")


#: a stand-in for a required field the service left out, by its type (never sent)
_STAND_INS: dict[Any, Any] = {str: "", int: 0, float: 0.0, bool: False}


class SentOut(Response):
    """A record answered as its service sent it: a field hidden from the caller by their
    roles' column rights (docs/architecture.md, "Access rights") is left out by the
    service, and is absent here too, not null — a field the schema requires as well
    (the schema describes the record; ``id`` and ``version`` are never hidden)."""

    @model_validator(mode="wrap")
    @classmethod
    def _hidden_left_out(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        missing = {
            name: _STAND_INS[field.annotation]
            for name, field in cls.model_fields.items()
            if field.is_required()
            and name not in data
            and name not in ("id", "version")
            and field.annotation in _STAND_INS
        }
        if not missing:
            return handler(data)
        record = handler({**data, **missing})
        record.__pydantic_fields_set__.difference_update(missing)
        return record

    @model_serializer(mode="wrap")
    def _as_sent(self, handler: Any):  # no return type: the schema stays the model's
        data = handler(self)
        sent = self.model_fields_set | set(self.model_extra or ())
        return {name: value for name, value in data.items() if name in sent}


# -- the parts of records: emails, phones, addresses, product lines ------------------------

_DECIMAL_IN = 'A decimal as a string ("12.50") or a JSON number'


def _kinds(*kinds: str) -> Any:
    # the service names a wrong kind itself (``emails[0].kind: must be one of ...``)
    return Field(None, json_schema_extra={"enum": [*kinds, None]})


class ContactEmailIn(Request):
    email: str = Field(max_length=320, json_schema_extra={"format": "email"})
    kind: str | None = _kinds("work", "personal", "other")
    is_primary: bool | None = None


class ContactPhoneIn(Request):
    phone: str = Field(max_length=50)
    kind: str | None = _kinds("work", "mobile", "home", "other")
    is_primary: bool | None = None


class AddressIn(Request):
    kind: str | None = _kinds("billing", "shipping", "office", "other")
    street: str | None = Field(None, max_length=300)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    postcode: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=100)


class ContactEmailOut(Response):
    email: str
    kind: str | None = None
    is_primary: bool = False


class ContactPhoneOut(Response):
    phone: str
    kind: str | None = None
    is_primary: bool = False


class AddressOut(Response):
    kind: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None


class DealLineIn(Request):
    """A product on a deal: how many at what price each (``lines`` of an opportunity)."""

    product_id: str = Field(json_schema_extra={"format": "uuid"})
    quantity: str | int | float = Field(description=_DECIMAL_IN)
    price: str | int | float = Field(description=_DECIMAL_IN)
    discount: str | int | float | None = Field(
        None, description="A percentage off the line (0–100); " + _DECIMAL_IN
    )


class DealLineOut(Response):
    product_id: str
    quantity: str
    price: str
    discount: str | None = Field(None, description="A percentage off the line (absent: none)")


class OrderLineIn(DealLineIn):
    """A product on an order; ``discount`` and ``tax_rate`` are percentages."""

    price: str | int | float | None = Field(
        None,
        description="Required, but from a role whose column rights hide products' price or "
        "make it read-only: such a role sends none (a price is a 422) and the line takes "
        "the price the order already had for the product, else the product's price in a "
        "price list of the order's currency (docs/api.md, Orders). " + _DECIMAL_IN,
    )
    discount: str | int | float | None = Field(None, description=_DECIMAL_IN)
    tax_rate: str | int | float | None = Field(
        None,
        description="Default 0; from a role that may not set products' tax rate, none "
        "(the product's). " + _DECIMAL_IN,
    )


# -- identity -----------------------------------------------------------------------------

# What identity accepts (services/identity/domain.py); it names a wrong value itself.
_LOCALE: dict[str, Any] = {"enum": ["en", "ru", None]}
_THEME: dict[str, Any] = {"enum": ["light", "dark", None]}
_ACCENT: dict[str, Any] = {"pattern": "^#[0-9a-fA-F]{6}$", "examples": ["#2f6fed"]}
#: a new password: 10 to 1024 characters, hard to guess (zxcvbn, judged by identity)
_NEW_PASSWORD: dict[str, Any] = {"writeOnly": True, "minLength": 10}


class LoginIn(Request):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(Response):
    id: str
    email: str
    full_name: str | None = None
    role_ids: list[str] = []
    roles: list[str] = []
    team_id: str | None = None
    is_active: bool = True
    locale: str | None = None
    theme: str | None = None
    accent_color: str | None = None
    password_change_required: bool = Field(
        default=False,
        description="The user must choose a new password before anything else"
        " (a temporary password, or an administrator asked for it)",
    )
    created_at: str | None = None
    updated_at: str | None = None


class MeOut(UserOut):
    permissions: list[str] = []


class LoginOut(Response):
    token: str
    expires_at: str | None = None
    user: UserOut


class UserCreate(Request):
    email: str = Field(min_length=3, max_length=320)
    full_name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        json_schema_extra={"writeOnly": True},
        description="Left out (or null): Osprey makes a temporary password, answered once",
    )
    role_ids: list[str] | None = None
    team_id: str | None = None
    is_active: bool | None = None
    locale: str | None = Field(None, json_schema_extra=_LOCALE)
    theme: str | None = Field(None, json_schema_extra=_THEME)
    accent_color: str | None = Field(None, json_schema_extra=_ACCENT)
    password_change_required: bool = Field(
        default=False,
        description="Ask the user to choose a new password at the next sign-in"
        " (always so for a temporary password)",
    )


class UserUpdate(Request):
    email: str | None = Field(default=None, min_length=3, max_length=320)
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(
        default=None, min_length=1, max_length=1024, json_schema_extra=_NEW_PASSWORD
    )
    role_ids: list[str] | None = None
    team_id: str | None = None
    is_active: bool | None = None
    locale: str | None = Field(None, json_schema_extra=_LOCALE)
    theme: str | None = Field(None, json_schema_extra=_THEME)
    accent_color: str | None = Field(None, json_schema_extra=_ACCENT)
    password_change_required: bool = Field(
        default=False,
        description="Ask the user to choose a new password at the next sign-in"
        " (always so for a temporary password)",
    )


TEMPORARY_PASSWORD_DESCRIPTION = (
    "The password Osprey made, for the administrator to pass on: shown in this answer"
    " only (null when they typed one)"
)


class UserWithPassword(UserOut):
    """A user just invited or given a new password by an administrator."""

    temporary_password: str | None = Field(default=None, description=TEMPORARY_PASSWORD_DESCRIPTION)


class PasswordReset(Request):
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        json_schema_extra={"writeOnly": True},
        description="Left out (or null): Osprey makes a temporary password, answered once",
    )
    password_change_required: bool = Field(
        default=False,
        description="Ask the user to choose a new password at the next sign-in"
        " (always so for a temporary password)",
    )


class MeUpdate(Request):
    """What users change on their own account."""

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(
        default=None, min_length=1, max_length=1024, json_schema_extra=_NEW_PASSWORD
    )
    locale: str | None = Field(None, json_schema_extra=_LOCALE)
    theme: str | None = Field(None, json_schema_extra=_THEME)
    accent_color: str | None = Field(None, json_schema_extra=_ACCENT)


class TeamOut(Response):
    id: str
    name: str
    manager_id: str | None = None
    user_count: int | None = Field(
        default=None, description="Users in the team, deactivated ones too (not on create)"
    )


class TeamCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    manager_id: str | None = None


class TeamUpdate(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    manager_id: str | None = None


class RoleOut(Response):
    id: str
    name: str
    permissions: list[str] = []


class UserPage(Response):
    items: list[UserOut]
    next_cursor: str | None = None


class TeamList(Response):
    items: list[TeamOut]
    next_cursor: str | None = None


class RoleList(Response):
    items: list[RoleOut]
    next_cursor: str | None = None


# -- collection pages with their total -----------------------------------------------------

#: Collections that count what matches (leads, contacts, accounts) add these two fields
#: to the contract's ``{items, next_cursor}`` on the first page (no ``cursor``).
TOTAL_DESCRIPTION = (
    "How many records match the filters and the search, on the first page only (null on"
    " the pages after it): exact up to 10,000, above that PostgreSQL's estimate"
)
TOTAL_IS_ESTIMATE_DESCRIPTION = (
    "true when total is an estimate (more than 10,000 match), false when it is exact;"
    " null when total is"
)


def total_field() -> Any:
    return Field(default=None, description=TOTAL_DESCRIPTION)


def total_is_estimate_field() -> Any:
    return Field(default=None, description=TOTAL_IS_ESTIMATE_DESCRIPTION)


# -- leads --------------------------------------------------------------------------------


class LeadFields(Request):
    # Lengths, formats and enumerations are the leads service's to check (one source
    # of truth, see describe_leads); the gateway checks JSON types and field names.
    contact_name: str | None = None
    account_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    channel: str | None = None
    need_type: str | None = None
    need_maturity: str | None = None
    region: str | None = None
    stage: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    score: int | None = None
    disqualification_reason: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    opportunity_id: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    notes: str | None = None


class LeadCreate(LeadFields):
    pass


class LeadUpdate(LeadFields):
    pass


class LeadOut(SentOut):
    id: str
    contact_name: str | None = None
    account_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    channel: str | None = None
    need_type: str | None = None
    need_maturity: str | None = None
    region: str | None = None
    stage: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    score: int | float | None = None
    score_reasons: list[dict[str, Any]] = []
    disqualification_reason: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    opportunity_id: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    notes: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class LeadPage(Response):
    items: list[LeadOut]
    next_cursor: str | None = None
    total: int | None = total_field()
    total_is_estimate: bool | None = total_is_estimate_field()


# -- sales: accounts, contacts ------------------------------------------------------------


class AccountFields(Request):
    # Formats, lengths, enumerations and the shape of each address are the sales
    # service's to check (see describe_accounts); the gateway checks JSON types.
    name: str | None = None
    type: str | None = None
    industry: str | None = None
    parent_id: str | None = None
    web: str | None = None
    phone: str | None = None
    email: str | None = None
    addresses: list[AddressIn] | None = None
    owner_id: str | None = None
    team_id: str | None = None


class AccountCreate(AccountFields):
    # the sales service names a missing name itself; the schema says it is needed
    model_config = ConfigDict(json_schema_extra={"required": ["name"]})


class AccountUpdate(AccountFields):
    pass


class AccountOut(SentOut):
    id: str
    name: str | None = None
    type: str | None = None
    industry: str | None = None
    parent_id: str | None = None
    web: str | None = None
    phone: str | None = None
    email: str | None = None
    addresses: list[AddressOut] = []
    owner_id: str | None = None
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class AccountPage(Response):
    items: list[AccountOut]
    next_cursor: str | None = None
    total: int | None = total_field()
    total_is_estimate: bool | None = total_is_estimate_field()


class ContactFields(Request):
    # Each email or phone is {email|phone, kind, is_primary}; the sales service checks them.
    full_name: str | None = None
    emails: list[ContactEmailIn] | None = None
    phones: list[ContactPhoneIn] | None = None
    account_id: str | None = None
    job_title: str | None = None
    owner_id: str | None = None
    team_id: str | None = None


class ContactCreate(ContactFields):
    model_config = ConfigDict(json_schema_extra={"required": ["full_name"]})


class ContactUpdate(ContactFields):
    pass


class ContactOut(SentOut):
    id: str
    full_name: str | None = None
    emails: list[ContactEmailOut] = []
    phones: list[ContactPhoneOut] = []
    account_id: str | None = None
    job_title: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class ContactPage(Response):
    items: list[ContactOut]
    next_cursor: str | None = None
    total: int | None = total_field()
    total_is_estimate: bool | None = total_is_estimate_field()


class CareerCreate(Request):
    # Dates are YYYY-MM-DD; the sales service checks them and that end ≥ start.
    account_id: str | None = None
    job_title: str | None = None
    is_primary: bool | None = None
    start_date: str | None = None
    end_date: str | None = None


class CareerOut(Response):
    id: str
    contact_id: str
    account_id: str
    job_title: str | None = None
    is_primary: bool = False
    start_date: str | None = None
    end_date: str | None = None
    created_at: str | None = None


class SimilarContactOut(Response):
    record: ContactOut
    score: float
    reasons: list[str]


class SimilarAccountOut(Response):
    record: AccountOut
    score: float
    reasons: list[str]


class ContactCandidates(Response):
    candidates: list[SimilarContactOut]


class AccountCandidates(Response):
    candidates: list[SimilarAccountOut]


class RecordMergeIn(Request):
    merged_id: str = Field(min_length=1, max_length=100)


class MergeOut(Response):
    """One merge: the record kept, the one merged into it (its last state), what moved."""

    id: str
    entity: str
    kept_id: str
    merged_id: str
    merged_record: dict[str, Any]
    moved: dict[str, int]
    merged_by: str
    merged_at: str


class MergeList(Response):
    items: list[MergeOut]


# -- meta, health -------------------------------------------------------------------------


class EntitiesOut(Response):
    entities: dict[str, Any]


class HealthOut(Response):
    status: str
    checks: dict[str, str] = {}
