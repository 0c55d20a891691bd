"""Everything the Exchange service talks to outside its database: Exchange Web Services
through exchangelib (:class:`ExchangeAdapter`, one :class:`EwsSession` per sync), the
encryption keys (:class:`Secrets`) and its settings (:class:`ExchangeConfig`).

exchangelib is synchronous (requests); under the service's eventlet monkey patching its
sockets, locks and session pool are green, so one slow server holds up only its own
connection's green thread. Every failure leaves here as an :class:`ExchangeError` whose
``kind`` the domain turns into words a user can act on; ``ErrorServerBusy`` keeps the
server's back-off hint. Nothing here logs a password or a token.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
from dataclasses import dataclass
from typing import Any

import requests
from exchangelib import BASIC, DELEGATE, OAUTH2, Account, Configuration, Credentials, FailFast
from exchangelib import errors as ews_errors
from exchangelib.autodiscover.protocol import AutodiscoverProtocol
from exchangelib.credentials import OAuth2AuthorizationCodeCredentials
from exchangelib.ewsdatetime import UTC as EWS_UTC
from exchangelib.folders import Calendar, Contacts, Folder, Inbox, Root, SentItems, Tasks
from exchangelib.properties import DistinguishedFolderId, ItemId, Mailbox, OccurrenceItemId
from exchangelib.protocol import BaseProtocol
from exchangelib.services import SyncFolderItems
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from oauthlib.oauth2 import OAuth2Token

from services.integrations.sync.crypto import SecretBox
from services.platform.db import Database

from .models import metadata

log = logging.getLogger(__name__)

#: the distinguished folders a connection syncs, by the key its cursor has
DISTINGUISHED = {
    "inbox": Inbox,
    "sentitems": SentItems,
    "contacts": Contacts,
    "calendar": Calendar,
    "tasks": Tasks,
}

CONTACT_FIELDS = [
    "display_name",
    "given_name",
    "surname",
    "email_addresses",
    "phone_numbers",
    "job_title",
    "company_name",
    "last_modified_time",
]
MEETING_FIELDS = [
    "subject",
    "text_body",
    "start",
    "end",
    "is_all_day",
    "location",
    "organizer",
    "required_attendees",
    "optional_attendees",
    "type",
    "uid",
    "recurrence",
    "modified_occurrences",
    "deleted_occurrences",
    "_start_timezone",
    "last_modified_time",
]
TASK_FIELDS = [
    "subject",
    "text_body",
    "start_date",
    "due_date",
    "status",
    "percent_complete",
    "complete_date",
    "last_modified_time",
]


class ExchangeError(Exception):
    """Exchange failed: ``kind`` ∈ domain.FAILURES; ``back_off`` the seconds a busy
    server asked for."""

    def __init__(self, kind: str, detail: str = "", back_off: float | None = None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.back_off = back_off


def classify(exc: BaseException) -> ExchangeError:
    """An exchangelib, requests or oauthlib failure as an :class:`ExchangeError`."""
    if isinstance(exc, ExchangeError):
        return exc
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, ews_errors.ErrorServerBusy):
        return ExchangeError("busy", text, back_off=exc.back_off)
    if isinstance(exc, ews_errors.UnauthorizedError):
        return ExchangeError("auth", text)
    if isinstance(
        exc, ews_errors.ErrorNonExistentMailbox | ews_errors.ErrorMailboxStoreUnavailable
    ):
        return ExchangeError("mailbox", text)
    if isinstance(exc, ews_errors.ErrorAccessDenied | ews_errors.ErrorItemNotFound):
        return ExchangeError("access", text)
    if isinstance(exc, ews_errors.AutoDiscoverFailed):
        return ExchangeError("autodiscover", text)
    if isinstance(exc, ews_errors.ErrorFolderNotFound):
        return ExchangeError("folder", text)
    if isinstance(exc, ews_errors.ErrorInvalidSyncStateData):
        return ExchangeError("sync_state", text)
    if type(exc).__name__ in ("InvalidGrantError", "TokenExpiredError", "InvalidClientError"):
        return ExchangeError("token", text)
    if type(exc).__name__ == "InsecureTransportError":
        return ExchangeError("insecure", text)
    lowered = f"{type(exc).__name__}: {exc} {exc.__cause__ or ''}".lower()
    if "certificate" in lowered or "ssl" in lowered:
        return ExchangeError("tls", text)
    if any(
        word in lowered
        for word in (
            "connection refused",
            "failed to establish",
            "name or service",
            "no route",
            "name resolution",
        )
    ) or isinstance(exc, requests.ConnectionError | ConnectionError):
        return ExchangeError("unreachable", text)
    if "timed out" in lowered or "read timeout" in lowered:
        return ExchangeError("timeout", text)
    return ExchangeError("protocol", text)


class TrustingAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter trusting the certificate authorities in ``ca_file`` (an
    on-premises Exchange signed by the company's own CA) besides the system's.

    Its TLS context is made when the pool is, from the ``ssl`` module as it is then
    (eventlet's green one once patched): urllib3 imported before the monkey patching
    (a test runner's plugins do) would otherwise set up an unpatched context whose
    ``minimum_version`` setter recurses forever under eventlet."""

    ca_file: str | None = None

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ssl_context", tls_context())
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if verify is not False and url.lower().startswith("https"):
            # the pool's context trusts the system's CAs and ca_file already: a bundle
            # named here would be read again on every new connection
            conn.ca_certs = None
            conn.ca_cert_dir = None


