"""Benchmark: event-to-browser latency of live updates with 200 open event streams.

Starts every service and the gateway as their own processes against a fresh database
(``OSPREY_BENCH_FEED_DATABASE_URL``, default ``.../osprey_bench_feed``), makes through
the API eight sales reps — six in team A (members of a private channel) and two in
team B (outsiders) — and a public channel, then opens 200 server-sent event streams
(``GET /api/v1/events/stream``, 25 per rep) with a light asyncio HTTP/1.1 client and publishes,
at a steady pace, domain changes the feed turns into stream items:

- a post in the private channel (``POST /api/v1/posts``): the members' streams must
  receive it, the outsiders' never;
- a post in the public channel: every stream receives it;
- a ``lead_assigned`` event published straight on the broker (exchange
  ``leads.events``) for a team A lead: the feed makes a system post on the lead, which
  team A's streams receive and team B's do not.

Latency is measured per stream from the moment the change is published (just before
the HTTP request is sent, or the event is published) to the moment that stream has read
the SSE message; p50/p99 over every delivery. Deliveries that never come and
deliveries to a stream that must not see the item are counted. The load average is
recorded before and after. Run: ``.venv/bin/python bench/feed_stream.py``; writes
``bench/results/feed_stream.json``. ``OSPREY_BENCH_FEED_MESSAGES`` (default 600) and
``OSPREY_BENCH_FEED_RATE`` (changes per second, default 10) tune it.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import time
import urllib.parse
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import httpx  # noqa: E402

from bench.seed import fresh_database  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_FEED_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench_feed"
)
STREAMS = 200
MEMBERS = 6
OUTSIDERS = 2
MESSAGES = int(os.environ.get("OSPREY_BENCH_FEED_MESSAGES", "600"))
RATE = float(os.environ.get("OSPREY_BENCH_FEED_RATE", "10"))
SETTLE_SECONDS = 5.0
TARGET_P99_MS = 500.0
KEEP_LOGS = bool(os.environ.get("OSPREY_BENCH_KEEP_LOGS"))


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


class Rep:
    def __init__(self, user: dict[str, Any], token: str, team: str):
        self.id = user["id"]
        self.email = user["email"]
        self.token = token
        self.team = team


async def make_people(admin: httpx.AsyncClient, base: str) -> tuple[list[Rep], list[Rep]]:
    roles = (await admin.get("/api/v1/roles")).json()["items"]
    rep_role = next(r["id"] for r in roles if r["name"] == "sales_rep")

    async def team(name: str) -> str:
        response = await admin.post("/api/v1/teams", json={"name": name})
        response.raise_for_status()
        return response.json()["id"]

    async def rep(team_id: str, n: int) -> Rep:
        email, password = f"bench{n}-{secrets.token_hex(3)}@osprey.test", secrets.token_hex(8)
        response = await admin.post(
            "/api/v1/users",
            json={
                "email": email,
                "full_name": f"Bench Rep {n}",
                "password": password,
                "role_ids": [rep_role],
                "team_id": team_id,
            },
        )
        response.raise_for_status()
        login = await admin.post(
            f"{base}/api/v1/auth/login", json={"email": email, "password": password}
        )
        login.raise_for_status()
        return Rep(response.json(), login.json()["token"], team_id)

    team_a, team_b = await team("Bench team A"), await team("Bench team B")
    members = [await rep(team_a, n) for n in range(MEMBERS)]
    outsiders = [await rep(team_b, MEMBERS + n) for n in range(OUTSIDERS)]
    return members, outsiders


class Streams:
    """200 open event streams and what each has received (marker → receive time)."""

    def __init__(self) -> None:
        self.received: dict[int, dict[str, float]] = defaultdict(dict)
        self.owner: dict[int, Rep] = {}
        self.started: set[int] = set()
        self.errors: list[str] = []
        self.ready = asyncio.Event()

    async def run(self, base: str, n: int, rep: Rep) -> None:
        """One stream over a raw HTTP/1.1 connection (a light client, so the figures are
        the server's, not the parsing's); an event counts as received when its bytes
        have been read from the socket."""
        self.owner[n] = rep
        url = urllib.parse.urlsplit(base)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        writer = None
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
            writer.write(
                (
                    f"GET /api/v1/events/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {rep.token}\r\nAccept: text/event-stream\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            status = (await reader.readline()).decode()
            if " 200 " not in status:
                self.errors.append(f"stream {n}: {status.strip()}")
                return
            headers = b""
            while (line := await reader.readline()) not in (b"\r\n", b""):
                headers += line.lower()
            chunked = b"transfer-encoding: chunked" in headers
            buffer = b""
            while True:
                if chunked:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    if size == 0:
                        return
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(1 << 16)
                    if not data:
                        return
                received = time.perf_counter()
                buffer += data
                while b"\n\n" in buffer:
                    raw, buffer = buffer.split(b"\n\n", 1)
                    self.on_message(n, raw, received)
        except asyncio.CancelledError:
            pass
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            self.errors.append(f"stream {n}: {exc!r}")
        finally:
            if writer is not None:
                writer.close()

    def on_message(self, n: int, raw: bytes, received: float) -> None:
        fields: dict[str, str] = {}
        for line in raw.decode().split("\n"):
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if "retry" in fields and "data" not in fields and n not in self.started:
            self.started.add(n)
            if len(self.started) == STREAMS:
                self.ready.set()
        if "data" in fields:
            self.on_event(n, json.loads(fields["data"]), received)

    def on_event(self, n: int, envelope: dict[str, Any], now: float) -> None:
        if envelope.get("type") != "post_created":
            return
        post = envelope["data"]
        marker = marker_of(post)
        if marker is not None:
            self.received[n].setdefault(marker, now)


def marker_of(post: dict[str, Any]) -> str | None:
    text = post.get("text") or ""
    if "[bench:" in text:
        return text.split("[bench:", 1)[1].split("]", 1)[0]
    related = post.get("related") or {}
    if post.get("kind") == "system" and related.get("id"):
        return f"lead:{related['id']}"
    return None


async def main() -> None:
    load_before = loadavg()
    fresh_database(DB)
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores (shared), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average_before": load_before,
        "streams": STREAMS,
        "users": {"members": MEMBERS, "outsiders": OUTSIDERS},
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}, keep_logs=KEEP_LOGS) as stack:
        print(f"logs: {stack.log_dir}", file=sys.stderr)
        base = stack.base_url
        async with httpx.AsyncClient(base_url=base, timeout=30) as anonymous:
            login = await anonymous.post("/api/v1/auth/login", json=stack.admin_credentials)
            login.raise_for_status()
            admin_token = login.json()["token"]
        admin_headers = {"Authorization": f"Bearer {admin_token}"}
        async with httpx.AsyncClient(base_url=base, headers=admin_headers, timeout=30) as admin:
            members, outsiders = await make_people(admin, base)
            everyone = members + outsiders
            author = members[0]
            author_client = httpx.AsyncClient(
                base_url=base, timeout=30, headers={"Authorization": f"Bearer {author.token}"}
            )
            private = await author_client.post(
                "/api/v1/channels",
                json={
                    "name": "Bench private",
                    "is_private": True,
                    "member_ids": [m.id for m in members],
                },
            )
            private.raise_for_status()
            public = await author_client.post("/api/v1/channels", json={"name": "Bench public"})
            public.raise_for_status()
            private_id, public_id = private.json()["id"], public.json()["id"]
            # Leads owned by team A reps (their lead_created reaches the feed's record read model).
            leads = []
            for n in range((MESSAGES + 2) // 3):
                owner = members[n % MEMBERS]
                made = await admin.post(
                    "/api/v1/leads",
                    json={
                        "contact_name": f"Bench Contact {n}",
                        "email": f"bench.lead{n}@example.com",
                        "owner_id": owner.id,
                        "team_id": owner.team,
                    },
                )
                made.raise_for_status()
                leads.append(made.json())
            # The feed has consumed the leads' events (and posted about any assignment)
            # before the streams open, so only the benchmark's own changes reach them.
            await asyncio.sleep(3)

            streams = Streams()
            tasks = [
                asyncio.create_task(streams.run(base, n, everyone[n % len(everyone)]))
                for n in range(STREAMS)
            ]
            await asyncio.wait_for(streams.ready.wait(), 60)

            connection = await aio_pika.connect_robust(stack.amqp_uri)
            channel = await connection.channel()
            leads_events = await channel.declare_exchange(
                "leads.events", aio_pika.ExchangeType.TOPIC, durable=True
            )

            published: dict[str, tuple[float, str]] = {}  # marker → (time, kind)
            member_ids = {m.id for m in members}

            async def publish(i: int) -> None:
                kind = ("private", "public", "system")[i % 3]
                if kind == "system":
                    # a lead of its own per message, so each makes its own system post
                    lead = {**leads[i // 3], "changed_fields": ["owner_id"]}
                    marker = f"lead:{lead['id']}"
                    envelope = {
                        "id": str(uuid.uuid4()),
                        "type": "lead_assigned",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "actor": None,
                        "source": "leads",
                        "data": {
                            **lead,
                            "previous_owner_id": None,
                            "rule_id": None,
                            "strategy": None,
                            "assigned_by": None,
                        },
                    }
                    published[marker] = (time.perf_counter(), kind)
                    await leads_events.publish(
                        aio_pika.Message(
                            json.dumps(envelope).encode(), content_type="application/json"
                        ),
                        routing_key="lead_assigned",
                    )
                    return
                marker = f"{kind}-{i}"
                published[marker] = (time.perf_counter(), kind)
                response = await author_client.post(
                    "/api/v1/posts",
                    json={
                        "channel_id": private_id if kind == "private" else public_id,
                        "text": f"Bench update [bench:{marker}]",
                    },
                )
                response.raise_for_status()

            started = time.perf_counter()
            pending: list[asyncio.Task[None]] = []
            for i in range(MESSAGES):
                due = started + i / RATE
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                pending.append(asyncio.create_task(publish(i)))
            await asyncio.gather(*pending)
            await asyncio.sleep(SETTLE_SECONDS)
            duration = time.perf_counter() - started
            results["load_average_after"] = loadavg()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await connection.close()
            await author_client.aclose()

        latencies: list[float] = []
        by_kind: dict[str, list[float]] = defaultdict(list)
        missing = 0
        leaked = 0
        for n, rep in streams.owner.items():
            got = streams.received[n]
            member = rep.id in member_ids
            for marker, (sent_at, kind) in published.items():
                should = kind == "public" or member
                if marker in got:
                    if not should:
                        leaked += 1
                    else:
                        ms = (got[marker] - sent_at) * 1000
                        latencies.append(ms)
                        by_kind[kind].append(ms)
                elif should:
                    missing += 1
        results["messages"] = MESSAGES
        results["rate_per_s"] = RATE
        results["run_seconds"] = round(duration, 1)
        results["deliveries_measured"] = len(latencies)
        results["deliveries_missing"] = missing
        results["deliveries_to_streams_that_must_not_see"] = leaked
        results["stream_errors"] = streams.errors[:10]
        results["latency_ms"] = {
            "p50": round(statistics.median(latencies), 1) if latencies else None,
            "p99": round(percentile(latencies, 99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        }
        results["latency_ms_by_kind"] = {
            kind: {
                "deliveries": len(values),
                "p50": round(statistics.median(values), 1),
                "p99": round(percentile(values, 99), 1),
            }
            for kind, values in by_kind.items()
        }
        results["target_p99_ms"] = TARGET_P99_MS

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "feed_stream.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        asyncio.run(main())
    else:
        uvloop.run(main())
