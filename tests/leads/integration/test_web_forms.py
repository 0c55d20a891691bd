"""Lookups, web forms and web-to-lead submissions in a real Nameko container,
over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.leads.domain import DEFAULT_LOOKUPS
from services.leads.service import LeadsService
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from services.platform.ids import new_id

TEAM_A = new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP = person("ann@osprey.test", "sales_rep", TEAM_A)
MANAGER = person("max@osprey.test", "sales_manager", TEAM_A)
ADMIN = person("root@osprey.test", "admin", None)
SITE = "https://www.example.com"


class WebFormEventsWatcher:
    name = "web_form_events_watcher"

    @event_handler("leads", "lead_created")
    def handle_lead_created(self, event: dict) -> dict:
        return event

    @event_handler("leads", "web_form_submitted")
    def handle_web_form_submitted(self, event: dict) -> dict:
        return event


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def outbox(engine: sa.Engine, event_type: str) -> list[dict[str, Any]]:
    return [
        r.envelope
        for r in rows(
            engine, "SELECT envelope FROM leads.outbox WHERE type = :t ORDER BY id", t=event_type
        )
    ]


def new_form(container, **data: Any) -> dict[str, Any]:
    return call(
        container,
        "create_web_form",
        {"name": "Contact us", **data},
        actor=ADMIN,
        base_url="https://crm.example.org",
    )


# --- lookups ---------------------------------------------------------------------------


def test_an_empty_list_gets_its_defaults_back(leads, db_engine):
    assert rows(db_engine, "SELECT * FROM leads.lookups") == []  # every test starts empty
    for kind, defaults in DEFAULT_LOOKUPS.items():
        items = call(leads, "list_lookups", kind, actor=REP)["items"]
        assert [(i["code"], i["name"]) for i in items] == list(defaults)
        assert all(i["is_active"] and i["version"] == 1 for i in items)
    stored = rows(db_engine, "SELECT kind, code FROM leads.lookups")
    assert len(stored) == sum(len(d) for d in DEFAULT_LOOKUPS.values())
    # asking again puts nothing back twice
    call(leads, "list_lookups", "source", actor=REP)
    assert len(rows(db_engine, "SELECT id FROM leads.lookups")) == len(stored)


def test_defaults_match_what_the_migration_seeds(leads):
    """The migration writes its lists out; the code's defaults must say the same."""
    from importlib import import_module

    migration = import_module("services.leads.migrations.versions.20261126_0003_lead_process")
    versions = "services.leads.migrations.versions"
    later = import_module(f"{versions}.20261208_0013_need_types_loss_reasons")
    assert {**migration.LOOKUPS, **later.LOOKUPS} == DEFAULT_LOOKUPS


