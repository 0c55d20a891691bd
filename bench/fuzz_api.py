"""The whole API under a fuzzer (issue 19): schemathesis against the gateway's own
OpenAPI document, authenticated, until no request gets a 5xx.

Starts every service and the gateway as their own processes
(:class:`tests.support.stack.Stack`, mailboxes' encryption key set) on a database of its
own (``OSPREY_BENCH_FUZZ_DATABASE_URL``, default ``.../osprey_bench_fuzz``, dropped and
migrated afresh), signs the administrator in, makes a personal token with every scope
and puts the administrator in a team, then runs ``st run`` on ``/api/v1/openapi.json``
three times:

1. what refuses a personal token (:data:`SESSION_ONLY`: one's own tokens, preferences,
   password and bulk actions) as the administrator's session;
2. every other operation (but :data:`EXCLUDED`) as the personal token, which the
   password resets the fuzzer sends cannot end (they end every session);
3. what could take the run's own rights away (:data:`LAST`, a role's rights replaced)
   alone, after the others; every role's rights are then put back as they were.

Each pass's valid requests of the operations whose requests must name real things get
them from :mod:`bench.fuzz_data` (schemathesis hooks): records made for the run, the
administrators' lookups, strong passwords, a BPMN document, a CSV file, and the peers
:func:`start_peers` starts — a Dovecot, the tests' local Exchange and Google — so a
"schema validation mismatch" warning says the document and a service disagree, not that
a random id named nothing.

Each with the phases examples, coverage (each parameter's and field's boundaries and
wrong types, from the schema), fuzzing (random valid and invalid requests) and stateful
(chains of calls passing ids from one answer to the next request, by the links
schemathesis infers); at most ``OSPREY_FUZZ_EXAMPLES`` (30) cases per operation and
phase, which comes to more than 10,000 requests; ``OSPREY_FUZZ_WORKERS`` (4) at a time;
the seed ``OSPREY_FUZZ_SEED`` (random unless given, recorded either way); the checks
:data:`CHECKS`.

Every request and answer is read back from schemathesis' HAR report, so the figures
(requests sent, answers by status, 5xx) are counted here, not taken on trust. Each
operation that answered 5xx is listed with a curl command that repeats it, and the
processes' logs are searched for exceptions that are not Osprey's typed errors.
Writes ``bench/results/fuzz_api.json`` and exits 1 when any answer was a 5xx, fewer
than :data:`MIN_REQUESTS` requests were sent or a credential of the run was ended.
Run: ``.venv/bin/python bench/fuzz_api.py`` (about 14 minutes on two shared cores at load 12).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.load import loadavg  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from osprey.mailserver import Dovecot, MailServerMissing  # noqa: E402
from tests.integrations.ews_peer import EwsPeer  # noqa: E402
from tests.integrations.google_peer import GooglePeer  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_FUZZ_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench_fuzz"
)
EXAMPLES = int(os.environ.get("OSPREY_FUZZ_EXAMPLES", "30"))
WORKERS = os.environ.get("OSPREY_FUZZ_WORKERS", "4")
SEED = os.environ.get("OSPREY_FUZZ_SEED")
#: the least number of requests a run must send to count (issue 19, point 6)
MIN_REQUESTS = 10_000
PHASES = "examples,coverage,fuzzing,stateful"
#: what each answer is checked for: not a 5xx; a response of a declared content type;
#: a status the document declares for that operation (issue 20); a deleted resource that
#: stays gone, a created one that can be read.
CHECKS = os.environ.get(
    "OSPREY_FUZZ_CHECKS",
    "not_a_server_error,content_type_conformance,status_code_conformance,"
    "use_after_free,ensure_resource_availability",
)
#: schemathesis' warnings that say the document and the API disagree (issue 20): every
#: request the schema calls valid was refused with 400/422 ("schema validation mismatch")
DOCUMENT_WARNINGS = ("validation_mismatch",)
#: only these operations ("METHOD /path, METHOD /path"), each in the pass it belongs to;
#: all when unset — to look at a few the document and a service disagree on
ONLY = [
    tuple(one.strip().split(" ", 1))
    for one in os.environ.get("OSPREY_FUZZ_ONLY", "").split(",")
    if one.strip()
]
PHASES = os.environ.get("OSPREY_FUZZ_PHASES", PHASES)
#: operations the run leaves out, and why
EXCLUDED = {
    ("POST", "/api/v1/auth/logout"): "revokes the token the run authenticates with",
    ("DELETE", "/api/v1/me/tokens/{token_id}"): "could revoke the run's own token",
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"): "the same, an administrator's way",
    ("GET", "/api/v1/events/stream"): "a server-sent event stream: the answer never ends",
}
#: what refuses a personal token (401/403), fuzzed as the administrator's session
SESSION_ONLY = [
    ("GET", "/api/v1/me/preferences"),
    ("PUT", "/api/v1/me/preferences/{key}"),
    ("GET", "/api/v1/me/token-scopes"),
    ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"),
    ("GET", "/api/v1/me/tokens/{token_id}"),
    ("GET", "/api/v1/users/{user_id}/tokens"),
    ("PATCH", "/api/v1/me"),
    # bulk actions are a signed-in session's only (gateway/scopes.py)
    ("POST", "/api/v1/bulk-actions"),
    ("GET", "/api/v1/bulk-actions/{bulk_action_id}"),
]
#: what could take the run's own rights away (a role's rights replaced, the
#: administrator's included): fuzzed last, alone, and every role's rights put back after
LAST = [("PUT", "/api/v1/roles/{role_id}/rights")]
#: Google sign-in set up, towards a local Google (the tests' peer, started by
#: :func:`start_peers`): connecting answers, and the fuzzer's valid callbacks come back
#: from its consent screen with a code it takes (nothing leaves the machine)
GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET = "bench-fuzz.apps.googleusercontent.com", "bench-fuzz"


def google_env(peer_url: str) -> dict[str, str]:
    return {
        "OSPREY_GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "OSPREY_GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
        "OSPREY_GOOGLE_AUTH_URI": peer_url + "o/oauth2/auth",
        "OSPREY_GOOGLE_TOKEN_URI": peer_url + "token",
        "OSPREY_GOOGLE_API_ROOT": peer_url,
    }


REQUEST_TIMEOUT_S = 30


# -- the stack and the credentials -----------------------------------------------------------


def tokens(base: str, credentials: dict[str, str]) -> tuple[str, str]:
    """The administrator's session token, and a personal token of theirs with every
    scope, valid for a month."""
    login = httpx.post(f"{base}/api/v1/auth/login", json=credentials, timeout=60)
    login.raise_for_status()
    session = {"Authorization": f"Bearer {login.json()['token']}"}
    scopes = httpx.get(f"{base}/api/v1/me/token-scopes", headers=session, timeout=60)
    scopes.raise_for_status()
    made = httpx.post(
        f"{base}/api/v1/me/tokens",
        headers=session,
        json={
            "name": "bench/fuzz_api.py",
            "scopes": scopes.json()["items"],
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        timeout=60,
    )
    made.raise_for_status()
    return login.json()["token"], made.json()["token"]


def role_rights(base: str, token: str) -> dict[str, dict[str, Any]]:
    """Every role's rights, by role id, as ``PUT /roles/{id}/rights`` takes them."""
    headers = {"Authorization": f"Bearer {token}"}
    roles = httpx.get(f"{base}/api/v1/roles", headers=headers, timeout=60)
    roles.raise_for_status()
    out = {}
    for role in roles.json()["items"]:
        rights = httpx.get(f"{base}/api/v1/roles/{role['id']}/rights", headers=headers, timeout=60)
        rights.raise_for_status()
        out[role["id"]] = rights.json()["rights"]
    return out


