"""The leads' search box and total in a real leads service: an email or a phone number
typed the way people type them finds the lead; the first page says how many match."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.testing.services import entrypoint_hook

from services.leads.service import LeadsService
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()
REP_A = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_A}
REP_B = {"id": new_id(), "email": "bob@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_B}
ADMIN = {"id": new_id(), "email": "root@osprey.test", "roles": ["admin"], "team_id": None}


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def create(leads, actor: dict, **data: Any) -> dict:
    return call(leads, "create_lead", data, actor=actor)


def found(leads, q: str, actor: dict = REP_A) -> set[str]:
    return {lead["id"] for lead in call(leads, "list_leads", {"q": q}, actor=actor)["items"]}


def test_a_phone_however_it_is_typed_and_an_email_as_it_is_typed(leads):
    london = create(leads, REP_A, contact_name="Zoe Acker", phone="+44 20 7946 0018")
    national = create(leads, REP_A, contact_name="Zed", phone="020 7946 0018")  # saved so
    moscow = create(leads, REP_A, contact_name="Ivan", phone="8 (916) 123-45-67")
    ben = create(leads, REP_A, contact_name="Ben", email="Ben@Initech.io")
    other = create(leads, REP_A, contact_name="Other", phone="+44 20 7946 0019")
    both = {london["id"], national["id"]}
    for q in ("+44 20 7946 0018", "442079460018", "0044 20 7946 0018", "+44 (0) 20 7946 0018"):
        assert found(leads, q) == both, q
    for q in ("020-7946-0018", "(020) 7946 0018", "7946 0018"):
        assert found(leads, q) == both, q
    for q in ("+7 916 123-45-67", "8 916 1234567", "79161234567"):
        assert found(leads, q) == {moscow["id"]}, q
    for q in ("ben@initech.io", "BEN@ini", "ben@"):
        assert found(leads, q) == {ben["id"]}, q
    assert found(leads, "ben@initech.io.uk") == set()
    # fewer than 7 significant digits are words: the start of a name or a company
    assert found(leads, "+4420") == set()
    assert found(leads, "ot") == {other["id"]}


def test_search_keeps_the_rights_and_the_first_page_has_the_total(leads):
    mine = [create(leads, REP_A, contact_name=f"Mine {n}", email=f"x@acme{n}.io") for n in range(5)]
    theirs = create(leads, REP_B, contact_name="Theirs", email="x@acme-b.io")
    assert found(leads, "x@acme") == {lead["id"] for lead in mine}
    assert theirs["id"] in found(leads, "x@acme", actor=ADMIN)
    first = call(leads, "list_leads", {"q": "x@acme", "limit": 2}, actor=REP_A)
    assert (first["total"], first["total_is_estimate"]) == (5, False)
    second = call(
        leads,
        "list_leads",
        {"q": "x@acme", "limit": 2, "cursor": first["next_cursor"]},
        actor=REP_A,
    )
    assert (second["total"], second["total_is_estimate"]) == (None, None)
    assert not {lead["id"] for lead in first["items"]} & {lead["id"] for lead in second["items"]}
    everything = call(leads, "list_leads", {}, actor=ADMIN)
    assert (everything["total"], everything["total_is_estimate"]) == (6, False)
