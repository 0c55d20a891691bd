"""A local Google for the tests: one real HTTP server on 127.0.0.1 that answers the part
of Google's REST APIs the google service uses, in the shapes of Google's reference
documentation (People v1, Calendar v3, Gmail v1, the OAuth 2.0 token endpoint).

The service talks to it through the real google-api-python-client (built from the
discovery documents the library ships, with the root URL pointed here) and the real
google-auth / google-auth-oauthlib token code; nothing in the service knows it is a
peer. The server runs in a thread of the test process.

What it does as Google does:

- ``POST /token``: ``authorization_code`` (with the PKCE ``code_verifier`` checked
  against the challenge of the authorization request) and ``refresh_token`` grants; a
  revoked or unknown refresh token is ``400 {"error": "invalid_grant"}``. Every API call
  needs a live bearer token (401 otherwise).
- People: ``people/me/connections`` pages with ``pageToken``, ``requestSyncToken`` gives
  ``nextSyncToken`` on the last page; with ``syncToken`` only the people changed since,
  deleted ones as ``metadata.deleted``; an expired token is an error carrying
  ``google.rpc.ErrorInfo`` reason ``EXPIRED_SYNC_TOKEN`` (400 FAILED_PRECONDITION, or
  410 when ``people_expiry_status`` says so). ``contactGroups``, ``people:createContact``,
  ``people/{id}:updateContact`` (etag checked: a stale one is 400 FAILED_PRECONDITION),
  ``people/{id}:deleteContact``.
- Calendar: ``calendarList``; ``calendars/{id}/events`` with ``syncToken`` (410
  ``fullSyncRequired`` when expired), ``showDeleted``, paging; insert, patch, delete;
  recurring events (``recurrence``) and their exceptions (instances with
  ``recurringEventId`` and ``originalStartTime``; a cancelled one has status
  ``cancelled``).
- Gmail: ``users/me/profile``, ``users/me/history`` (404 for a ``startHistoryId``
  older than the oldest kept), ``users/me/messages`` (list, ``get`` with
  ``format=raw`` as base64url).
- Throttling: ``throttle(n, kind)`` makes the next ``n`` API calls answer 429
  ``RESOURCE_EXHAUSTED`` or 403 ``rateLimitExceeded`` (with ``Retry-After``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import itertools
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGE = 3  # small pages so every test pages


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _etag(value: Any) -> str:
    return '"' + hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16] + '"'


class GooglePeer:
    """The peer's state and its server. ``url`` is its root (``http://127.0.0.1:PORT/``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = itertools.count(1)
        self.clients: dict[str, str] = {}  # client_id -> secret
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> grant
        self.refresh_tokens: dict[str, str] = {}  # token -> account email
        self.access_tokens: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.throttled: list[str] = []
        self.people_expiry_status = 400
        # People
        self.people: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {
            "contactGroups/myContacts": {
                "resourceName": "contactGroups/myContacts",
                "groupType": "SYSTEM_CONTACT_GROUP",
                "name": "myContacts",
                "formattedName": "My Contacts",
            }
        }
        self.people_floor = 0  # sync tokens below this are expired
        # Calendar: calendar id -> event id -> event
        self.calendars: dict[str, dict[str, Any]] = {
            "primary": {"id": "primary", "summary": "Primary", "timeZone": "Europe/Berlin"}
        }
        self.events: dict[str, dict[str, dict[str, Any]]] = {"primary": {}}
        self.calendar_floor = 0
        # Gmail
        self.messages: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.history_floor = 0
        self.email = "owner@gmail.test"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- life ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> GooglePeer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test does on "Google's side" ---------------------------------------------

    def add_client(self, client_id: str, secret: str) -> None:
        self.clients[client_id] = secret

    def revoke(self, refresh_token: str | None = None) -> None:
        """The user removed the app's access in their Google account."""
        with self.lock:
            for token in [refresh_token] if refresh_token else list(self.refresh_tokens):
                self.refresh_tokens.pop(token, None)
            self.access_tokens.clear()

    def throttle(self, count: int, kind: str = "429", after: int = 0) -> None:
        """The next ``count`` API calls after ``after`` more are refused as throttled
        (``429`` RESOURCE_EXHAUSTED or ``403`` rateLimitExceeded)."""
        self.throttled.extend(["ok"] * after + [kind] * count)

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.people_floor = self.calendar_floor = next(self.seq)

    def expire_history(self) -> None:
        with self.lock:
            self.history_floor = next(self.seq)

    def _stamp(self, resource: dict[str, Any]) -> None:
        resource["_seq"] = next(self.seq)

    def put_person(
        self,
        given: str,
        family: str,
        emails: list[str] = (),  # type: ignore[assignment]
        phones: list[str] = (),  # type: ignore[assignment]
        title: str | None = None,
        groups: list[str] = ("contactGroups/myContacts",),  # type: ignore[assignment]
        resource_name: str | None = None,
    ) -> dict[str, Any]:
        """Create or change a contact as the user would in Google Contacts."""
        with self.lock:
            name = resource_name or f"people/c{next(self.seq)}"
            person = {
                "resourceName": name,
                "names": [
                    {
                        "displayName": f"{given} {family}".strip(),
                        "givenName": given,
                        "familyName": family,
                        "unstructuredName": f"{given} {family}".strip(),
                    }
                ],
                "emailAddresses": [{"value": e, "type": "work"} for e in emails],
                "phoneNumbers": [{"value": p, "type": "mobile"} for p in phones],
                "organizations": [{"title": title}] if title else [],
                "memberships": [
                    {
                        "contactGroupMembership": {
                            "contactGroupId": g.split("/", 1)[1],
                            "contactGroupResourceName": g,
                        }
                    }
                    for g in groups
                ],
            }
            self._save_person(person)
            return self.person(name)

    def _save_person(self, person: dict[str, Any]) -> None:
        body = {k: v for k, v in person.items() if k not in ("etag", "metadata", "_seq")}
        person["etag"] = "%" + _etag([body, next(self.seq)]).strip('"')
        person["metadata"] = {
            "sources": [
                {
                    "type": "CONTACT",
                    "id": person["resourceName"].split("/c", 1)[-1],
                    "etag": person["etag"],
                    "updateTime": _now(),
                }
            ],
            "objectType": "PERSON",
        }
        self._stamp(person)
        self.people[person["resourceName"]] = person

    def person(self, name: str) -> dict[str, Any]:
        return {k: v for k, v in copy.deepcopy(self.people[name]).items() if k != "_seq"}

    def delete_person(self, name: str) -> None:
        with self.lock:
            person = self.people[name]
            person["metadata"]["deleted"] = True
            self._stamp(person)

    def add_group(self, name: str) -> str:
        resource = f"contactGroups/{hashlib.sha1(name.encode()).hexdigest()[:12]}"
        self.groups[resource] = {
            "resourceName": resource,
            "groupType": "USER_CONTACT_GROUP",
            "name": name,
            "formattedName": name,
        }
        return resource

    def live_people(self) -> list[dict[str, Any]]:
        return [self.person(n) for n, p in self.people.items() if not p["metadata"].get("deleted")]

    def put_event(self, calendar: str = "primary", **event: Any) -> dict[str, Any]:
        with self.lock:
            event.setdefault("id", f"ev{next(self.seq)}")
            event.setdefault("status", "confirmed")
            stored = self.events[calendar].get(event["id"], {})
            stored.update(event)
            self._save_event(calendar, stored)
            return self.event(calendar, stored["id"])

    def _save_event(self, calendar: str, event: dict[str, Any]) -> None:
        event["kind"] = "calendar#event"
        event["updated"] = _now()
        event.setdefault("created", event["updated"])
        body = {k: v for k, v in event.items() if k not in ("etag", "_seq", "sequence")}
        event["etag"] = _etag([body, next(self.seq)])
        self._stamp(event)
        self.events[calendar][event["id"]] = event

    def event(self, calendar: str, event_id: str) -> dict[str, Any]:
        return {
            k: v for k, v in copy.deepcopy(self.events[calendar][event_id]).items() if k != "_seq"
        }

    def live_events(self, calendar: str = "primary") -> list[dict[str, Any]]:
        return [
            self.event(calendar, i)
            for i, e in self.events[calendar].items()
            if e.get("status") != "cancelled"
        ]

    def cancel_event(self, calendar: str, event_id: str) -> None:
        with self.lock:
            event = self.events[calendar][event_id]
            event["status"] = "cancelled"
            self._save_event(calendar, event)

    def deliver(self, raw: bytes, labels: tuple[str, ...] = ("INBOX",)) -> str:
        """A message arrives in the Gmail mailbox (or is sent, with ``SENT``)."""
        with self.lock:
            seq = next(self.seq)
            message_id = f"{0x18C0000000000000 + seq:x}"
            self.messages[message_id] = {
                "id": message_id,
                "threadId": message_id,
                "labelIds": list(labels),
                "raw": raw,
                "historyId": str(seq),
                "internalDate": str(int(datetime.now(UTC).timestamp() * 1000)),
            }
            self.history.append(
                {
                    "id": str(seq),
                    "messages": [{"id": message_id, "threadId": message_id}],
                    "messagesAdded": [
                        {
                            "message": {
                                "id": message_id,
                                "threadId": message_id,
                                "labelIds": list(labels),
                            }
                        }
                    ],
                }
            )
            return message_id


