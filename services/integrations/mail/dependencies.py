"""Everything the mail service talks to outside its database, each behind one class:
IMAP (:class:`ImapAdapter`, imapclient), SMTP (:class:`SmtpAdapter`, smtplib), the
encryption keys (:class:`Secrets`) and its settings (:class:`MailConfig`).

An adapter's failure is a :class:`MailServerError` with a ``kind`` the domain turns
into words a user can act on (:func:`.domain.failure_words`); nothing here logs a
password.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import eventlet
from eventlet.greenpool import GreenPool
from imapclient import IMAPClient
from imapclient import exceptions as imap_errors
from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
from imapclient.response_parser import parse_fetch_response
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.integrations.sync import leases
from services.integrations.sync.crypto import SecretBox
from services.platform.db import Database, create_db_engine, make_sessionmaker

from . import domain
from .models import connections, metadata

log = logging.getLogger(__name__)


class MailServerError(Exception):
    """A mail server failed: ``kind`` ∈ domain.FAILURES, ``detail`` for the log."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: str  # ssl, starttls, none
    login: str
    password: str
    timeout: float = 30.0

    def __repr__(self) -> str:  # never the password
        return f"Endpoint({self.login}@{self.host}:{self.port}, {self.security})"


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    highestmodseq: int | None
    messages: int


@dataclass(frozen=True)
class Fetched:
    uid: int
    size: int
    raw: bytes
    headers_only: bool


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _classify(exc: BaseException) -> MailServerError:
    if isinstance(exc, MailServerError):
        return exc
    if isinstance(
        exc, imap_errors.IMAPClientAbortError | EOFError | ConnectionResetError | BrokenPipeError
    ):
        return MailServerError("lost", f"{type(exc).__name__}: {exc}"[:200])
    if "not IMAP4 compliant" in str(exc):  # imaplib's word for a pre-IMAP4 server
        return MailServerError("capability", str(exc)[:200])
    if isinstance(exc, imap_errors.LoginError):
        return MailServerError("auth", str(exc)[:200])
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailServerError("tls", exc.verify_message or "certificate not trusted")
    if isinstance(exc, ssl.SSLError):
        return MailServerError("tls", str(exc)[:200])
    if isinstance(exc, socket.timeout | TimeoutError):
        return MailServerError("timeout", str(exc)[:200])
    if isinstance(exc, ConnectionRefusedError | socket.gaierror | OSError) and not isinstance(
        exc, imap_errors.IMAPClientError
    ):
        return MailServerError("unreachable", f"{type(exc).__name__}: {exc}"[:200])
    return MailServerError("protocol", f"{type(exc).__name__}: {exc}"[:200])


