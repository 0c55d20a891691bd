"""What the Exchange routes accept and return (gateway/routers/exchange.py).

Requests are strict like every other; the exchange service checks the values (the
address, URLs, folders, choices) and answers 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .schemas import Request, Response


class ExchangeConnectionFields(Request):
    email: str | None = None
    login: str | None = Field(default=None, description="the user name; defaults to the email")
    auth: str | None = Field(default=None, description="basic (default) or oauth2")
    password: str | None = Field(default=None, json_schema_extra={"writeOnly": True})
    access_token: str | None = Field(
        default=None, description="an OAuth2 bearer token", json_schema_extra={"writeOnly": True}
    )
    ews_url: str | None = Field(
        default=None, description="https://server/EWS/Exchange.asmx; empty: autodiscover"
    )
    autodiscover_url: str | None = Field(
        default=None,
        description="the SOAP autodiscover endpoint; empty: found from the address's domain",
    )
    sync_mail: bool | None = Field(default=None, description="Inbox and Sent Items into Mail")
    visibility: str | None = Field(
        default=None, description="all, headers or none: what colleagues see of the mail"
    )
    import_contacts: bool | None = None
    contact_folders: list[str] | None = Field(
        default=None, description="contact folder ids; 'contacts' is the Contacts folder"
    )
    export_contacts: str | None = Field(default=None, description="none, all, mine or chosen")
    export_contact_ids: list[str] | None = Field(
        default=None, description="the CRM contacts exported when export_contacts is chosen"
    )
    sync_calendar: bool | None = None
    sync_tasks: bool | None = None
    deletions: str | None = Field(
        default=None,
        description="keep (a deletion on one side unlinks) or mirror (deleted on both)",
    )
    past_days: int | None = Field(default=None, description="recurring meetings kept back")
    future_days: int | None = Field(default=None, description="recurring meetings kept ahead")
    is_shared: bool | None = None
    owner_id: str | None = None


class ExchangeConnectionCreate(ExchangeConnectionFields):
    pass


class ExchangeConnectionUpdate(ExchangeConnectionFields):
    pass


class ExchangeHealth(Response):
    state: str
    last_synced_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0
    next_sync_at: str | None = None
    counts: dict[str, int] = {}
    syncing: bool = False


class ExchangeConnectionOut(Response):
    id: str
    kind: str
    email: str | None = None
    login: str | None = None
    auth: str | None = None
    ews_url: str | None = None
    autodiscover_url: str | None = None
    discovered_ews_url: str | None = None
    sync_mail: bool | None = None
    visibility: str | None = None
    import_contacts: bool | None = None
    contact_folders: list[str] | None = None
    export_contacts: str | None = None
    export_contact_ids: list[str] | None = None
    sync_calendar: bool | None = None
    sync_tasks: bool | None = None
    deletions: str | None = None
    past_days: int | None = None
    future_days: int | None = None
    is_shared: bool = False
    owner_id: str | None = None
    has_secret: bool = False
    state: str
    health: ExchangeHealth
    last_synced_at: str | None = None
    last_error: str | None = None
    linked: dict[str, int] | None = None
    version: int


class ExchangeConnectionPage(Response):
    items: list[ExchangeConnectionOut]
    next_cursor: str | None = None


class ExchangeFolder(Response):
    id: str
    name: str


class ExchangeConnectionTest(Response):
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    ews_url: str | None = None
    contact_folders: list[ExchangeFolder] = []


class ExchangeConflict(Response):
    kind: str
    crm_id: str
    field: str
    crm_value: Any = None
    remote_value: Any = None
    winner: str
    at: str


class ExchangeConflictPage(Response):
    items: list[ExchangeConflict]
    next_cursor: str | None = None
