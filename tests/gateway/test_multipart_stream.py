"""The streaming multipart reader of the import upload: the same parts and bytes
whatever pieces the body arrives in, and a clear error for a malformed body."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from gateway.multipart_stream import Parts, boundary_of
from services.platform.errors import ValidationFailed

BOUNDARY = "----osprey7MA4YWxkTrZu0gW"


def body(fields: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def pieces_of(data: bytes, sizes: list[int]):
    start = 0
    for size in sizes:
        if start >= len(data):
            break
        yield data[start : start + size]
        start += size
    if start < len(data):
        yield data[start:]


async def read_all(data: bytes, sizes: list[int]) -> list[tuple[str, str | None, bytes]]:
    parts = Parts(pieces_of(data, sizes), BOUNDARY)
    found = []
    while (part := await parts.next_part()) is not None:
        chunks = [piece async for piece in parts.pieces()]
        found.append((part[0], part[1], b"".join(chunks)))
    return found


@pytest.mark.parametrize("size", [1, 2, 7, 61, 4096, 10**7])
def test_parts_are_the_same_whatever_pieces_they_come_in(size: int) -> None:
    # the file holds CRLFs, dashes and the boundary's start, as binary files may
    payload = os.urandom(5000) + b"\r\n--" + BOUNDARY[:10].encode() + b"\r\n" + os.urandom(300)
    fields = [("entity", None, b"leads"), ("file", "Лиды.xlsx", payload), ("x", None, b"")]
    data = body(fields)
    assert asyncio.run(read_all(data, [size] * (len(data) // size + 1))) == fields


def test_random_pieces() -> None:
    rng = random.Random(7)
    payload = bytes(rng.randrange(256) for _ in range(20000))
    fields = [("entity", None, b"contacts"), ("file", "a.csv", payload)]
    data = body(fields)
    for _ in range(20):
        sizes = [rng.randrange(1, 300) for _ in range(len(data))]
        assert asyncio.run(read_all(data, sizes)) == fields


@pytest.mark.parametrize(
    "data",
    [
        b"",  # no delimiter at all
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end'.encode(),
        f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
        f"--{BOUNDARY}\r\n".encode() + b"X-Header: y" * 3000,  # headers never end
    ],
)
def test_a_malformed_body_is_a_validation_problem(data: bytes) -> None:
    with pytest.raises(ValidationFailed):
        asyncio.run(read_all(data, [5]))


def test_the_boundary_comes_from_a_multipart_form_content_type() -> None:
    assert boundary_of(f"multipart/form-data; boundary={BOUNDARY}") == BOUNDARY
    assert boundary_of('multipart/form-data; boundary="a b"') == "a b"
    assert boundary_of("application/json") is None