def test_lookup_crud_and_rights(leads, db_engine):
    with pytest.raises(PermissionDenied):
        call(leads, "create_lookup", "source", {"code": "fair", "name": "Fair"}, actor=REP)
    fair = call(
        leads,
        "create_lookup",
        "source",
        {"code": "trade_fair", "name": " Trade fair "},
        actor=MANAGER,
    )
    assert fair["name"] == "Trade fair" and fair["kind"] == "source"
    assert fair["position"] == 90  # after the eight defaults (10..80)
    with pytest.raises(Conflict) as taken:
        call(leads, "create_lookup", "source", {"code": "trade_fair", "name": "Again"}, actor=ADMIN)
    assert fields(taken) == {"code"}
    with pytest.raises(ValidationFailed) as bad:
        call(
            leads,
            "create_lookup",
            "source",
            {"code": "Trade Fair", "name": "", "position": -1, "colour": "red"},
            actor=ADMIN,
        )
    assert fields(bad) == {"code", "name", "position", "colour"}
    with pytest.raises(NotFound):
        call(leads, "list_lookups", "colour", actor=REP)

    moved = call(
        leads,
        "update_lookup",
        "source",
        fair["id"],
        {"position": 5, "name": "Fairs"},
        actor=MANAGER,
        expected_version=1,
    )
    assert moved["position"] == 5 and moved["version"] == 2
    with pytest.raises(Conflict):
        call(
            leads,
            "update_lookup",
            "source",
            fair["id"],
            {"name": "X"},
            actor=MANAGER,
            expected_version=1,
        )
    with pytest.raises(ValidationFailed) as fixed:
        call(leads, "update_lookup", "source", fair["id"], {"code": "fairs"}, actor=MANAGER)
    assert fields(fixed) == {"code"}
    with pytest.raises(PermissionDenied):
        call(leads, "update_lookup", "source", fair["id"], {"name": "X"}, actor=REP)
    same = call(leads, "update_lookup", "source", fair["id"], {"name": "Fairs"}, actor=MANAGER)
    assert same["version"] == 2  # nothing changed, nothing bumped

    off = call(leads, "update_lookup", "source", fair["id"], {"is_active": False}, actor=ADMIN)
    items = call(leads, "list_lookups", "source", actor=REP)["items"]
    assert items[0]["code"] == "website" and items[-1]["id"] == off["id"]  # inactive last
    # the id of another kind's entry is no entry of this kind
    with pytest.raises(NotFound):
        call(leads, "update_lookup", "channel", fair["id"], {"name": "X"}, actor=ADMIN)

    call(leads, "delete_lookup", "source", fair["id"], actor=ADMIN, expected_version=3)
    assert "trade_fair" not in {
        i["code"] for i in call(leads, "list_lookups", "source", actor=REP)["items"]
    }
    types = [r.type for r in rows(db_engine, "SELECT type FROM leads.outbox ORDER BY id")]
    assert types == ["lookup_created", "lookup_updated", "lookup_updated", "lookup_deleted"]


def test_a_code_in_use_is_deactivated_not_deleted(leads):
    call(leads, "create_lead", {"contact_name": "Ann", "source": "event"}, actor=REP)
    event = next(
        i for i in call(leads, "list_lookups", "source", actor=REP)["items"] if i["code"] == "event"
    )
    with pytest.raises(Conflict) as in_use:
        call(leads, "delete_lookup", "source", event["id"], actor=ADMIN)
    assert "1 lead" in str(in_use.value) and "deactivate" in str(in_use.value)
    call(leads, "update_lookup", "source", event["id"], {"is_active": False}, actor=ADMIN)
    assert "event" not in call_codes(leads, "source")


def call_codes(container, kind: str) -> set[str]:
    items = call(container, "list_lookups", kind, actor=REP)["items"]
    return {i["code"] for i in items if i["is_active"]}


def test_deleting_every_entry_brings_the_defaults_back(leads):
    for item in call(leads, "list_lookups", "channel", actor=REP)["items"]:
        call(leads, "delete_lookup", "channel", item["id"], actor=ADMIN)
    assert call_codes(leads, "channel") == {code for code, _ in DEFAULT_LOOKUPS["channel"]}


# --- web forms: administration ---------------------------------------------------------


