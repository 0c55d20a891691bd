"""A small files store for attachments (until a documents service exists).

Bytes travel over RPC as base64 (RPC payloads are JSON), so a file is limited to
``OSPREY_FILE_MAX_BYTES`` (default 10 MiB); the gateway refuses a bigger upload with
413 before reading it all. A file is read by its uploader, or by anyone who may see a
post carrying it. A file is kept as what its bytes are, and programs are refused
(:mod:`services.feed.file_types`).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound, ValidationFailed
from services.platform.events import isoformat
from services.platform.rpc import rpc

from . import domain, file_types, posts_store
from .base import FeedBase

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_file_bytes() -> int:
    """``OSPREY_FILE_MAX_BYTES`` (default 10 MiB)."""
    try:
        return int(os.environ.get("OSPREY_FILE_MAX_BYTES") or DEFAULT_MAX_BYTES)
    except ValueError:
        return DEFAULT_MAX_BYTES


def dump_file(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "created_at": isoformat(row.created_at),
        "created_by": row.created_by,
    }


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])


class FilesRpc(FeedBase):
    """Upload and download attachments."""

    @rpc(expected_exceptions=EXPECTED)
    def upload_file(
        self, name: str, content_type: str, content: str, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a file (``content`` base64); its metadata with size and sha256."""
        caller = Actor.from_dict(actor)
        if not isinstance(name, str) or not name.strip():
            raise _bad("name", "required")
        name = os.path.basename(name.replace("\\", "/")).strip()[:255] or "file"
        content_type = (content_type or "application/octet-stream").strip()[:255]
        try:
            data = base64.b64decode(content or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise _bad("file", "not base64") from None
        limit = max_file_bytes()
        if len(data) > limit:
            raise _bad("file", f"larger than {limit} bytes")
        try:
            # kept as what its bytes are, whatever the browser declared
            content_type = file_types.kept_type(name, content_type, data)
        except file_types.NotAcceptable as refused:
            raise _bad("file", str(refused)) from None
        row = posts_store.insert_file(self.db, name, content_type, data, caller.id)
        self.db.commit()
        return dump_file(row)

    @rpc(expected_exceptions=EXPECTED)
    def get_file(self, file_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        """A file's metadata and ``content`` (base64), if the caller may read it."""
        caller = Actor.from_dict(actor)
        missing = NotFound("No such file", [{"field": "file_id", "message": "no such file"}])
        if not domain.is_uuid(file_id):
            raise missing
        row = posts_store.file_row(self.db, file_id)
        if row is None:
            raise missing
        may_read = row.created_by == caller.id or caller.is_admin
        if not may_read and not posts_store.attached_to_visible_post(self.db, row.id, caller):
            raise missing
        self.db.commit()
        return {**dump_file(row), "content": base64.b64encode(row.content).decode("ascii")}
