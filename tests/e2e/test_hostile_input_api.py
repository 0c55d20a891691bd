"""What a fuzzer found (issue 19): text no service can store, numbers out of any
column's range, ids and cursors that are none and a name already taken get a 4xx
naming the field, and nothing is written."""

from __future__ import annotations

import base64

import httpx
import pytest

from .test_leads_api import create_lead, fields, problem

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


def test_nul_and_unpaired_surrogates_are_refused_naming_the_field(admin: httpx.Client) -> None:
    lead = create_lead(admin, contact_name="Nora Nul")
    url = f"/api/v1/leads/{lead['id']}"
    refused = admin.patch(url, content=b'{"utm_campaign": "spring\\u0000sale"}', headers=JSON)
    assert fields(problem(refused, 422)) == {"utm_campaign"}
    lone = admin.post(
        "/api/v1/leads",
        content=b'{"contact_name": "ok", "notes": "half \\ud83d of a smile"}',
        headers=JSON,
    )
    assert fields(problem(lone, 422)) == {"notes"}
    nested = admin.post(
        "/api/v1/orders",
        content=b'{"currency": "EUR", "lines": [{"name": "a\\u0000"}]}',
        headers=JSON,
    )
    assert fields(problem(nested, 422)) == {"lines[0].name"}
    # a whole surrogate pair is a character like any other
    paired = admin.patch(url, content=b'{"notes": "a smile \\ud83d\\ude00"}', headers=JSON)
    assert paired.status_code == 200, paired.text
    assert paired.json()["notes"] == "a smile \U0001f600"
    assert admin.get(url).json()["utm_campaign"] is None  # the refused change wrote nothing
    query = admin.get("/api/v1/mentions/suggest", params={"q": "an\x00"})
    assert fields(problem(query, 422)) == {"q"}


def test_a_number_beyond_its_column_is_a_422(admin: httpx.Client) -> None:
    deal = admin.post("/api/v1/opportunities", json={"title": "Huge", "currency": "EUR"})
    assert deal.status_code == 201, deal.text
    url = f"/api/v1/opportunities/{deal.json()['id']}"
    huge = admin.patch(url, content=b'{"budget": 4.6e+90}', headers=JSON)
    assert "budget" in fields(problem(huge, 422))
    assert admin.get(url).json()["budget"] is None


def test_an_integer_beyond_64_bits_is_a_422_naming_the_field(admin: httpx.Client) -> None:
    # what the fuzzer sent (issue 19): the RPC wire cannot carry such a number, so the
    # gateway answered 500 wherever a body passed it on unread
    huge = admin.post(
        "/api/v1/leads/check-duplicates",
        content=b'{"contact_name": "Hugo", "extra": {"n": [1, 491814921522480546081961054698471424]}}',  # noqa: E501
        headers=JSON,
    )
    assert fields(problem(huge, 422)) == {"extra.n[1]"}
    rows = admin.post(
        "/api/v1/leads/import",
        content=b'{"rows": [{"contact_name": "Ivy", "phone": -2647295360617348872536064}]}',
        headers=JSON,
    )
    assert fields(problem(rows, 422)) == {"rows[0].phone"}
    # a long run of digits in a string is text like any other, and the widest integer
    # 64 bits hold is passed on to the service, which judges it like any other
    text = admin.post(
        "/api/v1/leads/check-duplicates",
        content=b'{"contact_name": "Hugo 12345678901234567890123"}',
        headers=JSON,
    )
    assert text.status_code == 200, text.text
    widest = admin.post(
        "/api/v1/leads/check-duplicates",
        content=b'{"contact_name": "Hugo", "score": 9223372036854775807}',
        headers=JSON,
    )
    assert problem(widest, 422)["errors"] == [{"field": "score", "message": "must be at most 100"}]
    beyond = admin.post(
        "/api/v1/leads/check-duplicates",
        content=b'{"contact_name": "Hugo", "score": 9223372036854775808}',
        headers=JSON,
    )
    assert problem(beyond, 422)["errors"] == [
        {"field": "score", "message": "is too large: a whole number must fit in 64 bits"}
    ]


def test_an_integer_beyond_64_bits_in_a_query_is_a_422_naming_the_parameter(
    admin: httpx.Client,
) -> None:
    # what the fuzzer sent: the gateway passed it on to the RPC wire, which cannot carry it
    url = "/api/v1/process-definitions/01a2508b-d9c9-713b-804f-73e97ca70415/xml"
    huge = admin.get(url, params={"version": "3201344564699299866122125312"})
    assert problem(huge, 422)["errors"] == [
        {"field": "version", "message": "is too large: a whole number must fit in 64 bits"}
    ]
    # one that fits goes on to the service, which does not know the process
    assert admin.get(url, params={"version": "9223372036854775807"}).status_code == 404


