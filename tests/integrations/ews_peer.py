"""A local Exchange Web Services peer: a real HTTP server on 127.0.0.1 that answers the
SOAP operations Osprey's Exchange service sends, as Microsoft's EWS reference shows them.

It holds one mailbox in memory with the distinguished folders Inbox, Sent Items,
Contacts, Calendar and Tasks (and any contact folders a test adds), each with a change
log, so SyncFolderItems hands out real sync states: a state names the folder and the
position in its log, a later call returns only what changed since (creates, updates,
deletes), ``MaxChangesReturned`` at a time with ``IncludesLastItemInRange``.

Operations: GetFolder, FindFolder, SyncFolderItems, GetItem, CreateItem, UpdateItem,
DeleteItem, ResolveNames, ConvertId (the version probe), and SOAP autodiscover
(GetUserSettings at ``/autodiscover/autodiscover.svc``). Authentication: HTTP basic
(user and password) or an OAuth2 bearer token; anything else is a 401 with the
challenges a real server sends. ``busy(n, back_off_ms)`` makes the next ``n`` requests
fail with the SOAP fault ``ErrorServerBusy`` carrying ``BackOffMilliseconds``.

The responses are written from the EWS reference pages (operation, element and
error-code pages: learn.microsoft.com/exchange/client-developer/web-service-reference),
not from what a client sends: an item the client creates is stored as its typed
properties, and answers are rebuilt from those in the schema's order.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
A = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
NS = {"s": S, "m": M, "t": T, "a": A}

#: the distinguished folders: (distinguished id, display name, folder class, element)
FOLDERS = (
    ("root", "", "", "Folder"),
    ("msgfolderroot", "Top of Information Store", "IPF.Note", "Folder"),
    ("inbox", "Inbox", "IPF.Note", "Folder"),
    ("sentitems", "Sent Items", "IPF.Note", "Folder"),
    ("contacts", "Contacts", "IPF.Contact", "ContactsFolder"),
    ("calendar", "Calendar", "IPF.Appointment", "CalendarFolder"),
    ("tasks", "Tasks", "IPF.Task", "TasksFolder"),
)
#: which item element each folder element holds
ITEM_TAG = {
    "Folder": "Message",
    "ContactsFolder": "Contact",
    "CalendarFolder": "CalendarItem",
    "TasksFolder": "Task",
}
#: the order of an item's properties in the schema (types.xsd), by item type; what is
#: not listed keeps the order it came in, after these
ORDER = {
    "Message": (
        "MimeContent ItemId ParentFolderId ItemClass Subject Sensitivity Body DateTimeReceived "
        "Size Importance DateTimeSent DateTimeCreated LastModifiedTime Sender ToRecipients "
        "CcRecipients IsRead InternetMessageId From"
    ),
    "Contact": (
        "ItemId ParentFolderId ItemClass Subject Body DateTimeCreated LastModifiedTime "
        "FileAs DisplayName GivenName CompanyName EmailAddresses PhoneNumbers JobTitle "
        "Surname"
    ),
    "CalendarItem": (
        "ItemId ParentFolderId ItemClass Subject Body DateTimeCreated LastModifiedTime "
        "UID Start End OriginalStart IsAllDay LegacyFreeBusyStatus Location CalendarItemType "
        "Organizer RequiredAttendees OptionalAttendees Recurrence FirstOccurrence LastOccurrence "
        "ModifiedOccurrences DeletedOccurrences StartTimeZone EndTimeZone"
    ),
    "Task": (
        "ItemId ParentFolderId ItemClass Subject Body DateTimeCreated LastModifiedTime "
        "CompleteDate DueDate PercentComplete StartDate Status"
    ),
}


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Folder:
    id: str
    name: str
    folder_class: str
    element: str
    distinguished: str | None
    parent_id: str | None
    #: the change log: (position, kind ∈ create/update/delete, item id)
    log: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Item:
    id: str
    change_key: str
    folder_id: str
    tag: str
    #: the item's properties as elements of the types namespace, by local name
    props: dict[str, etree._Element]
    mime: bytes | None = None


class Mailbox:
    """One user's mailbox: folders, items and each folder's change log."""

    def __init__(self, address: str):
        self.address = address
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._positions = itertools.count(1)
        self.folders: dict[str, Folder] = {}
        self.items: dict[str, Item] = {}
        parent_id = None
        for distinguished, name, folder_class, element in FOLDERS:
            folder = Folder(
                self._new_id("F"), name, folder_class, element, distinguished, parent_id
            )
            self.folders[folder.id] = folder
            if distinguished in ("root", "msgfolderroot"):
                parent_id = folder.id

    def _new_id(self, prefix: str) -> str:
        # EWS ids are opaque base64; these are too
        raw = f"{prefix}:{self.address}:{next(self._ids)}".encode()
        return base64.b64encode(raw).decode()

    def folder(self, distinguished: str) -> Folder:
        return next(f for f in self.folders.values() if f.distinguished == distinguished)

    def add_folder(self, name: str, parent: str = "contacts") -> Folder:
        parent_folder = self.folder(parent)
        with self.lock:
            folder = Folder(
                self._new_id("F"),
                name,
                parent_folder.folder_class,
                parent_folder.element,
                None,
                parent_folder.id,
            )
            self.folders[folder.id] = folder
            return folder

    # -- items, as a user's other programs (Outlook) change them ------------------------

    def put(
        self,
        folder: Folder | str,
        props: dict[str, Any],
        *,
        mime: bytes | None = None,
        item_id: str | None = None,
    ) -> Item:
        """Create (or, with ``item_id``, replace the given properties of) an item.
        ``props`` maps a property's local name to its text, or to an XML fragment in
        the types namespace written with the prefix ``t:`` (``<t:Entry ...>``)."""
        with self.lock:
            if isinstance(folder, str):
                folder = self.folder(folder)
            elements = {name: _element(name, value) for name, value in props.items()}
            if item_id is None:
                item = Item(self._new_id("I"), "CK1", folder.id, ITEM_TAG[folder.element], {}, mime)
                item.props["DateTimeCreated"] = _element("DateTimeCreated", now_text())
                self.items[item.id] = item
                kind = "create"
            else:
                item = self.items[item_id]
                item.change_key = f"CK{int(item.change_key[2:]) + 1}"
                kind = "update"
                if mime is not None:
                    item.mime = mime
            item.props.update(elements)
            if "LastModifiedTime" not in props:  # a test may say when Outlook changed it
                item.props["LastModifiedTime"] = _element("LastModifiedTime", now_text())
            folder = self.folders[item.folder_id]
            folder.log.append((next(self._positions), kind, item.id))
            return item

    def remove(self, item_id: str) -> None:
        with self.lock:
            item = self.items.pop(item_id)
            self.folders[item.folder_id].log.append((next(self._positions), "delete", item_id))

    def items_in(self, folder: Folder) -> list[Item]:
        return [i for i in self.items.values() if i.folder_id == folder.id]


def _element(name: str, value: Any) -> etree._Element:
    if isinstance(value, etree._Element):
        return value
    text = str(value)
    if text.startswith("<t:"):
        return etree.fromstring(f'<t:{name} xmlns:t="{T}">{text}</t:{name}>')
    element = etree.Element(q(T, name), nsmap={"t": T})
    element.text = text
    return element


class EwsPeer:
    """The HTTP server. ``url`` is the EWS endpoint, ``autodiscover_url`` the SOAP
    autodiscover one. Use as a context manager; ``requests`` counts operations."""

    def __init__(
        self,
        address: str = "maria@contoso.test",
        password: str = "Secr3t!",
        *,
        tls_dir: str | None = None,
    ):
        self.mailbox = Mailbox(address)
        self.users = {address.lower(): password}
        self.tokens: set[str] = set()
        #: modified occurrences of recurring meetings, by id (GetItem finds them)
        self.occurrences: dict[str, Item] = {}
        self.requests: list[str] = []
        self._busy: list[int] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        #: with ``tls_dir`` the peer speaks HTTPS with a certificate of its own for
        #: 127.0.0.1, written there as ``ca.pem`` for the client to trust
        self.ca_file: str | None = None
        if tls_dir is not None:
            self.ca_file = _wrap_tls(self._server, tls_dir)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/EWS/Exchange.asmx"

    @property
    def autodiscover_url(self) -> str:
        return f"{self.base}/autodiscover/autodiscover.svc"

    def __enter__(self) -> EwsPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def busy(self, times: int = 1, back_off_ms: int = 1500) -> None:
        """The next ``times`` EWS requests are refused with ErrorServerBusy."""
        self._busy.extend([back_off_ms] * times)

    def take_busy(self) -> int | None:
        return self._busy.pop(0) if self._busy else None


def _wrap_tls(server: ThreadingHTTPServer, directory: str) -> str:
    """Serve HTTPS with a new self-signed certificate for 127.0.0.1; its path."""
    import ipaddress
    import os
    import ssl
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = os.path.join(directory, "ca.pem")
    key_file = os.path.join(directory, "key.pem")
    with open(cert_file, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return cert_file


def _handler(peer: EwsPeer) -> type[BaseHTTPRequestHandler]:
    from . import ews_peer_ops as ops

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # an answer's headers and body are two writes: with Nagle's algorithm the body
        # waited for the client's delayed ACK of the headers (some 40 ms on Linux) on
        # every request of a kept-alive connection, which no real server makes its clients wait
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization") or ""
            if header.startswith("Basic "):
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    return False
                return peer.users.get(user.lower()) == password
            if header.startswith("Bearer "):
                return header[7:] in peer.tokens
            return False

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
            self._send(200, b"")

        def do_GET(self) -> None:  # noqa: N802
            self._send(405, b"")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            path = self.path.lower()
            if path not in ("/ews/exchange.asmx", "/autodiscover/autodiscover.svc"):
                self._send(404, b"")
                return
            if not self._authorized():
                self._send(
                    401,
                    b"",
                    {"WWW-Authenticate": 'Basic realm="127.0.0.1", Bearer'},
                )
                return
            try:
                request = etree.fromstring(body)
            except etree.XMLSyntaxError:
                self._send(400, b"")
                return
            body_element = request.find(f"{{{S}}}Body")
            if body_element is None or len(body_element) == 0:
                self._send(400, b"")
                return
            operation = body_element[0]
            name = etree.QName(operation).localname
            peer.requests.append(name)
            if path.startswith("/autodiscover"):
                status, answer = ops.autodiscover(peer, request, operation)
            else:
                back_off = peer.take_busy()
                if back_off is not None:
                    status, answer = 500, ops.server_busy(back_off)
                else:
                    status, answer = ops.answer(peer, name, operation)
            self._send(status, answer)

    return Handler