def restore_rights(base: str, token: str, saved: dict[str, dict[str, Any]]) -> list[str]:
    """Put each role's rights back as they were; the ids of the roles that had changed."""
    changed = []
    now = role_rights(base, token)
    headers = {"Authorization": f"Bearer {token}"}
    for role_id, rights in saved.items():
        if now.get(role_id) != rights:
            changed.append(role_id)
            put = httpx.put(
                f"{base}/api/v1/roles/{role_id}/rights", headers=headers, json=rights, timeout=15
            )
            put.raise_for_status()
    return changed


def join_a_team(base: str, session: str) -> None:
    """The administrator in a team of their own, as users are: what a team shares (its
    default Results page) is then theirs to try."""
    headers = {"Authorization": f"Bearer {session}"}
    team = httpx.post(f"{base}/api/v1/teams", headers=headers, json={"name": "Fuzzing"}, timeout=60)
    team.raise_for_status()
    me = httpx.get(f"{base}/api/v1/me", headers=headers, timeout=60)
    me.raise_for_status()
    joined = httpx.patch(
        f"{base}/api/v1/users/{me.json()['id']}",
        headers=headers,
        json={"team_id": team.json()["id"]},
        timeout=60,
    )
    joined.raise_for_status()


def start_peers(peers: contextlib.ExitStack) -> dict[str, dict[str, Any]]:
    """The servers a mailbox and an Exchange connection are tried against before they
    are kept (:mod:`bench.fuzz_data` points the fuzzer's valid requests at them): a
    Dovecot of the run's own (any user name, its one password) and the tests' local
    Exchange (EWS) peer; and the tests' local Google, whose consent screen gives codes.
    Without Dovecot installed (``make mailservers``) no IMAP peer."""
    found: dict[str, dict[str, Any]] = {}
    try:
        dovecot = peers.enter_context(Dovecot())
        found["imap"] = {
            "host": "127.0.0.1",
            "port": dovecot.imap_port,
            "password": dovecot.password,
        }
    except MailServerMissing as exc:
        print(f"no IMAP peer: {exc}", file=sys.stderr)
    ews = peers.enter_context(EwsPeer(EWS_ADDRESS, EWS_PASSWORD))
    found["ews"] = {"url": ews.url, "email": EWS_ADDRESS, "password": EWS_PASSWORD}
    google = peers.enter_context(GooglePeer())
    google.add_client(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET)
    found["google"] = {"url": google.url}
    return found


