"""A cheap load generator, so that what a benchmark measures is the server, not the client.

One asyncio event loop (uvloop when it can be imported) drives ``clients`` raw HTTP/1.1
keep-alive connections; each sends its share of the requests one after the other and
reads each response whole (status line, headers, a ``Content-Length`` or a
``Transfer-Encoding: chunked`` body) before the next. A connection the server closes
(``Connection: close``) is opened again for the next request. Parsing is the minimum
HTTP needs, so one client process costs little next to the gateway it measures::

    from bench.load import run_load

    stats = run_load(base_url, token, clients=8, requests=800,
                     make_request=lambda n, i: ("GET", "/api/v1/me", None), warmup=80)
    # {"clients": 8, "requests": 800, "req_per_s": ..., "p50_ms": ..., "p95_ms": ..., "p99_ms": ...}

:func:`run_calls` measures any coroutine the same way (e.g. a bare RPC call), and
:func:`loadavg` is the machine's load average, to record next to the figures.

Latency is from the request's write to the last byte of its body; percentiles are by
nearest rank; throughput is the measured requests over the wall time from the first
measured request's start to the last one's end. Warm-up requests (``warmup`` in all,
numbered ``i = -1, -2, ...`` so they never collide with the measured ``0 .. n-1``) go
first on the same connections and are not counted. Any response of 400 or more ends
the run with :class:`SystemExit` naming the status and the start of the body.

This module must run in a plain process: not in one that eventlet monkey-patched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

RequestMaker = Callable[[int, int], tuple[str, str, Any]]

#: A request that takes longer than this ends the run (the server is stuck).
REQUEST_TIMEOUT = 60.0


class LoadError(Exception):
    """A request failed; turned into SystemExit once the event loop has stopped."""


# -- statistics -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (already sorted or not), 0 < q <= 1."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(clients: int, latencies: list[float], wall: float) -> dict:
    """The figures every benchmark records: latencies in seconds, wall in seconds."""
    ordered = sorted(latencies)
    n = len(ordered)

    def ms(q: float) -> float:
        return round(percentile(ordered, q) * 1000, 2)

    return {
        "clients": clients,
        "requests": n,
        "req_per_s": round(n / wall, 1) if wall > 0 else 0.0,
        "p50_ms": ms(0.50),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
    }


def loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages, to 2 decimals."""
    return [round(x, 2) for x in os.getloadavg()]


def split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible (the first ones get one more)."""
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


# -- the event loop ---------------------------------------------------------------------


def _refuse_eventlet() -> None:
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and patcher.is_monkey_patched("socket"):
        raise RuntimeError("bench.load needs a plain process, not an eventlet-patched one")


def _run(coro: Awaitable[Any]) -> Any:
    _refuse_eventlet()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        factory = None
    else:
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


# -- HTTP/1.1 ---------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection, opened on the first request and again after
    the server closed it."""

    def __init__(self, host: str, port: int, host_header: str, token: str | None):
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        fixed = f"Host: {host_header}\r\nAccept: */*\r\n"
        if token:
            fixed += f"Authorization: Bearer {token}\r\n"
        self.fixed_headers = fixed

    async def open(self) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 20
            )

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def encode(self, method: str, path: str, body: Any) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed_headers}"
        if body is None:
            if method in ("POST", "PUT", "PATCH"):
                head += "Content-Length: 0\r\n"
            return (head + "\r\n").encode("latin-1")
        data = json.dumps(body, separators=(",", ":")).encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        return head.encode("latin-1") + data

    async def request(self, raw: bytes, head_only: bool = False) -> tuple[int, bytes]:
        """Send one encoded request and read its response whole: (status, body).
        ``head_only``: the answer to a HEAD request, headers without a body."""
        for attempt in (0, 1):
            await self.open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(raw)
                await self.writer.drain()
                return await self._read_response(self.reader, head_only)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # The server closed an idle keep-alive connection: once more on a new one.
                await self.close()
                if attempt:
                    raise LoadError(f"connection failed: {exc!r}") from exc
        raise AssertionError("unreachable")

    async def _read_response(
        self, reader: asyncio.StreamReader, head_only: bool = False
    ) -> tuple[int, bytes]:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head[:-4].split(b"\r\n")
            parts = lines[0].split(b" ", 2)
            version, status = parts[0], int(parts[1])
            length: int | None = None
            chunked = False
            close = version == b"HTTP/1.0"
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    value = value.strip().lower()
                    close = value == b"close" or (close and value != b"keep-alive")
            if 100 <= status < 200:
                continue  # an interim response (100 Continue): the real one follows
            if head_only or status in (204, 304):
                body = b""
            elif chunked:
                body = await self._read_chunked(reader)
            elif length is not None:
                body = await reader.readexactly(length) if length else b""
            else:  # no framing: the body runs to the end of the connection
                body = await reader.read(-1)
                close = True
            if close:
                await self.close()
            return status, body

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        pieces: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # trailers, if any, then the empty line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(pieces)
            pieces.append((await reader.readexactly(size + 2))[:-2])