_TLS: dict[Any, ssl.SSLContext] = {}


def tls_context() -> ssl.SSLContext:
    """One TLS context for every pool of the process, trusting the system's certificate
    authorities and ``ca_file``'s: loading the system's took a third of an incremental
    sync when each sync made its own. Kept per ``ca_file`` and per ``ssl.SSLContext``
    class as it is when asked (eventlet's green one once patched: see
    :class:`TrustingAdapter`)."""
    key = (ssl.SSLContext, TrustingAdapter.ca_file)
    if key not in _TLS:
        _TLS[key] = ssl.create_default_context(cafile=TrustingAdapter.ca_file)
    return _TLS[key]


@dataclass(frozen=True)
class Change:
    """One SyncFolderItems change: ``kind`` ∈ create, update, delete."""

    kind: str
    item_id: str
    change_key: str | None


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    state: str
    done: bool


def credentials_of(settings: dict[str, Any], secret: dict[str, Any]) -> Any:
    if settings.get("auth") == "oauth2":
        token = OAuth2Token({"access_token": secret["access_token"], "token_type": "Bearer"})
        return OAuth2AuthorizationCodeCredentials(access_token=token)
    return Credentials(settings.get("login") or settings["email"], secret["password"])


class EwsSession:
    """One mailbox reached through EWS (an exchangelib ``Account``)."""

    def __init__(self, account: Account, ews_url: str):
        self.account = account
        self.ews_url = ews_url
        self._root: Root | None = None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed one
            raise classify(exc) from exc

    def folder(self, key: str) -> Folder:
        """A distinguished folder by its key (``inbox``, ``contacts`` …) or a contact
        folder by its EWS id, named in requests as it is, without asking Exchange for
        it first (a GetFolder per folder per sync saved)."""
        if self._root is None:
            self._root = Root(account=self.account, _distinguished_id=self._distinguished("root"))
        if key in DISTINGUISHED:
            return DISTINGUISHED[key](root=self._root, _distinguished_id=self._distinguished(key))
        # an id that is gone fails at its first use (ErrorFolderNotFound)
        return Contacts(root=self._root, id=key)

    def _distinguished(self, key: str) -> DistinguishedFolderId:
        mailbox = Mailbox(email_address=self.account.primary_smtp_address)
        return DistinguishedFolderId(id=key, mailbox=mailbox)

    def check(self) -> dict[str, Any]:
        """Open the inbox (the login, the mailbox and the EWS answer all work) and list
        the contact folders: ``{ews_url, contact_folders: [{id, name}]}``."""
        self._call(lambda: self.account.inbox)
        return {"ews_url": self.ews_url, "contact_folders": self.contact_folders()}

    def contact_folders(self) -> list[dict[str, str]]:
        """The Contacts folder and the contact folders under it."""
        contacts = self._call(lambda: self.account.contacts)
        found = [{"id": "contacts", "name": contacts.name}]
        children = self._call(lambda: list(contacts.walk()))
        for child in children:
            if getattr(child, "folder_class", "") == "IPF.Contact":
                found.append({"id": child.id, "name": child.name})
        return found

    def sync_page(self, key: str, state: str | None, max_changes: int) -> Page:
        """One SyncFolderItems round trip from ``state`` (None: from the start): the
        changes (ids only), the state after them and whether that was the last."""
        folder = self.folder(key)
        service = SyncFolderItems(account=self.account)

        def run() -> list[Any]:
            return list(
                service.call(
                    folder=folder,
                    shape="IdOnly",
                    additional_fields=set(),
                    sync_state=state,
                    ignore=None,
                    max_changes_returned=max_changes,
                    sync_scope=None,
                )
            )

        changes = []
        for kind, item in self._call(run):
            if kind == "read_flag_change":
                continue
            ref = item if isinstance(item, ItemId) else item._id
            changes.append(Change(kind, ref.id, getattr(ref, "changekey", None)))
        return Page(changes, service.sync_state, bool(service.includes_last_item_in_range))

    def fetch(self, item_ids: list[str], fields: list[str]) -> list[Any]:
        """The items (exchangelib objects) with ``fields``; an item gone meanwhile is
        left out."""
        if not item_ids:
            return []
        refs = [ItemId(id=item_id) for item_id in item_ids]
        got = self._call(lambda: list(self.account.fetch(refs, only_fields=fields)))
        return [item for item in got if not isinstance(item, Exception)]

    def fetch_occurrence(
        self, master_id: str, master_changekey: str | None, index: int, fields: list[str]
    ) -> Any | None:
        """The ``index``-th occurrence (1-based) of a recurring series, by the
        ``OccurrenceItemId`` EWS names it with; None when Exchange has no such
        occurrence (cancelled, or past the series' end)."""
        ref = OccurrenceItemId(id=master_id, changekey=master_changekey, instance_index=index)
        got = self._call(lambda: list(self.account.fetch([ref], only_fields=fields)))
        found = [item for item in got if not isinstance(item, Exception)]
        return found[0] if found else None

    def fetch_mime(self, item_ids: list[str]) -> list[tuple[str, bytes]]:
        return [
            (item.id, bytes(item.mime_content))
            for item in self.fetch(item_ids, ["mime_content"])
            if item.mime_content
        ]

    def save(self, item: Any, update_fields: list[str] | None = None) -> Any:
        """Create (no id yet) or update an item; meetings are saved without sending
        invitations (the CRM records them, it does not invite)."""
        kwargs: dict[str, Any] = {}
        if type(item).__name__ == "CalendarItem":
            kwargs["send_meeting_invitations"] = "SendToNone"
        return self._call(item.save, update_fields=update_fields, **kwargs)

    def delete(self, item: Any) -> None:
        kwargs: dict[str, Any] = {}
        if type(item).__name__ == "CalendarItem":
            kwargs["send_meeting_cancellations"] = "SendToNone"
        try:
            item.delete(**kwargs)
        except ews_errors.ErrorItemNotFound:
            return  # already gone
        except Exception as exc:  # noqa: BLE001
            raise classify(exc) from exc

    def close(self) -> None:
        # closing sockets: nothing to tell when it fails
        with contextlib.suppress(Exception):
            self.account.protocol.close()