#: the local Exchange peer's one mailbox
EWS_ADDRESS, EWS_PASSWORD = "maria@contoso.test", "Secr3t!"


def operation_ids(schema: dict[str, Any]) -> dict[tuple[str, str], str]:
    """``(METHOD, path template)`` → operationId, for every operation of the document."""
    return {
        (method.upper(), path): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


#: ``st`` itself, with one fix: CPython 3.11's AST constructor keeps its recursion depth
#: per interpreter, not per thread, so hypothesis describing two lambdas at once in two
#: workers fails now and then ("AST constructor recursion depth mismatch") and costs that
#: operation its coverage phase. Those descriptions are made one at a time here.
ST = """
import sys, threading
from hypothesis.internal import lambda_sources
describe, lock = lambda_sources._lambda_description, threading.Lock()
def one_at_a_time(f):
    with lock:
        return describe(f)
lambda_sources._lambda_description = one_at_a_time
from schemathesis.cli import schemathesis
sys.argv[0] = "st"
sys.exit(schemathesis())
"""


def st_arguments(
    base: str, token: str, report_dir: Path, seed: str, *, include: list[str], exclude: list[str]
) -> list[str]:
    """The arguments of ``st run``: only the ``include`` operation ids when given."""
    arguments = [
        "run",
        f"{base}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        WORKERS,
        "--seed",
        seed,
        "--request-timeout",
        str(REQUEST_TIMEOUT_S),
        "--generation-database",
        "none",
        "--report",
        "har,json",
        "--report-dir",
        str(report_dir),
        "--no-color",
    ]
    for operation_id in include:
        arguments += ["--include-operation-id", operation_id]
    for operation_id in exclude:
        arguments += ["--exclude-operation-id", operation_id]
    return arguments


def fuzz(
    name: str,
    base: str,
    token: str,
    schema: dict[str, Any],
    seed: str,
    data_env: dict[str, str] | None = None,
    **which: list[str],
) -> dict[str, Any]:
    """One ``st run``, with the test data hooks of :mod:`bench.fuzz_data` (``data_env``
    their settings); what it sent and found, read back from its reports."""
    report_dir = Path(tempfile.mkdtemp(prefix=f"osprey-fuzz-{name}-"))
    arguments = st_arguments(base, token, report_dir, seed, **which)
    shown = " ".join(shlex.quote(a.replace(token, "$OSPREY_TOKEN")) for a in arguments)
    print(f"[{name}] st {shown}", flush=True)
    started = time.perf_counter()
    st = subprocess.run(
        [sys.executable, "-c", ST, *arguments],
        cwd=report_dir,
        capture_output=True,
        text=True,
        env={**os.environ, **(data_env or {})},
    )
    seconds = time.perf_counter() - started
    (report_dir / "st-output.txt").write_text(st.stdout + st.stderr)
    print(st.stdout[-3000:], st.stderr[-2000:], sep="\n", flush=True)
    har = next(report_dir.glob("har-*.json"), None)
    report = next(report_dir.glob("json-*.json"), None)
    if har is None or report is None:
        raise RuntimeError(f"schemathesis wrote no report (exit {st.returncode}): {report_dir}")
    summary = json.loads(report.read_text())
    return {
        **read_har(har, schema),
        "command": "st " + shown.replace(str(report_dir), "<report dir>"),
        "seconds": round(seconds, 1),
        "exit_code": st.returncode,
        "report_dir": str(report_dir),
        "phases": {k: v["status"] for k, v in summary["phases"].items()},
        "operations": summary["operations"],
        "test_cases": summary["test_cases"],
        "check_failures": [
            {"check": f["title"], "count": f["count"], "operations": f["operations"]}
            for f in summary["failures"]
        ],
        "schemathesis_errors": summary["errors"],
        "warnings": {k: v for k, v in summary["warnings"].items() if v},
    }


# -- reading what was sent ---------------------------------------------------------------------


def template_matcher(schema: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """Path regexes, the literal ones first, to name the operation of a concrete URL."""
    paths = sorted(schema["paths"], key=lambda p: (p.count("{"), -len(p)))
    return [
        (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) + "$"), p) for p in paths
    ]