async def _load(
    base_url: str,
    token: str | None,
    clients: int,
    requests: int,
    make_request: RequestMaker,
    warmup: int,
) -> tuple[list[float], float]:
    url = urllib.parse.urlsplit(base_url)
    if url.scheme != "http":
        raise ValueError(f"only http:// is supported, not {base_url!r}")
    host = url.hostname or "127.0.0.1"
    port = url.port or 80
    prefix = url.path.rstrip("/")
    connections = [Connection(host, port, url.netloc, token) for _ in range(clients)]
    latencies: list[float] = []
    bounds: list[tuple[float, float]] = []
    go = asyncio.Event()
    warmed = 0
    all_warm = asyncio.Event()

    async def one(conn: Connection, n: int, i: int, measured: bool) -> None:
        method, path, body = make_request(n, i)
        raw = conn.encode(method, prefix + path, body)
        start = time.perf_counter()
        try:
            status, payload = await asyncio.wait_for(
                conn.request(raw, method == "HEAD"), REQUEST_TIMEOUT
            )
        except TimeoutError as exc:
            raise LoadError(f"{method} {path} had no answer in {REQUEST_TIMEOUT:g}s") from exc
        end = time.perf_counter()
        if status >= 400:
            text = payload[:200].decode("utf-8", "replace")
            raise LoadError(f"{method} {path} answered {status}: {text}")
        if measured:
            latencies.append(end - start)

    async def client(n: int, share_warm: int, share: int) -> None:
        nonlocal warmed
        conn = connections[n]
        try:
            await conn.open()
            for j in range(share_warm):
                await one(conn, n, -1 - j, False)
            warmed += 1
            if warmed == clients:
                all_warm.set()
            await go.wait()
            start = time.perf_counter()
            for i in range(share):
                await one(conn, n, i, True)
            bounds.append((start, time.perf_counter()))
        finally:
            await conn.close()

    tasks = [
        asyncio.create_task(client(n, w, s))
        for n, (w, s) in enumerate(
            zip(split(warmup, clients), split(requests, clients), strict=True)
        )
    ]

    async def release() -> None:
        await all_warm.wait()
        go.set()

    releaser = asyncio.create_task(release())
    try:
        await _gather_or_fail(tasks)
    finally:
        releaser.cancel()
    wall = max(e for _, e in bounds) - min(s for s, _ in bounds)
    return latencies, wall


async def _gather_or_fail(tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for every task; on the first failure cancel the rest and raise it."""
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def run_load(
    base_url: str,
    token: str | None,
    clients: int,
    requests: int,
    make_request: RequestMaker,
    warmup: int = 0,
) -> dict:
    """``requests`` HTTP requests over ``clients`` keep-alive connections at once.

    ``make_request(client_no, i)`` returns ``(method, path_with_query, json_body_or_None)``;
    the path is relative to ``base_url``. Returns ``{"clients", "requests", "req_per_s",
    "p50_ms", "p95_ms", "p99_ms"}``.
    """
    latencies, wall = sample_load(base_url, token, clients, requests, make_request, warmup)
    return summarize(clients, latencies, wall)


def sample_load(
    base_url: str,
    token: str | None,
    clients: int,
    requests: int,
    make_request: RequestMaker,
    warmup: int = 0,
) -> tuple[list[float], float]:
    """:func:`run_load`'s raw samples: each request's latency and the wall time, both in
    seconds, to pool several runs before :func:`summarize` (e.g. a figure measured in
    rounds between runs of the floor)."""
    if clients < 1 or requests < clients:
        raise ValueError("need at least one client and one request per client")
    try:
        return _run(_load(base_url, token, clients, requests, make_request, warmup))
    except LoadError as exc:
        raise SystemExit(f"load against {base_url} failed: {exc}") from None


async def _calls(
    clients: int,
    requests: int,
    call: Callable[[int, int], Awaitable[Any]],
    setup: Callable[[], Awaitable[Any]] | None,
    teardown: Callable[[], Awaitable[Any]] | None,
    warmup: int,
) -> dict:
    if setup is not None:
        await setup()
    try:
        latencies: list[float] = []
        bounds: list[tuple[float, float]] = []
        warm = split(warmup, clients)

        async def warm_up(n: int) -> None:
            for j in range(warm[n]):
                await call(n, -1 - j)

        await _gather_or_fail([asyncio.create_task(warm_up(n)) for n in range(clients)])

        async def caller(n: int, share: int) -> None:
            first = time.perf_counter()
            for i in range(share):
                start = time.perf_counter()
                await call(n, i)
                latencies.append(time.perf_counter() - start)
            bounds.append((first, time.perf_counter()))

        await _gather_or_fail(
            [
                asyncio.create_task(caller(n, share))
                for n, share in enumerate(split(requests, clients))
            ]
        )
    finally:
        if teardown is not None:
            await teardown()
    wall = max(e for _, e in bounds) - min(s for s, _ in bounds)
    return summarize(clients, latencies, wall)


def run_calls(
    clients: int,
    requests: int,
    call: Callable[[int, int], Awaitable[Any]],
    setup: Callable[[], Awaitable[Any]] | None = None,
    teardown: Callable[[], Awaitable[Any]] | None = None,
    warmup: int = 0,
) -> dict:
    """Like :func:`run_load` for any coroutine: ``clients`` concurrent callers of
    ``call(client_no, i)``, ``requests`` calls in all, in one fresh event loop.

    ``setup()`` is awaited first in that loop (open a client there), ``teardown()`` last,
    even after a failure. A call that raises ends the run with :class:`SystemExit`.
    """
    if clients < 1 or requests < clients:
        raise ValueError("need at least one client and one request per client")
    try:
        return _run(_calls(clients, requests, call, setup, teardown, warmup))
    except Exception as exc:  # noqa: BLE001 - any failed call ends the measurement
        raise SystemExit(f"calls failed: {type(exc).__name__}: {exc}") from exc
