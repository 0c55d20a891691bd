"""The HTTP side of the local Google (tests/integrations/google_peer.py): the request
handler that answers as Google's REST APIs and OAuth endpoints do, in the shapes of
Google's reference documentation, over the peer's state."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

PAGE = 3  # small pages so every test pages


# --- the HTTP side -------------------------------------------------------------------------


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _google_error(
    status: int,
    message: str,
    state: str,
    reason: str | None = None,
    *,
    domain: str = "global",
    info_reason: str | None = None,
) -> _Reply:
    """An error as Google's JSON APIs send it (``error.code/message/status`` and the
    older ``errors[{domain, reason, message}]``, as the Calendar errors guide shows; an
    ``ErrorInfo`` detail with ``info_reason``, else ``reason``, when a reason is given)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if reason:
        error["errors"] = [{"message": message, "domain": domain, "reason": reason}]
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": info_reason or reason,
                "domain": "googleapis.com",
            }
        ]
    return _Reply(status, {"error": error})


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    start = int(token or 0)
    chunk = items[start : start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


def _handler(peer: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # an answer's headers and body are two writes: with Nagle's algorithm the body
        # waited for the client's delayed ACK of the headers (some 40 ms on Linux) on
        # every request of a kept-alive connection, which no real server makes its clients wait
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = urllib.parse.unquote(parsed.path)
            peer.requests.append((self.command, path))
            if peer.on_request is not None:
                peer.on_request(self.command, path)
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
                    401,
                    "Request had invalid authentication credentials.",
                    "UNAUTHENTICATED",
                    "authError",
                    info_reason="ACCESS_TOKEN_TYPE_UNSUPPORTED",
                )
            kind = peer.throttled.pop(0) if peer.throttled else "ok"
            if kind != "ok":
                if kind == "403":
                    reply = _google_error(
                        403,
                        "Rate Limit Exceeded",
                        "PERMISSION_DENIED",
                        "rateLimitExceeded",
                        domain="usageLimits",
                        info_reason="RATE_LIMIT_EXCEEDED",
                    )
                else:
                    reply = _google_error(
                        429,
                        "Resource has been exhausted (e.g. check quota).",
                        "RESOURCE_EXHAUSTED",
                        "rateLimitExceeded",
                        domain="usageLimits",
                        info_reason="RATE_LIMIT_EXCEEDED",
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
            listed = [peer.event(calendar, e["id"]) for e in items]
            out: dict[str, Any] = {
                "kind": "calendar#events",
                "etag": f'"{next(peer.seq)}"',
                "summary": peer.calendars[calendar]["summary"],
                "updated": max((e.get("updated") or "" for e in listed), default="")
                or "2026-01-01T00:00:00.000Z",
                "timeZone": peer.calendars[calendar]["timeZone"],
                "accessRole": "owner",
                "defaultReminders": [{"method": "popup", "minutes": 10}],
                "items": listed,
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


def authorize(peer: Any, authorization_url: str) -> dict[str, str]:
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