class ExchangeAdapter:
    """Opens EWS sessions with exchangelib: the EWS URL given, or found by SOAP
    autodiscover (at the autodiscover URL given, else by exchangelib's whole discovery
    from the address's domain)."""

    def discover(self, settings: dict[str, Any], secret: dict[str, Any]) -> str:
        """The EWS URL autodiscover names for the address."""
        credentials = credentials_of(settings, secret)
        auth = OAUTH2 if settings.get("auth") == "oauth2" else BASIC
        try:
            if settings.get("autodiscover_url"):
                protocol = AutodiscoverProtocol(
                    config=Configuration(
                        service_endpoint=settings["autodiscover_url"],
                        credentials=credentials,
                        auth_type=auth,
                        retry_policy=FailFast(),
                    )
                )
                answer = protocol.get_user_settings(user=settings["email"])
                answer.raise_errors()
                if not answer.ews_url:
                    raise ExchangeError("autodiscover", "no EWS URL in the answer")
                return answer.ews_url
            account = Account(
                settings["email"],
                credentials=credentials,
                autodiscover=True,
                access_type=DELEGATE,
                config=Configuration(credentials=credentials, auth_type=auth),
                default_timezone=EWS_UTC,
            )
            return account.protocol.service_endpoint
        except Exception as exc:  # noqa: BLE001
            error = classify(exc)
            if error.kind == "protocol":
                error = ExchangeError("autodiscover", error.detail)
            raise error from exc

    def connect(self, settings: dict[str, Any], secret: dict[str, Any]) -> EwsSession:
        """A session on the mailbox; the EWS URL is ``ews_url`` or the one autodiscover
        found before (``discovered_ews_url``), else autodiscover runs now."""
        url = settings.get("ews_url") or settings.get("discovered_ews_url")
        if not url:
            url = self.discover(settings, secret)
        credentials = credentials_of(settings, secret)
        try:
            config = Configuration(
                service_endpoint=url,
                credentials=credentials,
                auth_type=OAUTH2 if settings.get("auth") == "oauth2" else BASIC,
                retry_policy=FailFast(),
            )
            account = Account(
                settings["email"],
                config=config,
                autodiscover=False,
                access_type=DELEGATE,
                default_timezone=EWS_UTC,
                locale="en_US",
            )
            session = EwsSession(account, url)
            return session
        except Exception as exc:  # noqa: BLE001
            raise classify(exc) from exc