def test_a_process_list_filter_on_an_id_must_be_ids(admin: httpx.Client) -> None:
    # the fuzzer's `filter[definition_id]=null` reached PostgreSQL's uuid column: a 500
    refused = admin.get("/api/v1/process-instances", params={"filter[definition_id]": "null"})
    assert fields(problem(refused, 422)) == {"filter[definition_id]"}
    tasks = admin.get(
        "/api/v1/process-tasks",
        params=[
            ("filter[instance_id]", "01a2508b-d9c9-713b-804f-73e97ca70415"),
            ("filter[instance_id]", "æ¼"),
        ],
    )
    assert fields(problem(tasks, 422)) == {"filter[instance_id]"}
    fine = admin.get(
        "/api/v1/process-tasks",
        params={"filter[instance_id]": "01a2508b-d9c9-713b-804f-73e97ca70415"},
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["items"] == []
    # a cursor of the list's shape whose id is none reached the same column
    forged = base64.urlsafe_b64encode(b'["2026-12-07T10:00:00+00:00", "null"]').decode()
    paged = admin.get("/api/v1/process-instances", params={"cursor": forged})
    assert fields(problem(paged, 422)) == {"cursor"}


def test_renaming_a_mail_template_onto_another_ones_name_is_a_409(admin: httpx.Client) -> None:
    def template(name: str) -> dict:
        made = admin.post(
            "/api/v1/email-templates", json={"name": name, "subject": "Hi", "body": "Hello"}
        )
        assert made.status_code == 201, made.text
        return made.json()

    won, lost = template("Fuzz won"), template("Fuzz lost")
    renamed = admin.patch(f"/api/v1/email-templates/{lost['id']}", json={"name": "Fuzz won"})
    assert problem(renamed, 409)["errors"] == [{"field": "name", "message": "is taken"}]
    names = {t["id"]: t["name"] for t in admin.get("/api/v1/email-templates").json()["items"]}
    assert names[won["id"]] == "Fuzz won" and names[lost["id"]] == "Fuzz lost"
    # keeping its own name while changing the subject is no conflict
    same = admin.patch(
        f"/api/v1/email-templates/{won['id']}", json={"name": "Fuzz won", "subject": "0"}
    )
    assert same.status_code == 200, same.text
    assert same.json()["subject"] == "0"


def test_a_mail_list_cursor_that_is_none_of_ours_is_a_422(admin: httpx.Client) -> None:
    def cursor(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode()

    # the fuzzer's cursor decodes to nothing, which PostgreSQL was asked to read as a time
    for bad in ("\U000d895b", cursor("yesterday|x"), cursor("2026-12-07T10:00:00|0")):
        refused = admin.get("/api/v1/emails", params={"cursor": bad})
        assert problem(refused, 422)["errors"] == [
            {"field": "cursor", "message": "is not a cursor of this list"}
        ], bad
    # one of the shape the list gives out reads on from there
    ours = cursor("2026-12-07T10:00:00+00:00|01a2508b-d9c9-713b-804f-73e97ca70415")
    page = admin.get("/api/v1/emails", params={"cursor": ours})
    assert page.status_code == 200, page.text
    assert page.json() == {"items": [], "next_cursor": None}


def test_an_exchange_connection_id_that_cannot_be_one_is_a_404(admin: httpx.Client) -> None:
    """Found by bench/fuzz_api.py: ids such as "null,null" reached PostgreSQL as uuids."""
    for path in ("null%2Cnull", "null%2Cnull/folders", "null%2Cnull/conflicts", "x"):
        problem(admin.get(f"/api/v1/exchange-connections/{path}"), 404)
    problem(admin.delete("/api/v1/exchange-connections/Sxr%3A%C2%9B"), 404)


@pytest.mark.parametrize("page", ["results", "team-results"])
def test_a_widget_report_naming_no_text_is_a_422(admin: httpx.Client, page: str) -> None:
    """Found by bench/fuzz_api.py's coverage phase: a report's entity (or a grouping's,
    an aggregate's field) sent as an object was looked up among the names and crashed."""
    url = f"/api/v1/dashboards/{page}"
    before = admin.get("/api/v1/dashboards/results")
    assert before.status_code == 200, before.text
    # the exact body schemathesis printed
    exact = (
        b'{"name": null, "widgets": [{"h": null, "id": "e3e70682-c209-1cac-a29f-6fbed82c07cd",'
        b' "kind": "list", "report": {"entity": {}}, "title": null, "w": null, "x": null,'
        b' "y": null}]}'
    )
    refused = admin.put(url, content=exact, headers=JSON)
    assert fields(problem(refused, 422)) == {"widgets[0].report.entity"}
    for report, field in (
        ({"entity": ["leads"]}, "entity"),
        ({"entity": "leads", "group_by": [{"field": {}}]}, "group_by[0]"),
        ({"entity": "leads", "aggregates": [{"fn": "sum", "field": []}]}, "aggregates[0]"),
    ):
        widget = {"kind": "number", "report": report}
        refused = admin.put(url, json={"widgets": [widget]})
        assert fields(problem(refused, 422)) == {f"widgets[0].report.{field}"}, report
    # nothing was written by the refused ones (a built-in page's widgets get new ids
    # on each read)
    after = admin.get("/api/v1/dashboards/results").json()
    assert {k: v for k, v in after.items() if k != "widgets"} == {
        k: v for k, v in before.json().items() if k != "widgets"
    }
    ran = admin.post("/api/v1/reports/run", json={"entity": {"x": 1}})
    assert fields(problem(ran, 422)) == {"entity"}


def test_an_exchange_sign_in_tried_with_both_secrets_is_no_500(admin: httpx.Client) -> None:
    """Found by bench/fuzz_api.py's coverage phase: a password and an OAuth2 token sent
    together for basic sign-in kept the token, and the sign-in then looked for the
    password (KeyError, 500). The secret the sign-in needs is the one tried."""
    body = {
        "access_token": "a-token",
        "auth": "basic",
        "autodiscover_url": "http://",
        "contact_folders": [],
        "deletions": "keep",
        "email": "0@0.com",
        # a closed port on this machine: the sign-in is tried and fails at once
        "ews_url": "http://127.0.0.1:9/EWS/Exchange.asmx",
        "export_contact_ids": [],
        "export_contacts": "all",
        "future_days": 0,
        "import_contacts": False,
        "is_shared": False,
        "login": "",
        "password": "a-password",
        "past_days": 0,
        "sync_calendar": False,
        "sync_mail": False,
        "sync_tasks": False,
        "visibility": "all",
    }
    tried = admin.post("/api/v1/exchange-connections/test-connection", json=body)
    assert tried.status_code == 200, tried.text
    assert tried.json()["ok"] is False
