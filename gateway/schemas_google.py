"""What the Google routes accept and return (gateway/routers/google.py).

Requests are strict like every other; the google service checks the values and answers
422 naming the field (``contacts.direction``, ``mail.sync_since``, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .schemas import Request, Response


class AuthorizationStart(Request):
    redirect_uri: str | None = Field(
        default=None, description="where Google sends the user back (default: the server's)"
    )
    connection_id: str | None = Field(default=None, description="reconnect this connection")


class AuthorizationStarted(Response):
    authorization_url: str
    state: str


class AuthorizationCallback(Request):
    state: str = Field(max_length=200)
    code: str | None = Field(default=None, max_length=2000)
    error: str | None = Field(default=None, max_length=200, description="the user declined")
    scope: str | None = Field(default=None, max_length=2000)


class ContactsSettings(Request):
    direction: str | None = Field(default=None, description="off, import, export or both")
    groups: list[str] | None = Field(default=None, description="contact groups to import")
    export: str | None = Field(default=None, description="all, mine or chosen")
    export_ids: list[str] | None = Field(default=None, description="the chosen contacts")
    deletions: str | None = Field(default=None, description="keep or propagate")


class CalendarSettings(Request):
    direction: str | None = Field(default=None, description="off, import, export or both")
    calendars: list[str] | None = Field(default=None, description="the first gets exports")
    deletions: str | None = Field(default=None, description="keep or propagate")


class MailSettings(Request):
    enabled: bool | None = None
    visibility: str | None = Field(default=None, description="all, headers or none")
    sync_since: str | None = Field(default=None, description="YYYY-MM-DD: how far back")


class GoogleConnectionUpdate(Request):
    contacts: ContactsSettings | None = None
    calendar: CalendarSettings | None = None
    mail: MailSettings | None = None


class GoogleHealth(Response):
    state: str
    last_synced_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0
    next_sync_at: str | None = None
    counts: dict[str, int] = {}
    syncing: bool = False


class GoogleConnectionOut(Response):
    id: str
    kind: str
    email: str | None = None
    owner_id: str | None = None
    scopes: list[str] = []
    contacts: dict[str, Any] = {}
    calendar: dict[str, Any] = {}
    mail: dict[str, Any] = {}
    state: str
    needs_reconnect: bool = False
    health: GoogleHealth
    last_synced_at: str | None = None
    last_error: str | None = None
    version: int


class GoogleConnectionPage(Response):
    items: list[GoogleConnectionOut]
    next_cursor: str | None = None


class ContactGroup(Response):
    id: str
    name: str | None = None
    system: bool = False


class GoogleCalendar(Response):
    id: str
    name: str
    time_zone: str | None = None
    primary: bool = False


class SyncConflict(Response):
    id: str
    kind: str
    crm_id: str
    remote_id: str
    field: str
    crm_value: Any = None
    remote_value: Any = None
    winner: str
    resolved_at: str


class SyncConflictPage(Response):
    items: list[SyncConflict]
    next_cursor: str | None = None
