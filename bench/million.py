"""Benchmark: lists with their totals and the search box at a million records.

COPYs ``OSPREY_BENCH_MILLION_ACCOUNTS`` accounts (default 300,000),
``OSPREY_BENCH_MILLION_CONTACTS`` contacts (1,000,000) and ``OSPREY_BENCH_MILLION_LEADS``
leads (1,000,000) into a database of its own (``OSPREY_BENCH_MILLION_DATABASE_URL``,
default ``.../osprey_bench_million``, dropped and migrated afresh), each table in one
statement with its secondary indexes and foreign keys made after the COPY, then
``VACUUM (ANALYZE)``; starts every service and the gateway as their own processes
(``tests.support.stack.Stack``) and measures through the API, as the admin, with 8
clients (``bench.load.run_load``):

1. a list page of 80 with its total (``GET /api/v1/<list>?limit=80``, the first page,
   which carries ``total``/``total_is_estimate``) for leads, contacts and accounts, and
   a filtered one (one owner's leads in one stage, about 5,000: a total counted
   exactly);
2. the search box (``?q=…&limit=80``) by an exact email, an email's start, a phone
   number in one of its common spellings (``+44 20 7946 0018``, ``020-7946-0018``,
   ``(020) 7946 0018``, ``442079460018``, ``0044 …``, ``8 (916) …``), a name's start
   and a company's start, for each of the three lists.

Then the same calls as bare RPC (``list_<plural>`` through the gateway's own
:class:`~gateway.rpc.RpcClient`, 8 at once, no HTTP), and the statements the services
run for them without HTTP or RPC (:func:`services.platform.listing.read_page`: a
search's estimate, the page, the total) over a sample of 200 of each, straight from
Python on 1 connection and on 8 at once, with ``EXPLAIN (ANALYZE, BUFFERS)`` of one —
so the database's share of a request can be told from the hops'.

The records look like a CRM's: names drawn from the long-tailed mix of
``bench/names.py``, companies named after people, work emails at the company's domain
(contacts: a fifth have a second, personal one), phones of five countries stored as
the services store them (``+`` and digits; contacts: a third have a second phone),
40 owners in 8 teams. ``OSPREY_BENCH_MILLION_REUSE=1`` keeps a database an earlier
run loaded (the same sizes); ``OSPREY_BENCH_MILLION_PARTS`` picks what to measure
(comma-separated of ``lists``, ``search``, ``global``, ``rpc``, ``sql``; all by default;
``global`` alone is the shell's global search) and ``OSPREY_BENCH_MILLION_RESULTS`` the
results file's name under ``bench/results``. Run: ``.venv/bin/python bench/million.py``; writes
``bench/results/million.json``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.load import loadavg, percentile, run_calls, run_load  # noqa: E402
from bench.names import NameMix  # noqa: E402
from bench.seed import RowStream, bulk_copy, fresh_database, wait_for_name_index  # noqa: E402
from services.leads.store import LIST_SPEC as LEAD_LIST_SPEC  # noqa: E402
from services.platform.access import Actor  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from services.platform.listing import (  # noqa: E402
    COUNT_EXACT_UP_TO,
    SEARCH_FROM_INDEXES_UP_TO,
    ListSpec,
    matching_statement,
    page_statement,
    parse_query,
    planner_rows,
    read_page,
    readable_by,
)
from services.sales.accounts_store import ACCOUNT_LIST_SPEC  # noqa: E402
from services.sales.contacts_store import CONTACT_LIST_SPEC  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_MILLION_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/osprey_bench_million",
)
ACCOUNTS = int(os.environ.get("OSPREY_BENCH_MILLION_ACCOUNTS", "300000"))
CONTACTS = int(os.environ.get("OSPREY_BENCH_MILLION_CONTACTS", "1000000"))
LEADS = int(os.environ.get("OSPREY_BENCH_MILLION_LEADS", "1000000"))
REUSE = os.environ.get("OSPREY_BENCH_MILLION_REUSE", "") in ("1", "true", "yes")
CLIENTS = 8
REQUESTS = int(os.environ.get("OSPREY_BENCH_MILLION_REQUESTS", "800"))
# Which parts to measure (comma-separated): lists (the list pages with their totals),
# search (the search box), global (the shell's global search), rpc, sql. All by default.
ALL_PARTS = "lists,search,global,rpc,sql"
PARTS = frozenset(
    part.strip()
    for part in os.environ.get("OSPREY_BENCH_MILLION_PARTS", ALL_PARTS).split(",")
    if part.strip()
)
SQL_SAMPLE = 200
PAGE = 80
SEED = 20261207

COMPANY_KINDS = (
    "Group",
    "Ltd",
    "GmbH",
    "Trading",
    "Holdings",
    "Systems",
    "Partners",
    "Logistics",
    "Labs",
    "Consulting",
)
TLDS = ("com", "co.uk", "de", "fr", "io", "ru", "net")
INDUSTRIES = ("software", "retail", "logistics", "manufacturing", "finance", "energy", "health")
STAGES = ("qualification", "distribution", "handoff", "nurturing", "disqualified")
SOURCES = ("web", "phone", "email", "partner", "event")


# -- phone numbers as people write them ------------------------------------------------


def _groups(digits: str, sizes: tuple[int, ...]) -> list[str]:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    if at < len(digits):
        parts.append(digits[at:])
    return [p for p in parts if p]


def phone_number(rng: random.Random) -> tuple[str, list[str]]:
    """A number as the services store it (``+`` and digits) and the ways people type it."""
    country = rng.choices(("gb", "de", "fr", "us", "ru"), (4, 2, 1, 2, 1))[0]
    if country == "gb":
        if rng.random() < 0.5:  # London
            national = "20" + f"{rng.randrange(10**8):08d}"
            area, rest = [national[:2]], [national[2:6], national[6:]]
        else:  # mobile
            national = "7" + f"{rng.randrange(10**9):09d}"
            area, rest = [national[:4]], [national[4:]]
        spellings = [
            f"+44 {' '.join(area + rest)}",
            f"0{'-'.join(area + rest)}",
            f"(0{area[0]}) {' '.join(rest)}",
            f"44{national}",
            f"0044 {' '.join(area + rest)}",
            f"+44 (0) {' '.join(area + rest)}",
        ]
        return f"+44{national}", spellings
    if country == "de":
        national = "30" + f"{rng.randrange(10**8):08d}"
        return f"+49{national}", [
            f"+49 30 {national[2:]}",
            f"030 {national[2:6]} {national[6:]}",
            f"(030) {national[2:]}",
            f"49{national}",
        ]
    if country == "fr":
        national = str(rng.randrange(1, 10)) + f"{rng.randrange(10**8):08d}"
        pairs = _groups(national[1:], (2, 2, 2, 2))
        return f"+33{national}", [
            f"+33 {national[0]} {' '.join(pairs)}",
            f"0{national[0]} {' '.join(pairs)}",
            f"0{national[0]}.{'.'.join(pairs)}",
        ]
    if country == "us":
        national = str(rng.randrange(2, 10)) + f"{rng.randrange(10**9):09d}"
        return f"+1{national}", [
            f"+1 {national[:3]} {national[3:6]} {national[6:]}",
            f"({national[:3]}) {national[3:6]}-{national[6:]}",
            f"{national[:3]}-{national[3:6]}-{national[6:]}",
            f"1{national}",
        ]
    national = "9" + f"{rng.randrange(10**9):09d}"
    return f"+7{national}", [
        f"+7 {national[:3]} {national[3:6]}-{national[6:8]}-{national[8:]}",
        f"8 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}",
        f"8{national}",
        f"7{national}",
    ]


# -- the records ------------------------------------------------------------------------


@dataclass
class Probes:
    """What the search box is asked, drawn from the records loaded."""

    emails: list[str] = field(default_factory=list)
    phones: list[list[str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)

    def keep(self, rng: random.Random, every: int, **values: Any) -> None:
        if rng.randrange(every) == 0:
            for name, value in values.items():
                if value:
                    getattr(self, name).append(value)


def slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def owners(rng: random.Random) -> list[tuple[str, str]]:
    """40 owners in 8 teams: (owner_id, team_id)."""
    teams = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(8)]
    return [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), teams[n % 8]) for n in range(40)]


def timestamps(count: int) -> Iterator[str]:
    """One per record, a second apart, oldest first (as they would have been created)."""
    start = datetime.now(UTC) - timedelta(seconds=count)
    for i in range(count):
        yield (start + timedelta(seconds=i)).isoformat()


class Records:
    """The generated accounts, contacts and leads, and the probes drawn from them."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.mix = NameMix(self.rng)
        self.owners = owners(self.rng)
        self.account_ids: list[str] = []
        self.account_names: list[str] = []
        self.account_domains: list[str] = []
        self.probes = {name: Probes() for name in ("leads", "contacts", "accounts")}

    def company(self, i: int) -> str:
        rng = self.rng
        (first,), (last,) = self.mix.draw(rng, 1)
        kind = COMPANY_KINDS[rng.randrange(len(COMPANY_KINDS))]
        roll = rng.random()
        if roll < 0.5:
            return f"{last} {kind}"
        if roll < 0.75:
            (other,) = self.mix.draw(rng, 1)[1]
            return f"{last} & {other} {kind}"
        return f"{first} {last} {kind}"

    def accounts(self, count: int) -> Iterator[list[str | None]]:
        rng, probes = self.rng, self.probes["accounts"]
        for i, created in enumerate(timestamps(count)):
            account_id = str(uuid.uuid4())
            name = self.company(i)
            domain = f"{slug(name)[:20]}{i}.{TLDS[i % len(TLDS)]}"
            email = f"info@{domain}" if rng.random() < 0.8 else None
            phone, spellings = phone_number(rng) if rng.random() < 0.9 else (None, [])
            owner_id, team_id = self.owners[rng.randrange(len(self.owners))]
            self.account_ids.append(account_id)
            self.account_names.append(name)
            self.account_domains.append(domain)
            probes.keep(rng, 100, emails=email, phones=spellings, companies=name, names=name)
            yield [
                account_id,
                name,
                "customer" if rng.random() < 0.7 else "partner",
                INDUSTRIES[rng.randrange(len(INDUSTRIES))],
                f"https://www.{domain}/",
                phone,
                email,
                owner_id,
                team_id,
                created,
                created,
                owner_id,
            ]

    def contacts(self, count: int) -> Iterator[list[str | None]]:
        rng, probes = self.rng, self.probes["contacts"]
        firsts, lasts = self.mix.draw(rng, count)
        for i, created in enumerate(timestamps(count)):
            first, last = firsts[i], lasts[i]
            linked = rng.random() < 0.8
            at = rng.randrange(len(self.account_ids))
            domain = self.account_domains[at] if linked else f"mail{i % 50}.example"
            emails = [{"email": f"{first}.{last}@{domain}".lower(), "kind": "work"}]
            if rng.random() < 0.2:
                emails.append(
                    {"email": f"{slug(first + last)}{i}@mail.example", "kind": "personal"}
                )
            phone, spellings = phone_number(rng)
            phones = [{"phone": phone, "kind": "work", "is_primary": True}]
            if rng.random() < 0.33:
                phones.append({"phone": phone_number(rng)[0], "kind": "mobile"})
            for item in emails:
                item["is_primary"] = item is emails[0]
            for item in phones:
                item.setdefault("is_primary", False)
            owner_id, team_id = self.owners[rng.randrange(len(self.owners))]
            probes.keep(
                rng,
                300,
                emails=emails[-1]["email"],
                phones=spellings,
                names=f"{first} {last}",
                companies=self.account_names[at] if linked else None,
            )
            yield [
                str(uuid.uuid4()),
                f"{first} {last}",
                json.dumps(emails),
                json.dumps(phones),
                self.account_ids[at] if linked else None,
                "Buyer" if i % 7 == 0 else None,
                owner_id,
                team_id,
                created,
                created,
                owner_id,
            ]

    def leads(self, count: int) -> Iterator[list[str | None]]:
        rng, probes = self.rng, self.probes["leads"]
        firsts, lasts = self.mix.draw(rng, count)
        for i, created in enumerate(timestamps(count)):
            first, last = firsts[i], lasts[i]
            at = rng.randrange(len(self.account_names))
            company, domain = self.account_names[at], self.account_domains[at]
            email = f"{first}.{last}@{domain}".lower() if rng.random() < 0.9 else None
            phone, spellings = phone_number(rng) if rng.random() < 0.8 else (None, [])
            owner_id, team_id = self.owners[rng.randrange(len(self.owners))]
            probes.keep(
                rng, 300, emails=email, phones=spellings, names=f"{first} {last}", companies=company
            )
            yield [
                str(uuid.uuid4()),
                f"{first} {last}",
                company,
                email,
                phone,
                SOURCES[i % len(SOURCES)],
                STAGES[i % len(STAGES)],
                owner_id,
                team_id,
                created,
                created,
                owner_id,
            ]


