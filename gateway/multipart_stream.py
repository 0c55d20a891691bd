"""A multipart/form-data body read as it arrives, one part at a time, its bytes in
pieces: an uploaded spreadsheet of hundreds of megabytes never sits in memory whole.

``parts(stream, boundary)`` yields ``(name, filename, pieces)`` for each part, where
``pieces`` is an async iterator of the part's bytes; a part's pieces must be read (or
skipped) before the next part is asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import Message

from services.platform.errors import ValidationFailed

HEADERS_MAX = 16 * 1024


def boundary_of(content_type: str) -> str | None:
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    return message.get_param("boundary")  # type: ignore[return-value]


def _malformed() -> ValidationFailed:
    return ValidationFailed(
        "The multipart body is malformed", [{"field": "file", "message": "malformed body"}]
    )


class Parts:
    """The parts of one body."""

    def __init__(self, stream: AsyncIterator[bytes], boundary: str):
        self.stream = stream.__aiter__()
        self.delimiter = b"\r\n--" + boundary.encode("latin-1")
        self.buffer = b"\r\n"  # the first delimiter has no CRLF before it
        self.ended = False

    async def _more(self) -> bool:
        try:
            chunk = await self.stream.__anext__()
        except StopAsyncIteration:
            return False
        self.buffer += chunk
        return True

    async def _skip_to_delimiter(self) -> None:
        while True:
            index = self.buffer.find(self.delimiter)
            if index >= 0:
                self.buffer = self.buffer[index + len(self.delimiter) :]
                return
            self.buffer = self.buffer[-len(self.delimiter) :]
            if not await self._more():
                raise _malformed()

    async def next_part(self) -> tuple[str, str | None] | None:
        """``(name, filename)`` of the next part, or None after the last."""
        if self.ended:
            return None
        await self._skip_to_delimiter()
        while len(self.buffer) < 2:
            if not await self._more():
                raise _malformed()
        if self.buffer.startswith(b"--"):
            self.ended = True
            return None
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > HEADERS_MAX or not await self._more():
                raise _malformed()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        message = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                message[key.strip()] = value.strip()
        disposition = message.get("content-disposition", "")
        holder = Message()
        holder["content-disposition"] = disposition
        name = holder.get_param("name", header="content-disposition")
        filename = holder.get_filename()
        if not isinstance(name, str):
            raise _malformed()
        return name, filename

    async def pieces(self) -> AsyncIterator[bytes]:
        """The current part's bytes, in pieces, up to the next delimiter."""
        keep = len(self.delimiter)
        while True:
            index = self.buffer.find(self.delimiter)
            if index >= 0:
                if index:
                    yield self.buffer[:index]
                self.buffer = self.buffer[index:]
                return
            if len(self.buffer) > keep:
                yield self.buffer[:-keep]
                self.buffer = self.buffer[-keep:]
            if not await self._more():
                raise _malformed()

    async def text(self, limit: int = 1000) -> str:
        data = b""
        async for piece in self.pieces():
            data += piece
            if len(data) > limit:
                raise _malformed()
        return data.decode("utf-8", "replace")