def operation_of(method: str, url: str, matchers: list[tuple[re.Pattern[str], str]]) -> str:
    path = urlsplit(url).path
    for pattern, template in matchers:
        if pattern.match(path):
            return f"{method} {template}"
    return f"{method} {path}"


def curl_of(entry: dict[str, Any]) -> str:
    """A curl command repeating a HAR entry, the token left to ``$OSPREY_TOKEN``."""
    request = entry["request"]
    parts = ["curl", "-X", request["method"]]
    for header in request.get("headers", []):
        if header["name"].lower() == "content-type":
            parts += ["-H", f"Content-Type: {header['value']}"]
    body = (request.get("postData") or {}).get("text")
    if body:
        parts += ["--data-binary", body]
    quoted = " ".join(shlex.quote(p) for p in [*parts, request["url"]])
    # double quotes, so the shell puts the token in
    return quoted.replace("curl ", 'curl -H "Authorization: Bearer $OSPREY_TOKEN" ', 1)


def read_har(path: Path, schema: dict[str, Any]) -> dict[str, Any]:
    entries = json.loads(path.read_text())["log"]["entries"]
    matchers = template_matcher(schema)
    statuses: collections.Counter[int] = collections.Counter()
    failing: dict[str, dict[str, Any]] = {}
    refusals: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for entry in entries:
        status = entry["response"]["status"]
        statuses[status] += 1
        if status in (400, 422):
            name = operation_of(entry["request"]["method"], entry["request"]["url"], matchers)
            refusals[name][f"{status} {refusal_reason(entry)}"] += 1
        if status >= 500:
            name = operation_of(entry["request"]["method"], entry["request"]["url"], matchers)
            found = failing.setdefault(
                name,
                {
                    "operation": name,
                    "count": 0,
                    "statuses": {},
                    "answer": entry["response"]["content"].get("text", "")[:500],
                    "curl": curl_of(entry),
                },
            )
            found["count"] += 1
            found["statuses"][str(status)] = found["statuses"].get(str(status), 0) + 1
    return {
        "requests": len(entries),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "failing_operations": sorted(failing.values(), key=lambda f: f["operation"]),
        "refusals": {
            name: dict(counter.most_common(REFUSAL_REASONS)) for name, counter in refusals.items()
        },
    }