def load(url: str) -> dict:
    """Generate and COPY everything; returns the timings and the probes."""
    records = Records()
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    timings["accounts"] = bulk_copy(
        url,
        "sales",
        ["accounts", "contacts", "contact_name_keys", "contact_search_terms"],
        [
            (
                "COPY sales.accounts (id, name, type, industry, web, phone, email, owner_id,"
                " team_id, created_at, updated_at, created_by) FROM STDIN",
                RowStream(records.accounts(ACCOUNTS)),
            ),
            (
                "COPY sales.contacts (id, full_name, emails, phones, account_id, job_title,"
                " owner_id, team_id, created_at, updated_at, created_by) FROM STDIN",
                RowStream(records.contacts(CONTACTS)),
            ),
        ],
    )
    timings["leads"] = bulk_copy(
        url,
        "leads",
        ["leads", "lead_name_keys"],
        [
            (
                "COPY leads.leads (id, contact_name, account_name, email, phone, source, stage,"
                " owner_id, team_id, created_at, updated_at, created_by) FROM STDIN",
                RowStream(records.leads(LEADS)),
            )
        ],
    )
    timings["total_s"] = round(time.perf_counter() - started, 1)
    probes = {name: p.__dict__ for name, p in records.probes.items()}
    return {"timings": timings, "probes": probes, "owners": records.owners}


