"""Checks of bench/load.py against a tiny HTTP/1.1 server, run as a plain process by
test_load.py (the pytest process is eventlet-patched; bench.load refuses that)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load import percentile, run_calls, run_load, split  # noqa: E402

SEEN: list[dict] = []
CONNECTIONS = 0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global CONNECTIONS
    CONNECTIONS += 1
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            lines = head[:-4].decode().split("\r\n")
            method, path, _ = lines[0].split(" ")
            headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            SEEN.append({"method": method, "path": path, "headers": headers, "body": body})
            if method == "HEAD":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
            elif path.startswith("/chunked"):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
                )
            elif path.startswith("/close"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                await writer.drain()
                writer.close()
                return
            elif path.startswith("/fail"):
                writer.write(b"HTTP/1.1 503 Unavailable\r\nContent-Length: 7\r\n\r\nnot yet")
            else:
                out = json.dumps({"echo": body.decode()}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(out)}\r\n\r\n".encode()
                    + out
                )
            await writer.drain()
    finally:
        writer.close()


def serve() -> int:
    ready = threading.Event()
    port: list[int] = []

    def run() -> None:
        async def main() -> None:
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port.append(server.sockets[0].getsockname()[1])
            ready.set()
            await server.serve_forever()

        asyncio.run(main())

    threading.Thread(target=run, daemon=True).start()
    ready.wait(5)
    return port[0]


def main() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert percentile([float(x) for x in range(1, 101)], 0.99) == 99.0
    assert percentile([float(x) for x in range(1, 101)], 0.50) == 50.0
    assert percentile([3.0], 0.95) == 3.0

    base = f"http://127.0.0.1:{serve()}"
    global CONNECTIONS

    stats = run_load(base, "tok", 4, 40, lambda n, i: ("POST", f"/x?n={n}&i={i}", {"i": i}), 8)
    assert set(stats) == {"clients", "requests", "req_per_s", "p50_ms", "p95_ms", "p99_ms"}
    assert stats["clients"] == 4 and stats["requests"] == 40, stats
    assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"], stats
    assert len(SEEN) == 48 and CONNECTIONS == 4, (len(SEEN), CONNECTIONS)  # keep-alive
    first = SEEN[0]
    assert first["headers"]["authorization"] == "Bearer tok"
    assert first["headers"]["content-type"] == "application/json"
    measured = sorted(json.loads(s["body"])["i"] for s in SEEN if json.loads(s["body"])["i"] >= 0)
    assert measured == sorted(list(range(10)) * 4), measured

    SEEN.clear()
    run_load(base, None, 2, 10, lambda n, i: ("GET", "/chunked", None))
    assert "authorization" not in SEEN[0]["headers"]

    CONNECTIONS = 0
    run_load(base, None, 2, 10, lambda n, i: ("HEAD", "/", None))  # no body to wait for
    assert CONNECTIONS == 2, CONNECTIONS

    CONNECTIONS = 0
    run_load(base, None, 2, 10, lambda n, i: ("GET", "/close", None))
    assert CONNECTIONS == 10, CONNECTIONS  # one connection per request

    try:
        run_load(base, None, 2, 10, lambda n, i: ("GET", "/fail" if i == 3 else "/", None))
    except SystemExit as exc:
        assert "503" in str(exc) and "not yet" in str(exc), exc
    else:
        raise AssertionError("a 503 must end the run")

    state: dict = {}

    async def setup() -> None:
        state["up"] = True

    async def call(n: int, i: int) -> None:
        assert state["up"]
        await asyncio.sleep(0.001)

    async def teardown() -> None:
        state["down"] = True

    stats = run_calls(8, 64, call, setup=setup, teardown=teardown, warmup=8)
    assert stats["requests"] == 64 and stats["p50_ms"] >= 1.0 and state["down"], stats
    print("ok")


if __name__ == "__main__":
    main()
