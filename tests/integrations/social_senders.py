"""Local stand-ins for the social platforms, speaking as each documents it.

- :class:`GraphPeer`: Facebook's Graph API lead read (``GET /{leadgen-id}?access_token=``
  answers ``{created_time, id, ad_id, form_id, field_data: [{name, values}]}``), on
  127.0.0.1, counting the reads it served.
- :func:`facebook_delivery`: a Page webhook of one ``leadgen`` change and its
  ``X-Hub-Signature-256`` (``sha256=`` + HMAC-SHA256 of the exact body, app secret).
- :func:`telegram_update`: a Bot API ``Update`` with a ``Message`` (text or contact).
- :func:`vk_event`: a Callback API ``lead_forms_new`` event with the group's ``secret``.
- :class:`WebhookReceiver`: a partner's endpoint for outbound webhooks that answers
  with the statuses it is told, and keeps what it got.

The signatures are made here from the platforms' documents, not by the code under
test, so a change there that stops matching the platforms fails the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.peer = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _GraphHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        peer: GraphPeer = self.server.peer  # type: ignore[attr-defined]
        url = urlparse(self.path)
        token = parse_qs(url.query).get("access_token", [""])[0]
        leadgen_id = url.path.rsplit("/", 1)[-1]
        peer.reads.append(leadgen_id)
        if token != peer.access_token:
            error = {"message": "Invalid OAuth access token.", "type": "OAuthException"}
            status, body = 400, {"error": {**error, "code": 190}}
        elif leadgen_id not in peer.leads:
            error = {"message": "Unsupported get request.", "type": "GraphMethodException"}
            status, body = 404, {"error": {**error, "code": 100}}
        else:
            status, body = 200, peer.leads[leadgen_id]
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class GraphPeer(_Server):
    """``/v19.0/{leadgen_id}`` as the Graph API answers it."""

    def __init__(self, access_token: str):
        super().__init__(_GraphHandler)
        self.access_token = access_token
        self.leads: dict[str, dict[str, Any]] = {}
        self.reads: list[str] = []
        self.graph_url = f"{self.url}/v19.0"

    def add_lead(self, leadgen_id: str, fields: dict[str, str]) -> None:
        self.leads[leadgen_id] = {
            "created_time": "2026-12-07T10:00:00+0000",
            "id": leadgen_id,
            "ad_id": "23842000000000001",
            "form_id": "1000000000000001",
            "field_data": [{"name": name, "values": [value]} for name, value in fields.items()],
        }


def facebook_delivery(
    app_secret: str, page_id: str, leadgen_id: str, *, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Facebook POSTs for one new lead (Webhooks for Pages,
    ``leadgen`` field), signed with the app secret."""
    at = int(at if at is not None else time.time())
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page_id,
                    "time": at,
                    "changes": [
                        {
                            "field": "leadgen",
                            "value": {
                                "ad_id": "23842000000000001",
                                "form_id": "1000000000000001",
                                "leadgen_id": leadgen_id,
                                "created_time": at,
                                "page_id": page_id,
                                "adgroup_id": "23842000000000002",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def telegram_update(
    update_id: int,
    chat_id: int,
    *,
    text: str | None = None,
    phone: str | None = None,
    at: float | None = None,
) -> bytes:
    """An ``Update`` as the Bot API sends it to a webhook."""
    sender = {"id": chat_id, "is_bot": False, "first_name": "Ivan", "username": "ivan_p",
              "language_code": "ru"}  # fmt: skip
    message: dict[str, Any] = {
        "message_id": update_id * 10,
        "from": sender,
        "chat": {"id": chat_id, "first_name": "Ivan", "username": "ivan_p", "type": "private"},
        "date": int(at if at is not None else time.time()),
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
    if phone is not None:
        message["contact"] = {"phone_number": phone, "first_name": "Ivan", "user_id": chat_id}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def vk_event(
    group_id: int, secret: str | None, lead_id: int, answers: dict[str, str], **extra: Any
) -> bytes:
    """A Callback API ``lead_forms_new`` event."""
    event: dict[str, Any] = {
        "type": "lead_forms_new",
        "object": {
            "lead_id": lead_id,
            "group_id": group_id,
            "user_id": 123456,
            "form_id": 1,
            "form_name": "Заявка на демо",
            "answers": [{"key": k, "question": k, "answer": v} for k, v in answers.items()],
        },
        "group_id": group_id,
        "event_id": f"{lead_id:040x}",
        "v": "5.199",
        **extra,
    }
    if secret is not None:
        event["secret"] = secret
    return json.dumps(event, ensure_ascii=False).encode()


class _ReceiverHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        peer: WebhookReceiver = self.server.peer  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with peer.lock:
            peer.received.append((dict(self.headers.items()), body))
            status = peer.statuses.pop(0) if peer.statuses else 200
        answer = f"status {status}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class WebhookReceiver(_Server):
    """A partner's endpoint: answers the queued statuses in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None):
        super().__init__(_ReceiverHandler)
        self.lock = threading.Lock()
        self.statuses = list(statuses or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