def store_probes(url: str, loaded: dict) -> None:
    """Keep the probes with the records (outside the services' schemas), for a rerun."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS public.bench_million_probes"))
            conn.execute(sa.text("CREATE TABLE public.bench_million_probes (data jsonb)"))
            conn.execute(
                sa.text("INSERT INTO public.bench_million_probes VALUES (CAST(:d AS jsonb))"),
                {"d": json.dumps(loaded)},
            )
    finally:
        engine.dispose()


def stored_probes(url: str) -> dict | None:
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT data FROM public.bench_million_probes")).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def loaded_counts(url: str) -> dict[str, int]:
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("sales.accounts", "sales.contacts", "leads.leads")
            }
    except sa.exc.SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


# -- the searches -----------------------------------------------------------------------


def email_start(email: str, rng: random.Random) -> str:
    """An email as it is being typed: up to the @ and a few letters of the domain."""
    local, domain = email.split("@", 1)
    return f"{local}@{domain[: rng.randrange(0, 4)]}"


def name_start(name: str, rng: random.Random) -> str:
    """A name as it is being typed: the first word's first 3+ letters, or the first
    word and the start of the second."""
    words = name.split()
    if len(words) > 1 and rng.random() < 0.5:
        return f"{words[0]} {words[1][: rng.randrange(1, len(words[1]) + 1)]}"
    return words[0][: rng.randrange(3, max(4, len(words[0]) + 1))]


def searches(probes: dict[str, list], rng: random.Random) -> dict[str, list[str]]:
    """For one list, SQL_SAMPLE-sized lists of search box texts of each kind."""

    def draw(values: list, make: Callable[[Any], str]) -> list[str]:
        return [make(rng.choice(values)) for _ in range(max(REQUESTS, SQL_SAMPLE))]

    return {
        "email_exact": draw(probes["emails"], lambda e: e),
        "email_prefix": draw(probes["emails"], lambda e: email_start(e, rng)),
        "phone": draw(probes["phones"], lambda spellings: rng.choice(spellings)),
        "name_prefix": draw(probes["names"], lambda n: name_start(n, rng)),
        "company_prefix": draw(probes["companies"], lambda c: name_start(c, rng)),
    }


LISTS: dict[str, ListSpec] = {
    "leads": LEAD_LIST_SPEC,
    "contacts": CONTACT_LIST_SPEC,
    "accounts": ACCOUNT_LIST_SPEC,
}


def list_statement(name: str, actor: Actor) -> sa.Select:
    """What ``list_<name>`` selects for ``actor`` before filters and pages."""
    from services.leads.models import Lead
    from services.sales.models import Account, Contact

    model = {"leads": Lead, "contacts": Contact, "accounts": Account}[name]
    return sa.select(model).where(readable_by(actor, model.owner_id, model.team_id))


# -- through the API, and the same calls as bare RPC --------------------------------------


def cases(
    queries: dict[str, dict[str, list[str]]], owner_id: str
) -> dict[str, tuple[str, list[dict]]]:
    """Every measured case: label → (list, the queries — as the RPC takes them — it
    cycles through)."""
    measured: dict[str, tuple[str, list[dict]]] = {}
    for name in LISTS:
        measured[f"{name}_list_80_with_total"] = (name, [{"limit": PAGE}])
    # about 5,000 of one owner's leads in one stage: a total counted exactly
    one_owner = {"filter": {"owner_id": [owner_id], "stage": ["nurturing"]}, "limit": PAGE}
    measured["leads_list_80_one_owner_one_stage"] = ("leads", [one_owner])
    for name, kinds in queries.items():
        for kind, texts in kinds.items():
            measured[f"{name}_search_{kind}"] = (name, [{"q": t, "limit": PAGE} for t in texts])
    return measured


def http_params(query: dict) -> dict[str, Any]:
    """A list query as the gateway's query string has it (``filter[f]=a,b``)."""
    params = {k: v for k, v in query.items() if k != "filter"}
    for field_name, values in query.get("filter", {}).items():
        params[f"filter[{field_name}]"] = ",".join(values)
    return params


