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

import copy
import hashlib
import itertools
import json
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any

from .google_peer_http import _handler, authorize


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
        #: called with (method, path) as each request arrives (a test's hook)
        self.on_request: Any = None
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
        company: str | None = None,
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
                "organizations": [{k: v for k, v in (("name", company), ("title", title)) if v}]
                if (title or company)
                else [],
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


__all__ = ["GooglePeer", "authorize"]