#: how many distinct reasons of 400/422 answers are kept per operation
REFUSAL_REASONS = 8


def refusal_reason(entry: dict[str, Any]) -> str:
    """What a 400/422 problem said: its validation errors' fields and messages, else its
    detail — so an operation the document and the service disagree on shows why."""
    try:
        problem = json.loads(entry["response"]["content"].get("text") or "{}")
    except ValueError:
        return "(not JSON)"
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if isinstance(errors, list) and errors:
        return "; ".join(
            f"{e.get('field', '')}: {e.get('message', '')}"[:120]
            for e in errors[:3]
            if isinstance(e, dict)
        )
    return str(problem.get("detail", ""))[:160] if isinstance(problem, dict) else ""


#: the last line of a traceback: ``package.module.SomeError: message``
_RAISED = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Timeout)): ?(.*)$")


def unexpected_exceptions(log_dir: Path) -> dict[str, int]:
    """Tracebacks in the processes' logs whose exception is none of Osprey's typed
    errors (those are a user's mistake answered with a 4xx), counted by process and
    exception type."""
    found: collections.Counter[str] = collections.Counter()
    for log in sorted(log_dir.glob("*.log")):
        in_traceback = False
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                in_traceback = True
                continue
            raised = _RAISED.match(line) if in_traceback else None
            if raised:
                in_traceback = False
                if not raised.group(1).startswith("services.platform.errors."):
                    found[f"{log.stem}: {raised.group(1)}"] += 1
    return dict(sorted(found.items()))