class ImapConnection:
    """One logged-in IMAP session."""

    def __init__(self, client: IMAPClient):
        self.client = client
        # imapclient sets imaplib's debug level to 5 so that imaplib logs to its
        # logger, and imaplib then formats a repr of every response (each message's
        # bytes, and a whole FETCH answer again) before the logger drops it: half of
        # reading a FETCH. Only when that logger would write anything.
        if not _IMAPLIB_LOG.isEnabledFor(logging.DEBUG):
            client._imap.debug = 0
        self.capabilities = {c.decode().upper() for c in client.capabilities()}
        self.condstore = "CONDSTORE" in self.capabilities
        self.idle_supported = "IDLE" in self.capabilities
        self.selected: str | None = None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed one
            raise _classify(exc) from exc

    def folders(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every folder ``(name, flags)``, flags as text (``\\Sent``, ``\\Noselect``)."""
        rows = self._call(self.client.list_folders)
        return [(name, tuple(f.decode() for f in flags)) for flags, _delim, name in rows]

    def sent_folder(self) -> str | None:
        """The folder the server marks ``\\Sent`` (RFC 6154), else one named Sent."""
        folders = self.folders()
        for name, flags in folders:
            if "\\Sent" in flags:
                return name
        for name, _flags in folders:
            if name.lower() in ("sent", "sent items", "sent messages", "inbox.sent", "inbox/sent"):
                return name
        return None

    def status(self, folder: str) -> FolderStatus:
        """The folder's UIDVALIDITY, UIDNEXT and (with CONDSTORE) HIGHESTMODSEQ: one
        round trip, nothing selected, nothing fetched."""
        items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        if self.condstore:
            items.append(b"HIGHESTMODSEQ")
        data = self._call(self.client.folder_status, folder, items)
        return FolderStatus(
            uidvalidity=int(data[b"UIDVALIDITY"]),
            uidnext=int(data[b"UIDNEXT"]),
            highestmodseq=int(data[b"HIGHESTMODSEQ"]) if b"HIGHESTMODSEQ" in data else None,
            messages=int(data[b"MESSAGES"]),
        )

    def select(self, folder: str) -> None:
        if self.selected != folder:
            self._call(self.client.select_folder, folder, readonly=True)
            self.selected = folder

    def open(self, folder: str) -> FolderStatus:
        """SELECT (read-only) the folder and return what its answer says: the same as
        :meth:`status`, and the folder is ready to fetch from — one round trip where a
        STATUS and then a SELECT would be two."""
        data = self._call(self.client.select_folder, folder, readonly=True)
        self.selected = folder
        return FolderStatus(
            uidvalidity=int(data[b"UIDVALIDITY"]),
            uidnext=int(data.get(b"UIDNEXT") or 0) or self._uidnext(folder),
            highestmodseq=int(data[b"HIGHESTMODSEQ"]) if data.get(b"HIGHESTMODSEQ") else None,
            messages=int(data.get(b"EXISTS") or 0),
        )

    def _uidnext(self, folder: str) -> int:
        # a server may leave UIDNEXT out of SELECT's answer; STATUS always has it
        return self.status(folder).uidnext

    def new_uids(self, folder: str, above: int, expected: int, batch: int) -> list[int]:
        """UIDs above ``above`` in the selected folder, oldest first. When few are
        expected they are fetched by range with no SEARCH first (a round trip saved)."""
        if 0 < expected <= batch:
            return [above + 1 + i for i in range(expected)]
        return sorted(self.uids(folder, since=None, above=above))

    def uids(self, folder: str, *, since: date | None, above: int = 0) -> list[int]:
        """UIDs in the folder greater than ``above`` (and from ``since`` on), newest
        first."""
        self.select(folder)
        criteria: list[Any] = []
        if above:
            criteria += ["UID", f"{above + 1}:*"]
        if since is not None:
            criteria += ["SINCE", since]
        found = self._call(self.client.search, criteria or ["ALL"])
        # "n:*" always matches the last message, even when its UID is below n
        return sorted((uid for uid in found if uid > above), reverse=True)

    def fetch(self, folder: str, uids: list[int], *, max_bytes: int) -> Iterator[Fetched]:
        """The messages ``uids`` in one FETCH; of one over ``max_bytes`` only its first
        ``max_bytes`` come (``BODY.PEEK[]<0.max_bytes>``), and only its header is kept."""
        if not uids:
            return
        self.select(folder)
        partial = f"BODY.PEEK[]<0.{max_bytes}>".encode()
        # No INTERNALDATE here: imapclient turns every one into a datetime, which costs
        # more than the rest of the answer; it is asked for the few without a Date.
        got = self._call(self._fetch_bodies, uids, partial)
        for uid in uids:
            data = got.get(uid)
            if data is None:
                continue  # expunged between the search and the fetch
            size = int(data.get(b"RFC822.SIZE") or 0)
            raw = data.get(b"BODY[]<0>") or b""
            large = size > max_bytes
            if large:
                end = raw.find(b"\r\n\r\n")
                raw = raw[: end + 4] if end >= 0 else raw[:65536]
            yield Fetched(
                uid=uid,
                size=size,
                raw=raw,
                headers_only=large,
            )

    def _fetch_bodies(self, uids: list[int], partial: bytes) -> dict[int, dict[bytes, Any]]:
        """``UID FETCH uids (RFC822.SIZE BODY.PEEK[]<0.n>)`` as imapclient's ``fetch``
        sends it, its answer read by :func:`_read_bodies` when it has the usual shape
        (imapclient's response parser tokenizes every answer, a tenth of a sync's
        time), else by imapclient's parser."""
        client = self.client
        if not client.use_uid:
            return client.fetch(uids, [b"RFC822.SIZE", partial])
        imap = client._imap
        tag = imap._command(
            "UID", "FETCH", join_message_ids(uids), seq_to_parenstr_upper([b"RFC822.SIZE", partial])
        )
        typ, data = imap._command_complete("FETCH", tag)
        client._checkok("fetch", typ, data)
        typ, data = imap._untagged_response(typ, data, "FETCH")
        got = _read_bodies(data)
        if got is None:
            got = parse_fetch_response(data, client.normalise_times, True)
        return got

    def arrival_times(self, folder: str, uids: list[int]) -> dict[int, datetime]:
        """When the server received each message (INTERNALDATE), for mail without a
        readable Date header."""
        if not uids:
            return {}
        self.select(folder)
        got = self._call(self.client.fetch, uids, [b"INTERNALDATE"])
        return {uid: data[b"INTERNALDATE"] for uid, data in got.items() if b"INTERNALDATE" in data}

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        self._call(self.client.append, folder, raw, flags=[b"\\Seen"] if seen else [])

    def idle(self, folder: str, timeout: float) -> bool:
        """Wait in IDLE up to ``timeout`` seconds; True when the server said something
        changed (new mail, expunges)."""
        self.select(folder)
        self._call(self.client.idle)
        try:
            # An update sent together with IDLE's "+ idling" already sits in imaplib's
            # buffer, where imapclient's idle_check (it polls the socket) never looks.
            if self._buffered() or self.client._imap.untagged_responses:
                return True
            responses = self._call(self.client.idle_check, timeout=timeout)
        finally:
            self._call(self.client.idle_done)
        return bool(responses)

    def _buffered(self) -> bool:
        sock = self.client.socket()
        timeout = sock.gettimeout()
        sock.setblocking(False)
        try:
            return bool(self.client._imap.file.peek(1))
        except (BlockingIOError, OSError):
            return False
        finally:
            sock.settimeout(timeout)

    def logout(self) -> None:
        try:
            self.client.logout()
        except Exception:  # noqa: BLE001 - the session is over either way
            with contextlib.suppress(Exception):
                self.client.shutdown()


_IMAPLIB_LOG = logging.getLogger("imapclient.imaplib")
#: One message of a ``UID FETCH (RFC822.SIZE BODY.PEEK[]<0.n>)`` answer as servers send
#: it: the sequence number, UID and size (either order), and the bytes as a literal.
_BODY_ANSWER = re.compile(
    rb"\d+ \((?:UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)) "
    rb"BODY\[\]<0> \{(\d+)\}\Z"
)


def _read_bodies(data: list[Any]) -> dict[int, dict[bytes, Any]] | None:
    """imaplib's items of a FETCH answer ``{uid: {RFC822.SIZE, BODY[]<0>}}`` when every
    one is a message of the usual shape, each followed by its closing ``)``; None for
    anything else (an unsolicited FETCH of flags, another order, a quoted string), which
    imapclient's parser reads."""
    if data == [None]:
        return {}
    if len(data) % 2:
        return None
    out: dict[int, dict[bytes, Any]] = {}
    for at in range(0, len(data), 2):
        item = data[at]
        if type(item) is not tuple or len(item) != 2 or data[at + 1] != b")":
            return None
        match = _BODY_ANSWER.match(item[0])
        if match is None:
            return None
        uid_a, size_a, size_b, uid_b, length = match.groups()
        uid = int(uid_a or uid_b)
        body = item[1]
        if uid in out or len(body) != int(length):
            return None
        out[uid] = {b"RFC822.SIZE": int(size_a or size_b), b"BODY[]<0>": body}
    return out


class ImapAdapter:
    """Opens IMAP sessions with imapclient (``ssl=False`` for plain and STARTTLS)."""

    def connect(self, endpoint: Endpoint) -> ImapConnection:
        client = None
        try:
            client = IMAPClient(
                endpoint.host,
                port=endpoint.port,
                ssl=endpoint.security == "ssl",
                ssl_context=_tls_context() if endpoint.security == "ssl" else None,
                timeout=endpoint.timeout,
            )
            if endpoint.security == "starttls":
                client.starttls(_tls_context())
            capabilities = {c.decode().upper() for c in client.capabilities()}
            if "IMAP4REV1" not in capabilities:
                raise MailServerError("capability", "no IMAP4rev1 in CAPABILITY")
            client.login(endpoint.login, endpoint.password)
            return ImapConnection(client)
        except BaseException as exc:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.shutdown()
            if isinstance(exc, Exception):
                raise _classify(exc) from exc
            raise


class SmtpAdapter:
    """Sends a message through SMTP (smtplib), logging in when a password is given."""

    def send(self, endpoint: Endpoint, sender: str, recipients: list[str], raw: bytes) -> None:
        try:
            if endpoint.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    endpoint.host, endpoint.port, timeout=endpoint.timeout, context=_tls_context()
                )
            else:
                smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=endpoint.timeout)
            with smtp:
                smtp.ehlo()
                if endpoint.security == "starttls":
                    smtp.starttls(context=_tls_context())
                    smtp.ehlo()
                if endpoint.password and smtp.has_extn("auth"):
                    smtp.login(endpoint.login, endpoint.password)
                refused = smtp.sendmail(sender, recipients, raw)
            if refused:
                detail = ", ".join(f"{a}: {code}" for a, (code, _m) in refused.items())
                raise MailServerError("smtp_rejected", f"refused recipients {detail}")
        except MailServerError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailServerError("smtp_auth", str(exc)[:200]) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailServerError(
                "smtp_rejected", f"refused every recipient: {exc.recipients}"[:300]
            ) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            raise MailServerError(
                "smtp_rejected", f"{exc.smtp_code} {exc.smtp_error!r}"[:300]
            ) from exc
        except smtplib.SMTPException as exc:
            raise MailServerError("protocol", str(exc)[:200]) from exc
        except Exception as exc:  # noqa: BLE001
            raise _classify(exc) from exc


