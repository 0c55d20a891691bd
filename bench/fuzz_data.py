"""Test data for the fuzzer's valid requests (issue 20 point 7), as schemathesis hooks
(``SCHEMATHESIS_HOOKS=bench.fuzz_data``, set by :mod:`bench.fuzz_api`).

A request the document calls valid can still name a record or a state the run cannot
know by chance: a lead to disqualify, the account merged into another, a team's manager,
a disqualification reason among the administrators' list, a BPMN document, a spreadsheet,
a password nobody guesses, a mail server that answers. Schemathesis invents random ids
and text for them, so every such request was refused and warned of as a "schema
validation mismatch" although the document and the service agree. Here, just before a
*positive* case (one schemathesis made valid by the schema) of one of :data:`RULES`'
operations is sent, the values that must name something real are given real ones:
records made for the run (once, or afresh for each request that uses one up: merges and a
lead's steps), the lookups the administrators keep, the peers :mod:`bench.fuzz_api`
starts (Dovecot, a local Exchange), a strong password of the same length, a CSV file.
Everything else the fuzzer generated stays as it was, negative cases are never touched,
and schemathesis revalidates what a hook changed (a value here that broke the schema
would make the case negative, not hide it). Nothing is filtered out.

Read from the environment: ``OSPREY_FUZZ_BASE`` (the gateway), ``OSPREY_FUZZ_DATA_TOKEN``
(a personal token with every scope, to make the records), ``OSPREY_FUZZ_PEERS`` (JSON:
``imap`` host, port and password; ``ews`` url, email and password; ``google`` url).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import string
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import schemathesis
from schemathesis.generation.modes import GenerationMode

ROOT = Path(__file__).resolve().parents[1]
BASE = os.environ.get("OSPREY_FUZZ_BASE", "")
TOKEN = os.environ.get("OSPREY_FUZZ_DATA_TOKEN", "")
PEERS: dict[str, dict[str, Any]] = json.loads(os.environ.get("OSPREY_FUZZ_PEERS") or "{}")
API = "/api/v1"
#: a process a definition can hold (one of the processes tests' own)
BPMN = (ROOT / "tests/processes/integration/bpmn/send_email.bpmn").read_text()
#: the process' key in :data:`BPMN`
BPMN_KEY = 'id="send_welcome"'


def process_key() -> str:
    return f"fuzz_{secrets.token_hex(6)}"


def bpmn(key: str) -> str:
    """:data:`BPMN` as the process ``key`` (a new definition needs a key of its own, a
    new version its definition's)."""
    return BPMN.replace(BPMN_KEY, f'id="{key}"')


#: a file an import reads: a CSV with a header and one row, which every entity's mapping
#: step takes (the columns are matched afterwards)
CSV = "name,email\nNorthwind Ltd,ann.lee@example.com\n"


ALLOW_DUPLICATES = {"allow_duplicates": "true"}


class Data:
    """The records made for the run, once; fresh ones on demand."""

    def __init__(self) -> None:
        self.client = httpx.Client(
            base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        )
        self._lock = threading.RLock()
        self._made: dict[str, Any] = {}

    def post(self, path: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        answer = self.client.post(API + path, json=body, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def get(self, path: str) -> httpx.Response:
        return self.client.get(API + path)

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._made:
                self._made[key] = make()
            return self._made[key]

    # -- made once ----------------------------------------------------------------------

    def user(self, key: str = "owner") -> str:
        """An active user who is not the administrator the run signs in as."""
        return self.once(
            f"user:{key}",
            lambda: self.post(
                "/users",
                {
                    "email": f"fuzz-{key}-{secrets.token_hex(4)}@example.com",
                    "full_name": f"Fuzz {key.title()}",
                    "password": strong_password(16),
                    "role_ids": [self.role()],
                },
            )["id"],
        )

    def role(self) -> str:
        """A role of the run's own: its rights may be replaced at will."""
        return self.once(
            "role", lambda: self.post("/roles", {"name": f"Fuzzing {secrets.token_hex(3)}"})["id"]
        )

    def team(self) -> str:
        return self.once("team", lambda: self.post("/teams", {"name": "Fuzz team"})["id"])

    def report(self) -> str:
        return self.once(
            "report",
            lambda: self.post("/reports", {"entity": "leads", "name": "Fuzz report"})["id"],
        )

    def web_form(self) -> str:
        """An active form taking as many submissions from the one address the fuzzer
        sends from as it may (10 a minute by default: the rest would be 429)."""
        return self.once(
            "form",
            lambda: self.post("/web-forms", {"name": "Fuzz form", "rate_limit_per_minute": 10_000})[
                "id"
            ],
        )

    def definition(self) -> tuple[str, str]:
        """A process definition of the run's own: its id and its key."""

        def make() -> tuple[str, str]:
            key = process_key()
            answer = self.client.post(
                API + "/process-definitions",
                content=bpmn(key).encode(),
                headers={"Content-Type": "application/xml"},
            )
            answer.raise_for_status()
            return answer.json()["id"], key

        return self.once("definition", make)

    def lookup(self, kind: str) -> str:
        """The code of an active entry of an administrators' list."""

        def first() -> str:
            answer = self.get(f"/lookups/{kind}")
            answer.raise_for_status()
            return next(i["code"] for i in answer.json()["items"] if i["is_active"])

        return self.once(f"lookup:{kind}", first)

    # -- made afresh ----------------------------------------------------------------------

    # names alike enough to be taken for duplicates of each other (409) are meant: many
    # records of one run

    def account(self) -> str:
        return self.post(
            "/accounts", {"name": f"Fuzz {secrets.token_hex(4)}"}, params=ALLOW_DUPLICATES
        )["id"]

    def contact(self) -> str:
        return self.post(
            "/contacts", {"full_name": f"Ann Fuzz {secrets.token_hex(4)}"}, params=ALLOW_DUPLICATES
        )["id"]

    def lead(self) -> str:
        return self.post(
            "/leads",
            {
                "contact_name": f"Ann Fuzz {secrets.token_hex(4)}",
                "need_type": self.lookup("need-types"),
            },
        )["id"]

    def version(self, path: str) -> str | None:
        """The ETag of the record at ``path`` now (what a client sends as If-Match)."""
        answer = self.get(path)
        return answer.headers.get("etag") if answer.status_code == 200 else None


_data: Data | None = None
_data_lock = threading.Lock()


def data() -> Data:
    global _data
    with _data_lock:
        if _data is None:
            _data = Data()
        return _data


def strong_password(length: int) -> str:
    """A password nobody guesses, of ``length`` characters (what the case asked for)."""
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(length))


# -- what each operation's valid requests are given ---------------------------------------------

#: what one operation's valid requests are given: ``rule(case, kwargs)`` (``kwargs`` the
#: transport's, as schemathesis' ``before_call`` hook has them)
Rule = Callable[[Any, dict[str, Any]], None]


def _set(body: Any, name: str, value: Callable[[], Any], *, keep_null: bool = True) -> None:
    """``body[name] = value()`` where the case sends ``name`` (null left as sent when
    ``keep_null``: a null is no reference to anything)."""
    if isinstance(body, dict) and name in body and not (keep_null and body[name] is None):
        body[name] = value()


def _record_path(case: Any, template: str) -> str:
    """The record's own path of an operation on it: ``/leads/{lead_id}/qualify`` →
    ``/leads/<id>``."""
    head = template[len(API) :].split("}", 1)[0] + "}"
    return head.format(**case.path_parameters)


def _if_match(case: Any, template: str) -> None:
    """If-Match, where the case sends one, as the record's version now."""
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "if-match":
            version = data().version(_record_path(case, template))
            if version is not None:
                headers[name] = version


def _password(body: Any, name: str = "password") -> None:
    if isinstance(body, dict) and isinstance(body.get(name), str):
        body[name] = strong_password(len(body[name]))


def merge_records(kind: str, make: Callable[[], str]) -> Rule:
    def rule(case: Any, kwargs: dict[str, Any]) -> None:
        case.path_parameters[f"{kind}_id"] = make()
        _set(case.body, "merged_id", make)

    return rule


def lead_step(body_rule: Callable[[Any], None] | None = None) -> Rule:
    """A lead of its own for each request (a step may take it where no other goes)."""

    def rule(case: Any, kwargs: dict[str, Any]) -> None:
        case.path_parameters["lead_id"] = data().lead()
        if body_rule is not None:
            body_rule(case.body)

    return rule


def _qualify(body: Any) -> None:
    _set(body, "contact_id", lambda: data().contact())
    _set(body, "account_id", lambda: data().account())
    _set(body, "need_type", lambda: data().lookup("need-types"))
    # a new contact's account and a new account's parent are accounts too
    if isinstance(body, dict):
        _set(body.get("contact"), "account_id", lambda: data().account())
        _set(body.get("account"), "parent_id", lambda: data().account())


def _merge_leads(body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("lead_ids"), list):
        body["lead_ids"] = [data().lead() for _ in body["lead_ids"]]


def _user_body(body: Any) -> None:
    _password(body)
    if isinstance(body, dict) and isinstance(body.get("role_ids"), list):
        body["role_ids"] = [data().role()] if body["role_ids"] else []
    _set(body, "team_id", lambda: data().team())


def _with_path(name: str, make: Callable[[], str]) -> Rule:
    def rule(case: Any, kwargs: dict[str, Any]) -> None:
        case.path_parameters[name] = make()

    return rule


def _all(*rules: Rule) -> Rule:
    def rule(case: Any, kwargs: dict[str, Any]) -> None:
        for one in rules:
            one(case, kwargs)

    return rule


def _body(rule: Callable[[Any], None]) -> Rule:
    return lambda case, kwargs: rule(case.body)


def _mailbox(body: Any) -> None:
    imap = PEERS.get("imap")
    if not imap or not isinstance(body, dict):
        return
    body["imap_host"] = imap["host"]
    body["imap_port"] = imap["port"]
    body["security"] = "none"
    body["password"] = imap["password"]


def _exchange(body: Any) -> None:
    ews = PEERS.get("ews")
    if not ews or not isinstance(body, dict):
        return
    body.update({"email": ews["email"], "auth": "basic", "password": ews["password"]})
    body["ews_url"] = ews["url"]
    body.pop("access_token", None)
    body.pop("login", None)
    body.pop("autodiscover_url", None)


#: the consent screen's Allow link: back to the redirect URI with the code and the state
_ALLOWED = re.compile(r'href="([^"]*[?&]code=[^"]*)"')


def _google_callback(body: Any) -> None:
    """What Google sends back when the user allows access to a sign-in this server
    began: its state, and a code the (local) Google takes."""
    if not isinstance(body, dict) or "google" not in PEERS:
        return
    started = data().post("/google-connections/authorize", {})
    consent = httpx.get(started["authorization_url"], timeout=60)
    found = _ALLOWED.search(html.unescape(consent.text))
    if found is None:
        print(f"Google's consent screen gave no code: {consent.status_code}", file=sys.stderr)
        return
    back = dict(parse_qsl(urlsplit(found.group(1)).query))
    body["state"] = back["state"]
    _set(body, "code", lambda: back["code"])
    _set(body, "scope", lambda: back["scope"])


def _process_document(key: Callable[[], str]) -> Rule:
    """A BPMN document as the body, sent as it is: schemathesis writes a string body of
    an XML media type as the text of an XML element of its own (``<data>...</data>``,
    escaped), which no service could read as a document, so the document goes to the
    transport as the request's bytes."""

    def rule(case: Any, kwargs: dict[str, Any]) -> None:
        case.body = bpmn(key())
        kwargs["data"] = case.body.encode()

    return rule


def _import_file(body: Any) -> None:
    if isinstance(body, dict) and "file" in body:
        body["file"] = CSV


#: operation → what its valid requests are given
RULES: dict[str, Rule] = {
    f"POST {API}/accounts/{{account_id}}/merge": merge_records("account", lambda: data().account()),
    f"POST {API}/contacts/{{contact_id}}/merge": merge_records("contact", lambda: data().contact()),
    f"POST {API}/leads/{{lead_id}}/assign": lead_step(
        lambda body: _set(body, "owner_id", lambda: data().user())
    ),
    f"POST {API}/leads/{{lead_id}}/disqualify": lead_step(
        lambda body: _set(body, "reason", lambda: data().lookup("disqualification-reasons"))
    ),
    f"POST {API}/leads/{{lead_id}}/merge": lead_step(_merge_leads),
    f"POST {API}/leads/{{lead_id}}/qualify": lead_step(_qualify),
    f"POST {API}/teams": _body(lambda body: _set(body, "manager_id", lambda: data().user())),
    f"POST {API}/users": _body(_user_body),
    f"PATCH {API}/users/{{user_id}}": _all(
        _with_path("user_id", lambda: data().user("target")), _body(_user_body)
    ),
    f"PATCH {API}/reports/{{report_id}}": _with_path("report_id", lambda: data().report()),
    f"POST {API}/web-forms/{{form_id}}/submissions": _all(
        _with_path("form_id", lambda: data().web_form()),
        _body(lambda body: _set(body, "need_type", lambda: data().lookup("need-types"))),
    ),
    f"PUT {API}/roles/{{role_id}}/rights": _with_path("role_id", lambda: data().role()),
    f"POST {API}/process-definitions": _process_document(process_key),
    f"POST {API}/process-definitions/{{definition_id}}/versions": _all(
        _with_path("definition_id", lambda: data().definition()[0]),
        _process_document(lambda: data().definition()[1]),
    ),
    f"POST {API}/imports": _body(_import_file),
    f"POST {API}/mailboxes": _body(_mailbox),
    f"POST {API}/exchange-connections": _body(_exchange),
    f"POST {API}/google-connections/callback": _body(_google_callback),
}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Real records and peers in a positive case of an operation of :data:`RULES`."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    template = case.operation.path
    rule = RULES.get(f"{case.operation.method.upper()} {template}")
    if rule is None:
        return
    rule(case, kwargs)
    if "{" in template:
        _if_match(case, template)