def test_web_form_crud_is_for_admins(leads, db_engine):
    for who in (REP, MANAGER):
        with pytest.raises(PermissionDenied):
            call(leads, "create_web_form", {"name": "Form"}, actor=who)
        with pytest.raises(PermissionDenied):
            call(leads, "list_web_forms", actor=who)

    form = new_form(
        leads,
        allowed_origins=["HTTPS://WWW.Example.com:443/", "http://localhost:8080"],
        source="website",
        channel="web_form",
        owner_id=REP["id"],
        team_id=TEAM_A,
        rate_limit_per_minute=3,
        redirect_url="https://www.example.com/thanks",
    )
    assert form["allowed_origins"] == [SITE, "http://localhost:8080"]
    assert form["honeypot_field"] == "website" and form["is_active"] and form["version"] == 1
    assert form["submissions"] == 0 and form["created_by"] == ADMIN["id"]
    url = f"https://crm.example.org/api/v1/web-forms/{form['id']}/submissions"
    assert form["submit_url"] == url
    assert f'action="{url}"' in form["embed_html"] and 'method="post"' in form["embed_html"]
    assert 'name="website"' in form["embed_html"] and 'tabindex="-1"' in form["embed_html"]
    for name in (
        "contact_name",
        "account_name",
        "email",
        "phone",
        "need_type",
        "notes",
        "utm_source",
        "utm_campaign",
        "referrer",
    ):
        assert f'name="{name}"' in form["embed_html"]

    with pytest.raises(PermissionDenied):
        call(leads, "get_web_form", form["id"], actor=MANAGER)
    got = call(leads, "get_web_form", form["id"], actor=ADMIN)
    assert got["embed_html"].startswith('<form method="post" action="/api/v1/web-forms/')

    changed = call(
        leads,
        "update_web_form",
        form["id"],
        {"name": "Demo request", "is_active": False},
        actor=ADMIN,
        expected_version=1,
    )
    assert changed["version"] == 2 and changed["name"] == "Demo request"
    with pytest.raises(Conflict):
        call(leads, "update_web_form", form["id"], {"name": "X"}, actor=ADMIN, expected_version=1)
    assert call(leads, "list_web_forms", actor=ADMIN)["items"][0]["id"] == form["id"]
    with pytest.raises(Conflict):
        call(leads, "delete_web_form", form["id"], actor=ADMIN, expected_version=1)
    call(leads, "delete_web_form", form["id"], actor=ADMIN, expected_version=2)
    with pytest.raises(NotFound):
        call(leads, "get_web_form", form["id"], actor=ADMIN)
    updated = outbox(db_engine, "web_form_updated")[0]["data"]
    assert updated["changed_fields"] == ["name", "is_active"] and "embed_html" not in updated
    assert len(outbox(db_engine, "web_form_created")) == 1
    assert outbox(db_engine, "web_form_deleted")[0]["data"]["name"] == "Demo request"


def test_web_form_fields_are_validated_all_at_once(leads):
    with pytest.raises(ValidationFailed) as bad:
        call(
            leads,
            "create_web_form",
            {
                "allowed_origins": ["https://www.example.com/contact", "ftp://x.io", "https://"],
                "source": "billboard",
                "owner_id": "not-a-uuid",
                "honeypot_field": "email",
                "rate_limit_per_minute": 0,
                "redirect_url": "javascript:alert(1)",
                "colour": "red",
            },
            actor=ADMIN,
        )
    assert fields(bad) == {
        "name",
        "allowed_origins[0]",
        "allowed_origins[1]",
        "allowed_origins[2]",
        "source",
        "owner_id",
        "honeypot_field",
        "rate_limit_per_minute",
        "redirect_url",
        "colour",
    }
    with pytest.raises(ValidationFailed) as high:
        new_form(leads, rate_limit_per_minute=10001)
    assert fields(high) == {"rate_limit_per_minute"}


# --- web forms: submissions ------------------------------------------------------------