@dataclass(frozen=True)
class MailSettings:
    #: attachments larger than this are listed without their content
    keep_attachment_bytes: int
    #: messages larger than this are stored from their header only
    max_message_bytes: int
    #: seconds between syncs of a mailbox whose server has no IDLE
    poll_seconds: float
    #: how long one IDLE waits before a sync anyway
    idle_seconds: float
    lease_seconds: float
    #: mailboxes synced at once by one instance
    concurrency: int
    #: messages fetched and stored per transaction
    batch_size: int
    #: run the background sync (tests of other things turn it off)
    runner: bool
    timeout: float


def _config(config: dict[str, Any], key: str, default: Any) -> Any:
    """The container config wins (tests set it there), then OSPREY_MAIL_<key>."""
    if key in config:
        return config[key]
    value = os.environ.get(f"OSPREY_{key}")
    return default if value in (None, "") else type(default)(value)


def load_settings(config: dict[str, Any]) -> MailSettings:
    runner = _config(config, "MAIL_SYNC", "1")
    return MailSettings(
        keep_attachment_bytes=int(_config(config, "MAIL_KEEP_ATTACHMENT_BYTES", 10 * 1024 * 1024)),
        max_message_bytes=int(_config(config, "MAIL_MAX_MESSAGE_BYTES", 25 * 1024 * 1024)),
        poll_seconds=float(_config(config, "MAIL_POLL_SECONDS", 60.0)),
        idle_seconds=float(_config(config, "MAIL_IDLE_SECONDS", 240.0)),
        lease_seconds=float(_config(config, "MAIL_LEASE_SECONDS", 120.0)),
        concurrency=int(_config(config, "MAIL_CONCURRENCY", 20)),
        batch_size=int(_config(config, "MAIL_BATCH_SIZE", 500)),
        runner=str(runner).lower() not in ("0", "false", "no", "off"),
        timeout=float(_config(config, "MAIL_TIMEOUT_SECONDS", 30.0)),
    )