def api_figures(base_url: str, token: str, measured: dict) -> dict:
    """Each case through HTTP: gateway, token check, RPC, service, PostgreSQL."""
    figures: dict[str, Any] = {}
    for label, (name, queries) in measured.items():
        paths = [f"/api/v1/{name}?" + urlencode(http_params(query)) for query in queries]

        def make_request(client_no: int, i: int, paths: list[str] = paths) -> tuple:
            return "GET", paths[(i * CLIENTS + client_no) % len(paths)], None

        figures[label] = run_load(
            base_url, token, CLIENTS, REQUESTS, make_request, warmup=CLIENTS * 10
        )
        print("api", label, figures[label], flush=True)
    return figures


def global_search_figures(base_url: str, token: str, queries: dict) -> dict:
    """The shell's global search (``GET /api/v1/search``, issue 21): one text asks every
    section at once — leads, contacts and accounts at a million rows here — by each
    kind of text the search boxes take, drawn from the leads' and contacts' probes."""
    figures: dict[str, Any] = {}
    for kind in ("email_exact", "phone", "name_prefix", "company_prefix"):
        texts = queries["leads"][kind][: REQUESTS // 2] + queries["contacts"][kind][: REQUESTS // 2]
        paths = ["/api/v1/search?" + urlencode({"q": text}) for text in texts if len(text) >= 2]

        def make_request(client_no: int, i: int, paths: list[str] = paths) -> tuple:
            return "GET", paths[(i * CLIENTS + client_no) % len(paths)], None

        label = f"global_search_{kind}"
        figures[label] = run_load(
            base_url, token, CLIENTS, REQUESTS, make_request, warmup=CLIENTS * 10
        )
        print("api", label, figures[label], flush=True)
    return figures


def rpc_figures(amqp_uri: str, token: str, measured: dict) -> dict:
    """Each case as the bare RPC the gateway makes (``list_<plural>``), no HTTP."""
    from gateway.rpc import RpcClient

    figures: dict[str, Any] = {}
    state: dict[str, Any] = {}

    async def setup() -> None:
        state["rpc"] = RpcClient(amqp_uri, timeout=30)
        await state["rpc"].start()
        state["actor"] = await state["rpc"].call("identity", "authenticate_token", token)

    async def teardown() -> None:
        await state["rpc"].close()

    for label, (name, queries) in measured.items():
        service = "leads" if name == "leads" else "sales"

        async def call(
            client_no: int,
            i: int,
            service: str = service,
            name: str = name,
            queries: list = queries,
        ) -> None:
            query = queries[(i * CLIENTS + client_no) % len(queries)]
            await state["rpc"].call(service, f"list_{name}", query, actor=state["actor"])

        figures[label] = run_calls(
            CLIENTS, REQUESTS, call, setup=setup, teardown=teardown, warmup=CLIENTS * 10
        )
        print("rpc", label, figures[label], flush=True)
    return figures


def check_answers(base_url: str, token: str, measured: dict) -> dict:
    """What the first 20 queries of each case answer: their totals."""
    headers = {"Authorization": f"Bearer {token}"}
    seen: dict[str, Any] = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for label, (name, queries) in measured.items():
            totals = []
            for query in queries[:20]:
                body = client.get(f"/api/v1/{name}", params=http_params(query)).json()
                totals.append([body["total"], body["total_is_estimate"]])
            seen[label] = {
                "examples": [query.get("q") for query in queries[:3]],
                "totals_of_20": totals,
                "found_nothing": sum(1 for total, _ in totals if not total),
            }
    return seen


# -- the SQL alone ----------------------------------------------------------------------


def sql_figures(url: str, measured: dict, rep: Actor) -> dict:
    """The statements of each case's page (:func:`services.platform.listing.read_page`:
    the estimate of a search, the page, the total) run straight from Python over a
    sample of SQL_SAMPLE queries, on one connection and on CLIENTS at once; plus
    ``EXPLAIN (ANALYZE, BUFFERS)`` of the statements of one."""
    engine = create_db_engine(url, pool_size=CLIENTS, max_overflow=0)
    admin = Actor(id=str(uuid.uuid4()), roles=("admin",))
    figures: dict[str, Any] = {}

    def run(name: str, query: dict, actor: Actor) -> float:
        spec = LISTS[name]
        stmt = list_statement(name, actor)
        parsed = parse_query(query, spec)
        with engine.connect() as conn:
            started = time.perf_counter()
            read_page(conn, stmt, spec, parsed, actor)
            elapsed = time.perf_counter() - started
            conn.rollback()
        return elapsed

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(values) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        }

    def measure(label: str, name: str, queries: list[dict], actor: Actor) -> None:
        sample = [queries[i % len(queries)] for i in range(SQL_SAMPLE)]
        for query in sample[:10]:  # warm the caches and the pool
            run(name, query, actor)
        one = [run(name, query, actor) for query in sample]
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            eight = list(pool.map(lambda query: run(name, query, actor), sample))
        figures[label] = {
            "statements_of": len(sample),
            "1_connection": stats(one),
            f"{CLIENTS}_connections": stats(eight),
            "explain_analyze": explain(engine, name, sample[0], actor),
        }
        print("sql", label, {k: v for k, v in figures[label].items() if k != "explain_analyze"})

    try:
        for label, (name, queries) in measured.items():
            measure(label, name, queries, admin)
        for name in LISTS:
            if "lists" in PARTS:
                measure(f"{name}_list_80_with_total_as_rep", name, [{"limit": PAGE}], rep)
            if "search" in PARTS:
                name_prefixes = measured[f"{name}_search_name_prefix"][1]
                measure(f"{name}_search_name_prefix_as_rep", name, name_prefixes, rep)
    finally:
        engine.dispose()
    return figures


