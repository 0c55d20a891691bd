"""What the mail routes accept and return (gateway/routers/mailboxes.py, emails.py).

Requests are strict like every other; the mail service checks the values (hosts,
ports, folders, addresses) and answers 422 naming the field.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from .schemas import Request, Response


class MailboxFields(Request):
    kind: str | None = Field(default=None, description="imap (exchange and google later)")
    email: str | None = None
    login: str | None = Field(default=None, description="defaults to the email")
    password: str | None = Field(default=None, json_schema_extra={"writeOnly": True})
    imap_host: str | None = None
    imap_port: int | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    security: str | None = Field(default=None, description="ssl, starttls or none")
    smtp_security: str | None = None
    folders: list[str] | None = Field(default=None, description="synced besides INBOX and Sent")
    sync_since: str | None = Field(default=None, description="YYYY-MM-DD: how far back")
    visibility: str | None = Field(
        default=None, description="all, headers or none: what colleagues see"
    )
    is_shared: bool | None = None
    store_internal: bool | None = Field(default=None, description="keep mail between CRM users")
    owner_id: str | None = None


class MailboxCreate(MailboxFields):
    pass


class MailboxUpdate(MailboxFields):
    pass


class MailboxHealth(Response):
    state: str
    last_synced_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0
    next_sync_at: str | None = None
    counts: dict[str, int] = {}
    syncing: bool = False
    messages_synced: int = 0


class MailboxOut(Response):
    id: str
    kind: str
    email: str | None = None
    login: str | None = None
    imap_host: str | None = None
    imap_port: int | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    security: str | None = None
    smtp_security: str | None = None
    folders: list[str] = []
    sent_folder: str | None = None
    sync_since: str | None = None
    visibility: str | None = None
    store_internal: bool = False
    is_shared: bool = False
    owner_id: str | None = None
    has_password: bool = False
    state: str
    health: MailboxHealth
    last_synced_at: str | None = None
    messages_synced: int = 0
    last_error: str | None = None
    version: int


class MailboxPage(Response):
    items: list[MailboxOut]
    next_cursor: str | None = None


class ConnectionTest(Response):
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    folders: list[str] = []
    capabilities: list[str] = []
    sent_folder: str | None = None


class LinkOut(Response):
    type: str
    id: str
    rule: str | None = None


class EmailOut(Response):
    id: str
    message_id: str | None = None
    thread_key: str
    subject: str
    from_: str | None = Field(default=None, alias="from")
    from_name: str | None = None
    to: list[str] = []
    cc: list[str] = []
    sent_at: str | None = None
    direction: str
    folder: str | None = None
    mailbox_id: str | None = None
    links: list[LinkOut] = []
    needs_processing: bool = False
    has_attachments: bool = False
    view: str = Field(description="all, or headers: subject and participants only")
    snippet: str | None = None


class AttachmentOut(Response):
    id: str
    filename: str | None = None
    content_type: str
    size: int
    kept: bool


class EmailDetail(EmailOut):
    body_text: str | None = None
    body_html: str | None = Field(default=None, description="as received: sanitize before showing")
    attachments: list[AttachmentOut] = []


class EmailPage(Response):
    items: list[EmailOut]
    next_cursor: str | None = None


class EmailLinkIn(Request):
    type: str = Field(description="contact, account, lead, opportunity, order or invoice")
    id: str


class AttachmentIn(Request):
    filename: str
    content_type: str | None = None
    content_base64: str


class EmailSend(Request):
    mailbox_id: str
    to: list[str]
    cc: list[str] | None = None
    subject: str | None = None
    body: str | None = None
    template_id: str | None = None
    related: EmailLinkIn | None = None
    reply_to_id: str | None = Field(default=None, description="the email this answers")
    attachments: list[AttachmentIn] | None = None


class SentEmail(EmailDetail):
    send_id: str
    saved_to_sent: bool


class SubjectRuleIn(Request):
    name: str
    pattern: str = Field(description="a regular expression, e.g. INV-(\\d+)")
    record_type: str
    record_id: str | None = Field(default=None, description="none: the match names the record")
    is_active: bool | None = None


class SubjectRuleOut(Response):
    id: str
    name: str
    pattern: str
    record_type: str
    record_id: str | None = None
    is_active: bool
    version: int


class SubjectRuleList(Response):
    items: list[SubjectRuleOut]
    next_cursor: str | None = None


class TemplateIn(Request):
    """A template's changes (services/integrations/mail/domain.clean_template)."""

    name: str = Field(None, max_length=200, pattern=r"\S", description="not blank")
    subject: str = Field(None, max_length=998, description="with merge fields")
    body: str = Field(None, max_length=200_000, description="with merge fields")


class TemplateCreate(TemplateIn):
    """A new template: its name, subject and body."""

    model_config = ConfigDict(json_schema_extra={"required": ["name", "subject", "body"]})


class TemplateOut(Response):
    id: str
    name: str
    subject: str
    body: str
    version: int


class TemplateList(Response):
    items: list[TemplateOut]
    next_cursor: str | None = None