def test_a_submission_creates_a_lead_like_create_lead(
    leads, container_factory, service_config, db_engine
):
    watcher = container_factory(WebFormEventsWatcher, service_config)
    watcher.start()
    form = new_form(
        leads,
        allowed_origins=[SITE],
        source="website",
        channel="web_form",
        owner_id=REP["id"],
        team_id=TEAM_A,
        redirect_url="https://www.example.com/thanks",
    )
    data = {
        "contact_name": "Ann Lee",
        "email": "Ann@Acme.IO",
        "need_type": "crm",
        "notes": "Call me",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "x" * 500,  # filled from a URL: cut to fit, not refused
        "utm_term": "",
        "website": "",
    }
    with (
        entrypoint_waiter(watcher, "handle_lead_created") as created,
        entrypoint_waiter(watcher, "handle_web_form_submitted") as submitted,
    ):
        result = call(
            leads,
            "submit_web_form",
            form["id"],
            data,
            origin=SITE,
            client_ip="203.0.113.7",
            referrer="https://www.example.com/contact",
        )
    assert result == {
        "lead_id": result["lead_id"],
        "redirect_url": "https://www.example.com/thanks",
    }
    lead = call(leads, "get_lead", result["lead_id"], actor=ADMIN)
    assert lead["contact_name"] == "Ann Lee" and lead["email"] == "ann@acme.io"
    assert (lead["source"], lead["channel"]) == ("website", "web_form")
    assert (lead["owner_id"], lead["team_id"]) == (REP["id"], TEAM_A)
    assert (lead["utm_source"], lead["utm_medium"]) == ("newsletter", "email")
    assert lead["utm_campaign"] == "x" * 300 and lead["utm_term"] is None
    assert lead["referrer"] == "https://www.example.com/contact"
    assert (
        lead["stage"] == "qualification"
        and lead["created_by"] == "00000000-0000-0000-0000-000000000000"
    )
    assert created.get()["data"] == lead
    assert submitted.get()["data"] == {"form_id": form["id"], "lead_id": lead["id"]}
    history = rows(
        db_engine, "SELECT action FROM leads.lead_stage_history WHERE lead_id = :l", l=lead["id"]
    )
    assert [h.action for h in history] == ["create"]
    assert call(leads, "get_web_form", form["id"], actor=ADMIN)["submissions"] == 1
    # the page's own referrer field wins over the HTTP Referer; unowned without a form owner
    bare = new_form(leads, name="Bare")
    other = call(
        leads,
        "submit_web_form",
        bare["id"],
        {"phone": "+1 555 010 0000", "referrer": "https://search.example/?q=crm"},
        origin=None,
        client_ip="203.0.113.7",
        referrer="https://www.example.com/contact",
    )
    other_lead = call(leads, "get_lead", other["lead_id"], actor=ADMIN)
    assert other_lead["referrer"] == "https://search.example/?q=crm"
    assert other_lead["owner_id"] is None and other_lead["team_id"] is None
    assert other_lead["source"] is None and other["redirect_url"] is None
    # no raw address is kept
    hashes = rows(db_engine, "SELECT ip_hash FROM leads.web_form_submissions")
    # a hex digest of 64 (its digits may hold "203" by chance; the address's dots never)
    assert len(hashes) == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", h.ip_hash) for h in hashes)


def test_the_honeypot_answers_like_success_and_keeps_nothing(leads, db_engine):
    form = new_form(leads, honeypot_field="homepage", redirect_url="https://www.example.com/t")
    result = call(
        leads,
        "submit_web_form",
        form["id"],
        {"contact_name": "Bot", "homepage": "http://spam.example", "colour": "red"},
        origin=SITE,
        client_ip="198.51.100.1",
    )
    assert result == {"lead_id": None, "redirect_url": "https://www.example.com/t"}
    assert rows(db_engine, "SELECT id FROM leads.leads") == []
    assert call(leads, "get_web_form", form["id"], actor=ADMIN)["submissions"] == 0
    spam = outbox(db_engine, "web_form_spam")
    assert [e["data"] for e in spam] == [{"form_id": form["id"], "honeypot_field": "homepage"}]
    assert outbox(db_engine, "lead_created") == []