# --- the HTTP side -------------------------------------------------------------------------


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _google_error(status: int, message: str, state: str, reason: str | None = None) -> _Reply:
    """An error as Google's JSON APIs send it (``error.code/message/status`` and the
    older ``errors[].reason``; an ``ErrorInfo`` detail when a reason is given)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if reason:
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return _Reply(status, {"error": error})


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    start = int(token or 0)
    chunk = items[start : start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


def _handler(peer: GooglePeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = urllib.parse.unquote(parsed.path)
            peer.requests.append((self.command, path))
            try:
                with peer.lock:
                    status, body, headers = 200, self._route(path, query, raw), {}
            except _Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
            if isinstance(body, str):
                data = body.encode()
            else:
                data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def _route(self, path: str, query: dict[str, str], raw: bytes) -> Any:
            if path == "/token":
                return self._token(dict(urllib.parse.parse_qsl(raw.decode())))
            if path == "/o/oauth2/auth":
                raise self._consent(query)
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in peer.access_tokens:
                raise _google_error(
                    401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"
                )
            kind = peer.throttled.pop(0) if peer.throttled else "ok"
            if kind != "ok":
                if kind == "403":
                    reply = _google_error(
                        403, "Rate Limit Exceeded", "PERMISSION_DENIED", "rateLimitExceeded"
                    )
                else:
                    reply = _google_error(
                        429,
                        "Resource has been exhausted (e.g. check quota).",
                        "RESOURCE_EXHAUSTED",
                        "RATE_LIMIT_EXCEEDED",
                    )
                reply.headers["Retry-After"] = "1"
                raise reply
            body = json.loads(raw) if raw else None
            if path.startswith("/v1/"):
                return self._people(path[4:], query, body)
            if path.startswith("/calendar/v3/"):
                return self._calendar(path[len("/calendar/v3/") :], query, body)
            if path.startswith("/gmail/v1/users/me/"):
                return self._gmail(path[len("/gmail/v1/users/me/") :], query)
            raise _google_error(404, "Not Found", "NOT_FOUND")

        # --- OAuth 2.0 ------------------------------------------------------------------

        def _token(self, form: dict[str, str]) -> Any:
            client, secret = form.get("client_id"), form.get("client_secret")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):  # client_secret_basic (RFC 6749 §2.3.1)
                pair = base64.b64decode(basic[6:]).decode()
                client, _, secret = (urllib.parse.unquote_plus(p) for p in pair.partition(":"))
            if client not in peer.clients or peer.clients[client] != secret:
                raise _Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            grant = form.get("grant_type")
            if grant == "authorization_code":
                code = peer.codes.pop(form.get("code", ""), None)
                if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                    raise _Reply(
                        400, {"error": "invalid_grant", "error_description": "Bad Request"}
                    )
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                if code.get("challenge") and challenge.decode().rstrip("=") != code["challenge"]:
                    raise _Reply(
                        400,
                        {"error": "invalid_grant", "error_description": "Invalid code verifier."},
                    )
                refresh = f"1//r{next(peer.seq)}-{hashlib.sha1(verifier.encode()).hexdigest()[:10]}"
                peer.refresh_tokens[refresh] = peer.email
                return self._access(code["scope"], refresh)
            if grant == "refresh_token":
                if form.get("refresh_token") not in peer.refresh_tokens:
                    raise _Reply(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Token has been expired or revoked.",
                        },
                    )
                return self._access(form.get("scope") or "", None)
            raise _Reply(400, {"error": "unsupported_grant_type"})

        def _consent(self, query: dict[str, str]) -> _Reply:
            """Google's consent screen, reduced to its choice: Allow sends the browser
            back to the redirect URI with a code and the state, Cancel with
            ``error=access_denied``."""
            if query.get("client_id") not in peer.clients or "redirect_uri" not in query:
                return _Reply(400, {"error": "invalid_request"})
            url = peer.url + "o/oauth2/auth?" + urllib.parse.urlencode(query)
            allow = authorize(peer, url)
            back = query["redirect_uri"]
            allowed = (
                back
                + "?"
                + urllib.parse.urlencode(
                    {"state": allow["state"], "code": allow["code"], "scope": allow["scope"]}
                )
            )
            denied = (
                back
                + "?"
                + urllib.parse.urlencode(
                    {"state": query.get("state", ""), "error": "access_denied"}
                )
            )
            page = (
                "<!doctype html><html><head><title>Sign in - Google Accounts</title></head>"
                f"<body><h1>Osprey wants to access your Google Account</h1><p>{peer.email}</p>"
                f'<a id="allow" href="{html.escape(allowed)}">Allow</a> '
                f'<a id="cancel" href="{html.escape(denied)}">Cancel</a></body></html>'
            )
            return _Reply(200, page, {"Content-Type": "text/html; charset=UTF-8"})

        def _access(self, scope: str, refresh: str | None) -> dict[str, Any]:
            token = f"ya29.a{next(peer.seq)}"
            peer.access_tokens[token] = peer.email
            out = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            if scope:
                out["scope"] = scope
            if refresh:
                out["refresh_token"] = refresh
            return out

        # --- People v1 ------------------------------------------------------------------

        def _people(self, path: str, query: dict[str, str], body: Any) -> Any:
            if path == "contactGroups":
                return {"contactGroups": list(peer.groups.values()), "totalItems": len(peer.groups)}
            if path == "people/me/connections":
                return self._connections(query)
            if path == "people:createContact":
                person = {"resourceName": f"people/c{next(peer.seq)}", **(body or {})}
                person.setdefault(
                    "memberships",
                    [
                        {
                            "contactGroupMembership": {
                                "contactGroupId": "myContacts",
                                "contactGroupResourceName": "contactGroups/myContacts",
                            }
                        }
                    ],
                )
                peer._save_person(person)
                return peer.person(person["resourceName"])
            name, _, verb = path.partition(":")
            person = peer.people.get(name)
            if person is None or person["metadata"].get("deleted"):
                raise _google_error(404, "Requested entity was not found.", "NOT_FOUND")
            if verb == "updateContact":
                if (body or {}).get("etag") != person["etag"]:
                    raise _google_error(
                        400,
                        "Request person.etag is different than the current person.etag. "
                        "Clear local cache and get the latest person.",
                        "FAILED_PRECONDITION",
                    )
                for field in query.get("updatePersonFields", "").split(","):
                    key = {
                        "names": "names",
                        "emailAddresses": "emailAddresses",
                        "phoneNumbers": "phoneNumbers",
                        "organizations": "organizations",
                    }.get(field)
                    if key:
                        person[key] = body.get(key, [])
                peer._save_person(person)
                return peer.person(name)
            if verb == "deleteContact":
                peer.delete_person(name)
                return {}
            return peer.person(name)

        def _connections(self, query: dict[str, str]) -> Any:
            token = query.get("syncToken")
            everyone = sorted(peer.people.values(), key=lambda p: p["_seq"])
            if token:
                since = int(token.removeprefix("people-sync-"))
                if since < peer.people_floor:
                    state = "FAILED_PRECONDITION" if peer.people_expiry_status == 400 else "GONE"
                    raise _google_error(
                        peer.people_expiry_status,
                        "Sync token is expired. "
                        "Clear local cache and retry call without the sync token.",
                        state,
                        "EXPIRED_SYNC_TOKEN",
                    )
                changed = [p for p in everyone if p["_seq"] > since]
            else:
                changed = [p for p in everyone if not p["metadata"].get("deleted")]
            items, next_page = _page(
                changed, query.get("pageToken"), int(query.get("pageSize") or PAGE)
            )
            out: dict[str, Any] = {
                "connections": [peer.person(p["resourceName"]) for p in items],
                "totalPeople": len(changed),
                "totalItems": len(changed),
            }
            if next_page:
                out["nextPageToken"] = next_page
            elif query.get("requestSyncToken") == "true" or token:
                out["nextSyncToken"] = f"people-sync-{next(peer.seq)}"
            return out

        # --- Calendar v3 ----------------------------------------------------------------

        def _calendar(self, path: str, query: dict[str, str], body: Any) -> Any:
            if path == "users/me/calendarList":
                items = [
                    {"kind": "calendar#calendarListEntry", "accessRole": "owner", **c}
                    for c in peer.calendars.values()
                ]
                return {"kind": "calendar#calendarList", "items": items}
            parts = path.split("/")
            if len(parts) < 3 or parts[0] != "calendars" or parts[2] != "events":
                raise _google_error(404, "Not Found", "NOT_FOUND")
            calendar = parts[1]
            if calendar not in peer.events:
                raise _google_error(404, "Not Found", "NOT_FOUND")
            events = peer.events[calendar]
            if len(parts) == 3 and self.command == "GET":
                return self._events_list(calendar, query)
            if len(parts) == 3 and self.command == "POST":
                event = {
                    **(body or {}),
                    "id": (body or {}).get("id") or f"osp{next(peer.seq)}",
                    "status": "confirmed",
                }
                event.setdefault("organizer", {"email": peer.email, "self": True})
                peer._save_event(calendar, event)
                return peer.event(calendar, event["id"])
            event = events.get(parts[3])
            if event is None or (event.get("status") == "cancelled" and self.command != "GET"):
                raise _google_error(
                    410 if event else 404,
                    "Resource has been deleted" if event else "Not Found",
                    "GONE" if event else "NOT_FOUND",
                    "deleted" if event else "notFound",
                )
            if self.command == "PATCH":
                event.update(body or {})
                peer._save_event(calendar, event)
                return peer.event(calendar, event["id"])
            if self.command == "DELETE":
                event["status"] = "cancelled"
                peer._save_event(calendar, event)
                return None
            return peer.event(calendar, event["id"])

        def _events_list(self, calendar: str, query: dict[str, str]) -> Any:
            token = query.get("syncToken")
            everyone = sorted(peer.events[calendar].values(), key=lambda e: e["_seq"])
            if token:
                since = int(token.removeprefix("cal-sync-"))
                if since < peer.calendar_floor:
                    raise _google_error(
                        410,
                        "Sync token is no longer valid, a full sync is required.",
                        "GONE",
                        "fullSyncRequired",
                    )
                changed = [e for e in everyone if e["_seq"] > since]
            else:
                show_deleted = query.get("showDeleted") == "true"
                changed = [e for e in everyone if show_deleted or e.get("status") != "cancelled"]
            items, next_page = _page(
                changed, query.get("pageToken"), int(query.get("maxResults") or PAGE)
            )
            out: dict[str, Any] = {
                "kind": "calendar#events",
                "summary": peer.calendars[calendar]["summary"],
                "timeZone": peer.calendars[calendar]["timeZone"],
                "items": [peer.event(calendar, e["id"]) for e in items],
            }
            if next_page:
                out["nextPageToken"] = next_page
            else:
                out["nextSyncToken"] = f"cal-sync-{next(peer.seq)}"
            return out

        # --- Gmail v1 -------------------------------------------------------------------

        def _gmail(self, path: str, query: dict[str, str]) -> Any:
            if path == "profile":
                return {
                    "emailAddress": peer.email,
                    "messagesTotal": len(peer.messages),
                    "threadsTotal": len(peer.messages),
                    "historyId": str(next(peer.seq)),
                }
            if path == "history":
                start = int(query["startHistoryId"])
                if start < peer.history_floor:
                    raise _google_error(
                        404, "Requested entity was not found.", "NOT_FOUND", "notFound"
                    )
                records = [h for h in peer.history if int(h["id"]) > start]
                items, next_page = _page(records, query.get("pageToken"), PAGE)
                out: dict[str, Any] = {"historyId": str(next(peer.seq))}
                if items:
                    out["history"] = items
                if next_page:
                    out["nextPageToken"] = next_page
                return out
            if path == "messages":
                ids = sorted(peer.messages, reverse=True)
                items, next_page = _page(
                    ids, query.get("pageToken"), int(query.get("maxResults") or PAGE)
                )
                out = {
                    "messages": [
                        {"id": i, "threadId": peer.messages[i]["threadId"]} for i in items
                    ],
                    "resultSizeEstimate": len(ids),
                }
                if next_page:
                    out["nextPageToken"] = next_page
                return out
            if path.startswith("messages/"):
                message = peer.messages.get(path.split("/", 1)[1])
                if message is None:
                    raise _google_error(
                        404, "Requested entity was not found.", "NOT_FOUND", "notFound"
                    )
                out = {k: v for k, v in message.items() if k != "raw"}
                out["sizeEstimate"] = len(message["raw"])
                if query.get("format") == "raw":
                    out["raw"] = base64.urlsafe_b64encode(message["raw"]).decode()
                return out
            raise _google_error(404, "Not Found", "NOT_FOUND")

    return Handler


def authorize(peer: GooglePeer, authorization_url: str) -> dict[str, str]:
    """What Google's consent screen does when the user allows access: the code and the
    state, as they come back to the redirect URI."""
    parts = urllib.parse.urlsplit(authorization_url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    code = f"4/0A{next(peer.seq)}"
    peer.codes[code] = {
        "redirect_uri": query["redirect_uri"],
        "scope": query["scope"],
        "challenge": query.get("code_challenge"),
        "client_id": query["client_id"],
    }
    return {"code": code, "state": query["state"], "scope": query["scope"]}