# -- the run -----------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    seed = SEED or str(int.from_bytes(os.urandom(4), "big"))
    results: dict[str, Any] = {**run_info(), "load_average_before": loadavg()}
    fresh_database(DB)
    peers = contextlib.ExitStack()
    found = start_peers(peers)
    # mailboxes keep their passwords encrypted: without a key they are refused with 503
    stack = Stack(
        DB,
        env={
            "OSPREY_LOG_LEVEL": "WARNING",
            "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
            **google_env(found["google"]["url"]),
        },
    )
    try:
        stack.start()
        base = stack.base_url
        session, token = tokens(base, stack.admin_credentials)
        join_a_team(base, session)
        data_env = {
            "SCHEMATHESIS_HOOKS": "bench.fuzz_data",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "OSPREY_FUZZ_BASE": base,
            "OSPREY_FUZZ_DATA_TOKEN": token,
            "OSPREY_FUZZ_PEERS": json.dumps(found),
        }
        schema = httpx.get(f"{base}/api/v1/openapi.json", timeout=60).json()
        ids = operation_ids(schema)
        excluded = [ids[key] for key in EXCLUDED if key in ids]

        def alive(secret: str) -> bool:
            me = httpx.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=15
            )
            return me.status_code == 200

        # 1. what only a signed-in session may do, as the administrator's session: first,
        #    as the second pass may end every session of theirs (a password reset)
        session_only = [ids[key] for key in SESSION_ONLY if key in ids]
        last = [ids[key] for key in LAST if key in ids]
        only = [ids[key] for key in ONLY if key in ids]
        others = [i for i in only if i not in session_only + last + excluded]
        plan = {
            "session": {"include": session_only, "exclude": excluded},
            # 2. everything else, as the personal token with every scope, but what could
            #    take its rights away
            "token": {"include": others, "exclude": [] if only else excluded + session_only + last},
            # 3. that, alone and last; then every role's rights as they were
            "rights": {"include": last, "exclude": []},
        }
        if only:
            plan["session"]["include"] = [i for i in session_only if i in only]
            plan["rights"]["include"] = [i for i in last if i in only]
        passes: dict[str, dict[str, Any]] = {}
        still_valid = {}
        saved_rights = role_rights(base, token)
        for kind, which in plan.items():
            if only and not which["include"]:
                continue
            credential = session if kind == "session" else token
            passes[kind] = fuzz(kind, base, credential, schema, seed, data_env, **which)
            if kind == "session":
                still_valid["session"] = alive(session)
        results["roles_restored"] = len(restore_rights(base, token, saved_rights))
        still_valid["token"] = alive(token)
        logs = unexpected_exceptions(stack.log_dir)
    except BaseException:
        print(stack.log_tails(60), file=sys.stderr)
        raise
    finally:
        stack.stop()
        peers.close()

    statuses: collections.Counter[str] = collections.Counter()
    for one in passes.values():
        statuses.update(one["statuses"])
    fuzz_s = sum(one["seconds"] for one in passes.values())
    results["load_average_after"] = loadavg()
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["fuzz_s"] = round(fuzz_s, 1)
    results["schemathesis"] = version("schemathesis")
    results["seed"] = seed
    results["checks"] = CHECKS.split(",")
    results["max_examples"] = EXAMPLES
    results["excluded"] = {f"{m} {p}": why for (m, p), why in EXCLUDED.items()}
    results["requests"] = sum(one["requests"] for one in passes.values())
    results["requests_per_s"] = round(results["requests"] / fuzz_s, 1)
    results["statuses"] = dict(sorted(statuses.items()))
    results["server_errors"] = sum(one["server_errors"] for one in passes.values())
    results["failing_operations"] = [
        {**f, "pass": kind} for kind, one in passes.items() for f in one["failing_operations"]
    ]
    results["unexpected_exceptions_in_logs"] = logs
    results["credentials_still_valid"] = still_valid
    # each pass in full; its warnings (issue 20's: where the document and the API
    # disagree without a 5xx) as counts
    results["passes"] = {
        kind: {
            **{
                k: v
                for k, v in one.items()
                if k not in ("failing_operations", "warnings", "report_dir", "refusals")
            },
            "warnings": {k: len(v) for k, v in one["warnings"].items()},
        }
        for kind, one in passes.items()
    }
    # where the document and the API disagree, by operation (issue 20)
    results["document_disagreements"] = {
        kind: {
            "undocumented_status": sorted(
                {
                    op
                    for f in one["check_failures"]
                    if f["check"].lower().startswith("undocumented status code")
                    for op in f["operations"]
                }
            ),
            **{w: sorted(one["warnings"].get(w, [])) for w in DOCUMENT_WARNINGS},
            # why the service refused what the document allows: the 400/422 answers'
            # reasons of each operation warned of
            "refusals": {
                op: one["refusals"].get(op, {})
                for w in DOCUMENT_WARNINGS
                for op in sorted(one["warnings"].get(w, []))
            },
        }
        for kind, one in passes.items()
    }

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    # a run of a few operations keeps the whole run's figures where they are
    (out / ("fuzz_api-only.json" if ONLY else "fuzz_api.json")).write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    print(json.dumps({k: v for k, v in results.items() if k != "failing_operations"}, indent=2))
    for failing in results["failing_operations"]:
        print(f"\n{failing['operation']}: {failing['count']} × {failing['statuses']}")
        print(f"  {failing['answer'][:200]}")
        print(f"  {failing['curl'][:2000]}")
    print(
        f"\n{results['date']}, commit {results['commit']}: {results['requests']} requests"
        f" in {results['fuzz_s']} s, {results['server_errors']} answered 5xx; load"
        f" {results['load_average_before'][0]} → {results['load_average_after'][0]};"
        f" reports kept in {', '.join(one['report_dir'] for one in passes.values())}"
    )
    ok = results["server_errors"] == 0 and (bool(ONLY) or results["requests"] >= MIN_REQUESTS)
    return 0 if ok and all(still_valid.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