class MailConfig(DependencyProvider):
    """Injects :class:`MailSettings` (container config keys ``MAIL_*``, else
    ``OSPREY_MAIL_*`` from the environment)."""

    def setup(self) -> None:
        self.value = load_settings(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> MailSettings:
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


class MailServers(DependencyProvider):
    """Injects ``(imap, smtp)`` adapters; a test may replace the class attributes."""

    imap_adapter = ImapAdapter
    smtp_adapter = SmtpAdapter

    def setup(self) -> None:
        self.imap = self.imap_adapter()
        self.smtp = self.smtp_adapter()

    def get_dependency(self, worker_ctx: Any) -> MailServers:
        return self


class SyncRunner(DependencyProvider):
    """Runs the background sync in every instance (config ``MAIL_SYNC`` off: none)."""

    def __init__(self, directory: Any = None):
        self.directory = directory
        self._stopped = False
        self.pool: GreenPool | None = None
        self.engine = None

    def setup(self) -> None:
        config = self.container.config
        self.settings = load_settings(config)
        # The steps of a sync (runner.py) use this module's adapters: imported here, not
        # at the top, so the two modules do not import each other while loading.
        from . import runner

        self.steps = runner
        self.holder = runner.holder_name()
        self.engine = create_db_engine(
            config["DATABASE_URL"], pool_size=5, max_overflow=self.settings.concurrency
        )
        self.Session = make_sessionmaker(self.engine, metadata, self.container.service_name)
        self.imap = ImapAdapter()
        secrets = Secrets()
        secrets.container = self.container
        secrets.setup()
        self.secrets = secrets.box
        self.pool = GreenPool(self.settings.concurrency)
        self.user_addresses: set[str] = set()

    def start(self) -> None:
        if self.settings.runner:
            self.container.spawn_managed_thread(self.run, identifier="mail_sync_runner")

    def stop(self) -> None:
        """Syncs stop at their next batch (what they stored is committed); a mailbox
        waiting in IDLE is let go after a few seconds."""
        self._stopped = True
        if self.pool is not None:
            with eventlet.Timeout(self.steps.STOP_GRACE_SECONDS, False):
                self.pool.waitall()
        self.kill()

    def kill(self) -> None:
        self._stopped = True
        if self.pool is not None:
            for thread in list(self.pool.coroutines_running):
                thread.kill()
        if self.engine is not None:
            self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> SyncRunner:
        return self

    def keep_going(self) -> bool:
        return not self._stopped

    def run(self) -> None:
        while not self._stopped:
            try:
                free = self.pool.free()
                claimed: list[str] = []
                if free:
                    with self.Session() as db:
                        claimed = leases.claim_due(
                            db,
                            connections,
                            self.holder,
                            lease_seconds=self.settings.lease_seconds,
                            limit=free,
                        )
                        db.commit()
                for mailbox_id in claimed:
                    self.pool.spawn_n(self._sync_one, mailbox_id)
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                log.exception("mail sync runner: claiming mailboxes failed; retrying")
            eventlet.sleep(0.5)

    def _sync_one(self, mailbox_id: str) -> None:
        try:
            self.steps.run_sync(
                self.Session,
                self.imap,
                self.secrets,
                self.settings,
                mailbox_id,
                self.holder,
                user_addresses=self.user_addresses,
                watch=True,
                keep_going=self.keep_going,
            )
        except Exception:  # noqa: BLE001 - one mailbox's bug never stops the others
            log.exception("mailbox %s: sync crashed", mailbox_id)
            try:
                with self.Session() as db:
                    self.steps._failed(
                        db,
                        {"id": mailbox_id, "settings": {}, "owner_id": None},
                        self.holder,
                        domain.failure_words("protocol", "internal error"),
                        permanent=False,
                    )
            except Exception:  # noqa: BLE001
                log.exception("mailbox %s: could not record the failure", mailbox_id)


class MailBase:
    """The providers every part of the mail service uses, and nothing else."""

    name = "mail"

    db = Database(metadata)
    mail_settings = MailConfig()
    secrets = Secrets()
    servers = MailServers()
    #: the background sync of every mailbox (leased among the instances)
    runner = SyncRunner()
    sales_rpc = RpcProxy("sales")
    leads_rpc = RpcProxy("leads")
    orders_rpc = RpcProxy("orders")
    identity_rpc = RpcProxy("identity")
