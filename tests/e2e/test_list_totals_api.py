"""Collection pages with their total, and the search box, through the whole stack.

The first page of leads, contacts and accounts says how many match (exact up to
10,000, PostgreSQL's estimate above, marked as such); the search box finds an email
as it is typed and a phone number however it is written.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from services.platform.db import create_db_engine
from tests.support.stack import Stack

from .test_leads_api import create_lead, word


def number() -> tuple[str, str]:
    """A fresh London number: international and national spellings."""
    digits = f"{random.randrange(10**8):08d}"
    return f"+44 20 {digits[:4]} {digits[4:]}", f"(020) {digits[:4]}-{digits[4:]}"


def test_the_first_page_has_the_total_and_later_pages_do_not(admin: httpx.Client) -> None:
    marker = word()
    made = [create_lead(admin, contact_name=f"{marker} Person {n}") for n in range(3)]
    first = admin.get("/api/v1/leads", params={"q": marker, "limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["total"], body["total_is_estimate"]) == (3, False)
    assert len(body["items"]) == 2 and body["next_cursor"]
    second = admin.get(
        "/api/v1/leads", params={"q": marker, "limit": 2, "cursor": body["next_cursor"]}
    ).json()
    assert (second["total"], second["total_is_estimate"]) == (None, None)
    seen = [lead["id"] for lead in body["items"] + second["items"]]
    assert seen == [lead["id"] for lead in reversed(made)]

    # the contract's fields are all still there, and the new ones are documented
    document = admin.get("/api/v1/openapi.json").json()
    for page in ("LeadPage", "ContactPage", "AccountPage"):
        properties = document["components"]["schemas"][page]["properties"]
        assert {"items", "next_cursor", "total", "total_is_estimate"} <= set(properties)


def test_search_by_phone_spellings_and_email_starts(admin: httpx.Client) -> None:
    international, national = number()
    lead = create_lead(admin, contact_name="Phoned Lead", phone=international)
    other_international, other_national = number()
    contact = admin.post(
        "/api/v1/contacts?allow_duplicates=true",
        json={
            "full_name": "Phoned Contact",
            "emails": [
                {"email": f"work.{word()}@acme.example"},
                {"email": f"{word()}@home.example"},
            ],
            "phones": [{"phone": "+1 555 010 0000"}, {"phone": other_international}],
        },
    ).json()
    account = admin.post(
        "/api/v1/accounts?allow_duplicates=true",
        json={"name": f"Phoned {word()} Ltd", "email": f"info@{word()}.example"},
    ).json()

    def found(plural: str, q: str) -> list[str]:
        response = admin.get(f"/api/v1/{plural}", params={"q": q})
        assert response.status_code == 200, response.text
        return [record["id"] for record in response.json()["items"]]

    assert found("leads", national) == found("leads", international) == [lead["id"]]
    assert found("contacts", other_national) == [contact["id"]]
    personal = contact["emails"][1]["email"]
    assert found("contacts", personal.split("@")[0] + "@ho") == [contact["id"]]
    assert found("accounts", account["email"][:9]) == [account["id"]]
    assert found("accounts", account["name"][:9].upper()) == [account["id"]]


def bulk_leads(database_url: str, count: int, source: str, owner_id: str) -> datetime:
    """Insert ``count`` leads of ``source`` owned by ``owner_id`` (no rep sees them) in
    one statement, made in 2001 so that every newer list shows first, and ANALYZE
    them; returns when the first was made."""
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    engine = create_db_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO leads.leads (id, contact_name, source, stage, owner_id,"
                    " created_at, updated_at, created_by)"
                    " SELECT gen_random_uuid(), 'Bulk Lead', :source, 'qualification', :owner,"
                    " :start + n * interval '1 second', :start + n * interval '1 second', :owner"
                    " FROM generate_series(0, :count - 1) AS n"
                ),
                {"source": source, "owner": owner_id, "start": long_ago, "count": count},
            )
            conn.execute(sa.text("ANALYZE leads.leads"))
    finally:
        engine.dispose()
    return long_ago


def test_above_ten_thousand_the_total_is_an_estimate(admin: httpx.Client, stack: Stack) -> None:
    source = f"bulk-{uuid.uuid4().hex[:8]}"
    me = admin.get("/api/v1/me").json()["id"]
    long_ago = bulk_leads(stack.database_url, 10_050, source, me)

    page = admin.get("/api/v1/leads", params={"filter[source]": source, "limit": 80}).json()
    assert page["total_is_estimate"] is True
    assert 10_000 < page["total"] < 20_000
    # narrowed to fewer than 10,000, it is counted again
    until = (long_ago + timedelta(seconds=5_000)).isoformat()
    exact = admin.get(
        "/api/v1/leads",
        params={"filter[source]": source, "filter[created_at]": f"..{until}", "limit": 1},
    ).json()
    assert (exact["total"], exact["total_is_estimate"]) == (5_000, False)
