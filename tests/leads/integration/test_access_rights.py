"""Access rights on leads in the real leads service (docs/architecture.md, "Access
rights"): object rights per operation, record scopes in reads, lists, the search box and
look-alike searches, hidden and read-only columns, and record sharing. The callers carry
rights as identity makes them (its merge over the roles' rights)."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.testing.services import entrypoint_hook

from services.identity.rights import SEEDED_RIGHTS, EntityRights, compact_rights, merge_rights
from services.leads.service import LeadsService
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()
LETTERS = {"c": "create", "r": "read", "u": "update", "d": "delete", "x": "export"}


def person(email: str, team: str | None, role: str = "sales_rep", **leads: Any) -> dict[str, Any]:
    """A caller holding ``role`` as seeded, with its leads rights replaced by ``leads``
    (``ops``, ``read``, ``write``, ``hidden``, ``read_only``) when given."""
    rights = dict(SEEDED_RIGHTS[role])
    if leads:
        seeded = rights["leads"]
        rights["leads"] = EntityRights(
            frozenset(LETTERS[c] for c in leads.get("ops", "crudx")),
            leads.get("read", seeded.read),
            leads.get("write", seeded.write),
            frozenset(leads.get("hidden", ())),
            frozenset(leads.get("read_only", ())),
        )
    return {
        "id": new_id(),
        "email": email,
        "roles": [role],
        "team_id": team,
        "rights": compact_rights(merge_rights([rights])),
    }


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def create(container, actor: dict, **data: Any) -> dict:
    return call(container, "create_lead", data, actor=actor)


def listed(container, actor: dict, **query: Any) -> set[str]:
    return {lead["id"] for lead in call(container, "list_leads", query, actor=actor)["items"]}


def errors(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.value.errors}


# --- object rights ----------------------------------------------------------------------


def test_each_operation_needs_its_object_right(leads):
    admin = person("root@osprey.test", None, "admin")
    lead = create(leads, admin, contact_name="Ann Lee", email="ann@lee.test")
    reader = person("reader@osprey.test", TEAM_A, ops="r", read="all", write="own")

    assert call(leads, "get_lead", lead["id"], actor=reader)["id"] == lead["id"]
    assert listed(leads, reader) == {lead["id"]}
    for method, args in (
        ("create_lead", ({"contact_name": "New"},)),
        ("import_leads", ([{"contact_name": "New"}],)),
        ("update_lead", (lead["id"], {"notes": "x"})),
        ("delete_lead", (lead["id"],)),
        ("list_leads", ({"purpose": "export"},)),
    ):
        with pytest.raises(PermissionDenied) as caught:
            call(leads, method, *args, actor=reader)
        op = {
            "create_lead": "create",
            "import_leads": "create",
            "update_lead": "update",
            "delete_lead": "delete",
            "list_leads": "export",
        }[method]
        assert caught.value.message == f"Your role may not {op} leads"

    nobody = person("none@osprey.test", TEAM_A, ops="")
    for method, args in (("get_lead", (lead["id"],)), ("list_leads", ({},))):
        with pytest.raises(PermissionDenied, match="may not read leads"):
            call(leads, method, *args, actor=nobody)
    # the seeded rep exports the list as before
    rep = person("rep@osprey.test", TEAM_A)
    own = create(leads, rep, contact_name="Rep's own")
    assert call(leads, "list_leads", {"purpose": "export"}, actor=rep)["items"] == [
        call(leads, "get_lead", own["id"], actor=rep)
    ]


# --- record scopes ----------------------------------------------------------------------


def test_read_scope_own_narrows_reads_lists_search_and_look_alikes(leads):
    mate = person("mate@osprey.test", TEAM_A)
    loner = person("loner@osprey.test", TEAM_A, read="own", write="own")
    theirs = create(leads, mate, contact_name="Marta Olsen", email="marta@olsen.test")
    mine = create(leads, loner, contact_name="Marta Olsen", email="m.olsen@x.test")
    admin = person("root@osprey.test", None, "admin")
    queue = create(leads, admin, contact_name="Queue Lead", owner_id=None)

    assert listed(leads, loner) == {mine["id"], queue["id"]}
    assert listed(leads, mate) == {theirs["id"], mine["id"], queue["id"]}  # team scope
    with pytest.raises(NotFound):
        call(leads, "get_lead", theirs["id"], actor=loner)
    assert listed(leads, loner, q="marta@olsen") == set()
    assert listed(leads, loner, q="Marta") == {mine["id"]}
    similar = call(leads, "similar_leads", mine["id"], actor=loner)
    assert [s["record"]["id"] for s in similar] == []
    assert [s["record"]["id"] for s in call(leads, "similar_leads", mine["id"], actor=mate)] == [
        theirs["id"]
    ]
    # all: another team's lead too
    everyone = person("all@osprey.test", TEAM_B, read="all", write="own")
    assert listed(leads, everyone) == {theirs["id"], mine["id"], queue["id"]}


def test_write_scope_team_lets_a_rep_change_a_teammates_lead(leads):
    mate = person("mate@osprey.test", TEAM_A)
    lead = create(leads, mate, contact_name="Ann Lee")
    seeded_rep = person("rep@osprey.test", TEAM_A)
    with pytest.raises(PermissionDenied):
        call(leads, "update_lead", lead["id"], {"notes": "mine now"}, actor=seeded_rep)
    team_writer = person("writer@osprey.test", TEAM_A, read="team", write="team")
    changed = call(leads, "update_lead", lead["id"], {"notes": "ours"}, actor=team_writer)
    assert changed["notes"] == "ours"


# --- column rights ----------------------------------------------------------------------


def test_hidden_columns_are_left_out_and_cannot_be_asked_about(leads):
    admin = person("root@osprey.test", None, "admin")
    create(leads, admin, contact_name="Ann Lee", email="ann@lee.test", phone="+1 555 0100 200")
    blind = person("blind@osprey.test", TEAM_A, read="all", write="own", hidden=["email", "phone"])

    mine = create(leads, blind, contact_name="Ann Lee")
    assert "email" not in mine and "phone" not in mine
    assert mine["similar"] and all("email" not in s["record"] for s in mine["similar"])
    assert "email" not in call(leads, "get_lead", mine["id"], actor=blind)
    page = call(leads, "list_leads", {}, actor=blind)
    assert len(page["items"]) == 2 and all("email" not in item for item in page["items"])
    for query, field in (
        ({"filter": {"email": ["ann@lee.test"]}}, "filter[email]"),
        ({"sort": "-phone"}, "sort"),
        ({"q": "ann@lee"}, "q"),
        ({"q": "+1 555 0100 200"}, "q"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            call(leads, "list_leads", query, actor=blind)
        assert field in errors(caught)
    # hidden fields cannot be written either
    with pytest.raises(ValidationFailed) as caught:
        call(leads, "update_lead", mine["id"], {"email": "x@y.test"}, actor=blind)
    assert errors(caught) == {"email": "is read-only for your role"}
    # nor read back from what a merge kept of a lead
    twin = create(leads, blind, contact_name="Ann Lee")
    kept = call(leads, "merge_leads", mine["id"], [twin["id"]], actor=blind)
    assert "email" not in kept
    merges = call(leads, "list_lead_merges", kept["id"], actor=blind)
    assert len(merges) == 1 and "email" not in merges[0]["merged_record"]
    assert "email" in call(leads, "list_lead_merges", kept["id"], actor=admin)[0]["merged_record"]


def test_read_only_columns_are_refused_on_write_and_shown_on_read(leads):
    rep = person("rep@osprey.test", TEAM_A, read_only=["score", "source"])
    with pytest.raises(ValidationFailed) as caught:
        create(leads, rep, contact_name="Ann Lee", score=90, source="web")
    assert errors(caught) == {
        "score": "is read-only for your role",
        "source": "is read-only for your role",
    }
    lead = create(leads, rep, contact_name="Ann Lee")
    assert "score" in lead and "source" in lead
    with pytest.raises(ValidationFailed) as caught:
        call(leads, "update_lead", lead["id"], {"score": 5, "notes": "ok"}, actor=rep)
    assert errors(caught) == {"score": "is read-only for your role"}
    report = call(leads, "import_leads", [{"contact_name": "B", "source": "fair"}], actor=rep)
    assert report["failed"] == 1 and report["rows"][0]["errors"] == [
        {"field": "source", "message": "is read-only for your role"}
    ]
    assert call(leads, "update_lead", lead["id"], {"notes": "ok"}, actor=rep)["notes"] == "ok"


# --- record sharing ---------------------------------------------------------------------


def test_a_shared_lead_is_read_or_edited_by_whom_it_is_shared_with(leads):
    owner = person("ann@osprey.test", TEAM_A)
    guest = person("bob@osprey.test", TEAM_B)
    guest_mate = person("bea@osprey.test", TEAM_B)
    lead = create(leads, owner, contact_name="Shared Sam", email="sam@shared.test")
    with pytest.raises(NotFound):
        call(leads, "get_lead", lead["id"], actor=guest)
    # only who may change it by their scope shares it
    with pytest.raises(NotFound):
        call(leads, "share_lead", lead["id"], {"user_id": guest["id"]}, actor=guest)
    with pytest.raises(ValidationFailed) as caught:
        call(leads, "share_lead", lead["id"], {"access": "own"}, actor=owner)
    assert set(errors(caught)) == {"user_id", "access"}

    share = call(leads, "share_lead", lead["id"], {"user_id": guest["id"]}, actor=owner)
    assert share["access"] == "read"
    assert call(leads, "get_lead", lead["id"], actor=guest)["id"] == lead["id"]
    assert listed(leads, guest) == {lead["id"]}
    assert listed(leads, guest, q="Shared") == {lead["id"]}
    assert listed(leads, guest_mate) == set()
    look_alike = create(leads, guest, contact_name="Shared Sam")
    assert [s["record"]["id"] for s in look_alike["similar"]] == [lead["id"]]
    with pytest.raises(PermissionDenied):
        call(leads, "update_lead", lead["id"], {"notes": "hi"}, actor=guest)

    # for editing: changed, but neither deleted nor shared on
    again = call(
        leads, "share_lead", lead["id"], {"user_id": guest["id"], "access": "edit"}, actor=owner
    )
    assert again["id"] == share["id"] and again["access"] == "edit"
    assert call(leads, "update_lead", lead["id"], {"notes": "hi"}, actor=guest)["notes"] == "hi"
    with pytest.raises(PermissionDenied):
        call(leads, "delete_lead", lead["id"], actor=guest)
    with pytest.raises(PermissionDenied):
        call(leads, "share_lead", lead["id"], {"user_id": guest_mate["id"]}, actor=guest)

    team_share = call(leads, "share_lead", lead["id"], {"team_id": TEAM_B}, actor=owner)
    assert listed(leads, guest_mate) == {lead["id"], look_alike["id"]}
    shares = call(leads, "list_lead_shares", lead["id"], actor=owner)["items"]
    assert [(s["user_id"], s["team_id"], s["access"]) for s in shares] == [
        (guest["id"], None, "edit"),
        (None, TEAM_B, "read"),
    ]

    call(leads, "unshare_lead", lead["id"], share["id"], actor=owner)
    call(leads, "unshare_lead", lead["id"], team_share["id"], actor=owner)
    with pytest.raises(NotFound):
        call(leads, "unshare_lead", lead["id"], share["id"], actor=owner)
    with pytest.raises(NotFound):
        call(leads, "get_lead", lead["id"], actor=guest)
    assert listed(leads, guest_mate) == {look_alike["id"]}