@dataclass(frozen=True)
class ExchangeSettings:
    lease_seconds: float
    #: seconds between syncs of a connection
    poll_seconds: float
    #: connections one instance syncs at once
    concurrency: int
    #: changes asked per SyncFolderItems page (and stored per transaction)
    page_size: int
    #: run the background sync (tests of other things turn it off)
    runner: bool
    #: seconds a request to Exchange may take
    timeout: float
    #: certificate authorities to trust besides the system's (a PEM file)
    ca_file: str | None


def _config(config: dict[str, Any], key: str, default: Any) -> Any:
    """The container config wins (tests set it there), then OSPREY_EXCHANGE_<key>."""
    if key in config:
        return config[key]
    value = os.environ.get(f"OSPREY_{key}")
    return default if value in (None, "") else type(default)(value)


def load_settings(config: dict[str, Any]) -> ExchangeSettings:
    runner = _config(config, "EXCHANGE_SYNC", "1")
    return ExchangeSettings(
        lease_seconds=float(_config(config, "EXCHANGE_LEASE_SECONDS", 300.0)),
        poll_seconds=float(_config(config, "EXCHANGE_POLL_SECONDS", 120.0)),
        concurrency=int(_config(config, "EXCHANGE_CONCURRENCY", 10)),
        page_size=int(_config(config, "EXCHANGE_PAGE_SIZE", 100)),
        runner=str(runner).lower() not in ("0", "false", "no", "off"),
        timeout=float(_config(config, "EXCHANGE_TIMEOUT_SECONDS", 30.0)),
        ca_file=_config(config, "EXCHANGE_CA_FILE", "") or None,
    )


class ExchangeConfig(DependencyProvider):
    """Injects :class:`ExchangeSettings`; sets exchangelib's timeout and trusted CAs."""

    def setup(self) -> None:
        self.value = load_settings(self.container.config)
        BaseProtocol.TIMEOUT = self.value.timeout
        TrustingAdapter.ca_file = self.value.ca_file
        BaseProtocol.HTTP_ADAPTER_CLS = TrustingAdapter

    def get_dependency(self, worker_ctx: Any) -> ExchangeSettings:
        return self.value


class Secrets(DependencyProvider):
    """Injects the :class:`SecretBox`: container config ``SECRET_KEYS`` (a list or a
    comma-separated string), else ``OSPREY_SECRET_KEYS``."""

    def setup(self) -> None:
        keys = self.container.config.get("SECRET_KEYS")
        if keys is None:
            self.box = SecretBox.from_env()
        else:
            self.box = SecretBox(keys if isinstance(keys, list) else keys.split(","))

    def get_dependency(self, worker_ctx: Any) -> SecretBox:
        return self.box


class Exchange(DependencyProvider):
    """Injects the :class:`ExchangeAdapter`; a test may replace ``adapter``."""

    adapter = ExchangeAdapter

    def setup(self) -> None:
        self.value = self.adapter()

    def get_dependency(self, worker_ctx: Any) -> ExchangeAdapter:
        return self.value


class SyncSessions(DependencyProvider):
    """Injects a session factory of its own pool, one session per connection synced at
    once by the background sync (the worker's ``db`` is one session)."""

    def setup(self) -> None:
        from services.platform.db import create_db_engine, make_sessionmaker

        config = self.container.config
        settings = load_settings(config)
        self.engine = create_db_engine(
            config["DATABASE_URL"], pool_size=2, max_overflow=settings.concurrency
        )
        self.factory = make_sessionmaker(self.engine, metadata, self.container.service_name)

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.factory


class ExchangeBase:
    """The providers every part of the Exchange service uses, and nothing else."""

    name = "exchange"

    db = Database(metadata)
    exchange_settings = ExchangeConfig()
    secrets = Secrets()
    exchange = Exchange()
    sessions = SyncSessions()
    sales_rpc = RpcProxy("sales")
    mail_rpc = RpcProxy("mail")
    identity_rpc = RpcProxy("identity")