def explain(engine: sa.Engine, name: str, query: dict, actor: Actor) -> dict[str, Any]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the statements :func:`read_page` runs for
    ``query`` (the count only when the page does not give the total)."""
    spec = LISTS[name]
    stmt = list_statement(name, actor)
    parsed = parse_query(query, spec)
    plans: dict[str, Any] = {"query": query}
    with engine.connect() as conn:
        statements: list[tuple[str, Any]] = []
        few = False
        if parsed.q:
            matching = matching_statement(stmt, spec, parsed, actor)
            estimate = planner_rows(conn, matching)
            few = estimate <= SEARCH_FROM_INDEXES_UP_TO
            plans["estimate"] = estimate
        plans["read_from_indexes"] = few
        statements.append(("page", page_statement(stmt, spec, parsed, actor, few=few)))
        if not few:
            matching = matching_statement(stmt, spec, parsed, actor)
            capped = matching.limit(COUNT_EXACT_UP_TO + 1).subquery()
            statements.append(("count", sa.select(sa.func.count()).select_from(capped)))
        for label, statement in statements:
            compiled = statement.compile(
                dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
            )
            text = "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled)
            plans[label] = list(conn.exec_driver_sql(text, compiled.params).scalars())
        conn.rollback()
    return plans


# -- the run ----------------------------------------------------------------------------


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores (shared), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "load_average_before": loadavg(),
        "sizes": {"accounts": ACCOUNTS, "contacts": CONTACTS, "leads": LEADS},
    }
    expected = {"sales.accounts": ACCOUNTS, "sales.contacts": CONTACTS, "leads.leads": LEADS}
    loaded = stored_probes(DB) if REUSE and loaded_counts(DB) == expected else None
    if loaded is not None:
        results["load"] = "reused"
    else:
        fresh_database(DB)
        loaded = load(DB)
        store_probes(DB, loaded)
        results["load"] = loaded["timings"]
    print("loaded", results["load"], flush=True)

    rng = random.Random(SEED + 1)
    owner_id, team_id = loaded["owners"][0]
    queries = {name: searches(loaded["probes"][name], rng) for name in LISTS}
    measured = {
        label: case
        for label, case in cases(queries, owner_id).items()
        if ("search" if "_search_" in label else "lists") in PARTS
    }
    rep = Actor(id=owner_id, roles=("sales_rep",), team_id=team_id)

    # An administrator of this run's own (a reused database keeps the earlier ones).
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@osprey.test"
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}, admin_email=admin_email) as stack:
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token = login.json()["token"]
        for service, table in (
            ("leads", "leads.lead_name_keys"),
            ("sales", "sales.contact_name_keys"),
        ):
            results[f"{service}_name_index"] = wait_for_name_index(
                DB, stack.base_url, token, service, table
            )
        if measured:
            results["answers"] = check_answers(stack.base_url, token, measured)
            results["load_average_before_api"] = loadavg()
            results["api_8_clients"] = api_figures(stack.base_url, token, measured)
            results["load_average_after_api"] = loadavg()
        if "global" in PARTS:
            results["global_search_8_clients"] = global_search_figures(
                stack.base_url, token, queries
            )
            results["load_average_after_global_search"] = loadavg()
        if "rpc" in PARTS and measured:
            results["rpc_8_clients"] = rpc_figures(stack.vhost.amqp_uri, token, measured)
            results["load_average_after_rpc"] = loadavg()
    if "sql" in PARTS and measured:
        results["sql_alone"] = sql_figures(DB, measured, rep)
    results["load_average_after"] = loadavg()
    results["parts"] = sorted(PARTS)

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = os.environ.get("OSPREY_BENCH_MILLION_RESULTS", "million.json")
    (out / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "sql_alone"}, indent=2))


if __name__ == "__main__":
    main()
