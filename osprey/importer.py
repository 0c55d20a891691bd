"""``osprey import FILE --entity leads``: a spreadsheet or CSV through the HTTP API, as
the web app's Import wizard sends it, with a progress bar.

It talks to a running Osprey (``--url``, default ``OSPREY_API_URL`` or
``http://127.0.0.1:8000``) as the owner of a personal API token (``--token`` or
``OSPREY_API_TOKEN``; it needs the ``data:write`` scope and the rights on the records).
The file is streamed, never read whole; the columns are matched to fields by their
names unless ``--map COLUMN=FIELD`` says otherwise.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO


class ApiError(Exception):
    """The API refused: its problem's detail and each field's reason."""

    def __init__(self, status: int, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        reasons = [f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or []]
        super().__init__(detail + ("" if not reasons else " (" + "; ".join(reasons) + ")"))


class _Body:
    """The multipart body as a file-like object: the head, the file, the tail."""

    def __init__(self, head: bytes, handle: BinaryIO, tail: bytes):
        self.parts = [head, handle, tail]

    def read(self, size: int = 65536) -> bytes:
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                self.parts.pop(0)
                if part:
                    return part
                continue
            data = part.read(size)
            if data:
                return data
            self.parts.pop(0)
        return b""


@dataclass
class Client:
    url: str
    token: str

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        data = body
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if body is not None and not hasattr(body, "read") and not isinstance(body, bytes):
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                problem = json.loads(payload)
            except ValueError:
                problem = {"detail": payload.decode("utf-8", "replace")[:300]}
            raise ApiError(error.code, problem) from None

    def json(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self.request(method, path, body)[1])

    def upload(self, path: Path, entity: str) -> dict[str, Any]:
        boundary = uuid.uuid4().hex
        quoted = path.name.replace('"', "'")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="entity"\r\n\r\n{entity}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head) + path.stat().st_size + len(tail)
        with path.open("rb") as handle:
            _, data = self.request(
                "POST",
                "/api/v1/imports",
                _Body(head, handle, tail),
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(size),
                },
            )
        return json.loads(data)


def client_from(url: str | None, token: str | None) -> Client:
    url = (url or os.environ.get("OSPREY_API_URL") or "http://127.0.0.1:8000").rstrip("/")
    token = token or os.environ.get("OSPREY_API_TOKEN") or ""
    if not token:
        raise ApiError(401, {"detail": "Give a personal API token: --token or OSPREY_API_TOKEN"})
    return Client(url, token)


def apply_mapping(columns: list[str], mapping: list[Any], pairs: list[str]) -> list[Any]:
    """``COLUMN=FIELD`` pairs (``COLUMN=`` leaves a column out) over the suggestion."""
    result = list(mapping)
    for pair in pairs:
        column, _, field = pair.partition("=")
        if column not in columns:
            known = ", ".join(columns)
            raise ApiError(422, {"detail": f"No column {column!r} in the file",
                                 "errors": [{"field": "map", "message": known}]})  # fmt: skip
        result[columns.index(column)] = field or None
    return result


def wait(client: Client, job_id: str, on_progress: Any, statuses: tuple[str, ...]) -> dict:
    while True:
        job = client.json("GET", f"/api/v1/imports/{urllib.parse.quote(job_id)}")
        on_progress(job)
        if job["status"] in statuses:
            return job
        time.sleep(0.5)