def test_the_rate_limit_is_per_form_and_address(leads, db_engine):
    form = new_form(leads, rate_limit_per_minute=2)
    other_form = new_form(leads, name="Other", rate_limit_per_minute=2)

    def submit(form_id: str, ip: str, **data: Any) -> dict[str, Any]:
        return call(
            leads,
            "submit_web_form",
            form_id,
            data or {"contact_name": "Ann"},
            origin=None,
            client_ip=ip,
        )

    submit(form["id"], "192.0.2.1")
    with pytest.raises(ValidationFailed):
        submit(form["id"], "192.0.2.1", notes="no name")  # a refused attempt counts too
    with pytest.raises(RateLimited) as limited:
        submit(form["id"], "192.0.2.1")
    assert 1 <= limited.value.retry_after <= 60
    assert fields(limited) == {"rate_limit"}
    assert submit(form["id"], "192.0.2.2")["lead_id"]  # another address
    assert submit(other_form["id"], "192.0.2.1")["lead_id"]  # another form
    assert len(rows(db_engine, "SELECT id FROM leads.leads")) == 3
    # attempts older than the minute no longer count (and are pruned)
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE leads.web_form_submissions"
                " SET submitted_at = submitted_at - interval '61 seconds'"
            )
        )
    assert submit(form["id"], "192.0.2.1")["lead_id"]
    assert len(rows(db_engine, "SELECT id FROM leads.web_form_submissions")) == 1
    # a quiet installation forgets them too, every minute
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE leads.web_form_submissions"
                " SET submitted_at = submitted_at - interval '61 seconds'"
            )
        )
    call(leads, "prune_web_form_submissions")
    assert rows(db_engine, "SELECT id FROM leads.web_form_submissions") == []


def test_the_rate_limit_holds_over_the_wire(leads, service_config):
    """RateLimited crosses RPC with its retry_after, as the gateway receives it."""
    form = new_form(leads, rate_limit_per_minute=1)
    with ServiceRpcProxy("leads", service_config) as rpc:
        rpc.submit_web_form(form["id"], {"email": "a@b.io"}, client_ip="192.0.2.9")
        with pytest.raises(RateLimited) as limited:
            rpc.submit_web_form(form["id"], {"email": "a@b.io"}, client_ip="192.0.2.9")
    assert 1 <= limited.value.retry_after <= 60


def test_origins_unknown_fields_and_inactive_forms_are_refused(leads, db_engine):
    form = new_form(leads, allowed_origins=[SITE, "http://localhost:8080"])
    ok = {"contact_name": "Ann"}
    for origin in ("https://evil.example", None, "null", "https://www.example.com.evil.io"):
        with pytest.raises(PermissionDenied) as refused:
            call(leads, "submit_web_form", form["id"], ok, origin=origin, client_ip="192.0.2.1")
        assert fields(refused) == {"origin"}
    # the same origin written differently is the same origin
    assert call(
        leads,
        "submit_web_form",
        form["id"],
        ok,
        origin="https://WWW.example.com:443",
        client_ip="192.0.2.1",
    )["lead_id"]
    assert call(leads, "check_web_form_origin", form["id"], "http://localhost:8080") == {
        "origin": "http://localhost:8080"
    }
    with pytest.raises(PermissionDenied):
        call(leads, "check_web_form_origin", form["id"], "http://localhost:8081")

    with pytest.raises(ValidationFailed) as unknown:
        call(
            leads,
            "submit_web_form",
            form["id"],
            {"contact_name": "Ann", "owner_id": ADMIN["id"], "stage": "converted"},
            origin=SITE,
            client_ip="192.0.2.2",
        )
    assert fields(unknown) == {"owner_id", "stage"}
    with pytest.raises(ValidationFailed) as empty:
        call(
            leads,
            "submit_web_form",
            form["id"],
            {"notes": "hi", "email": "not-an-email"},
            origin=SITE,
            client_ip="192.0.2.3",
        )
    assert "email" in fields(empty)
    with pytest.raises(ValidationFailed) as nobody:
        call(
            leads,
            "submit_web_form",
            form["id"],
            {"notes": "hi"},
            origin=SITE,
            client_ip="192.0.2.3",
        )
    assert fields(nobody) == {"contact_name"}
    assert len(rows(db_engine, "SELECT id FROM leads.leads")) == 1  # nothing half-written

    call(leads, "update_web_form", form["id"], {"is_active": False}, actor=ADMIN)
    for form_id in (form["id"], new_id(), "not-a-uuid"):
        with pytest.raises(NotFound):
            call(leads, "submit_web_form", form_id, ok, origin=SITE, client_ip="192.0.2.1")
        with pytest.raises(NotFound):
            call(leads, "check_web_form_origin", form_id, SITE)
    assert len(outbox(db_engine, "web_form_submitted")) == 1
