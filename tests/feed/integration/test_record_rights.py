"""Posts about records follow the rights a role sets (docs/architecture.md, "Access
rights"): the entity's object right ``read`` and its read scope decide who sees a
record's posts — in the record's feed, a post by id, the caller's feed, following the
record and the stream replay."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from services.platform.errors import NotFound
from services.platform.ids import new_id

from .conftest import ABE, ANN, BOB, call, event


def with_rights(person: dict[str, Any], **entities: dict[str, Any]) -> dict[str, Any]:
    return {**person, "rights": entities}


def visible_ids(feed: Any, actor: dict[str, Any]) -> set[str]:
    return {p["id"] for p in call(feed, "list_feed", actor=actor)["items"]}


def test_a_record_s_posts_follow_the_entity_s_read_scope_and_right(feed) -> None:
    lead = {
        "id": new_id(),
        "contact_name": "Ann's lead",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    deal = {"id": new_id(), "name": "Bob's deal", "owner_id": BOB["id"], "team_id": BOB["team_id"]}
    call(feed, "handle_lead_created", event("lead_created", lead))
    call(feed, "handle_opportunity_created", event("opportunity_created", deal))
    on_lead = call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "lead"},
        actor=ANN,
    )
    on_deal = call(
        feed,
        "create_post",
        {"related": {"type": "opportunity", "id": deal["id"]}, "text": "deal"},
        actor=BOB,
    )
    for who in (ABE, BOB):  # both follow both records' feeds where they may
        for record_type, record in (("lead", lead), ("opportunity", deal)):
            with contextlib.suppress(NotFound):
                call(feed, "follow", {"type": record_type, "id": record["id"]}, actor=who)

    # Abe, Ann's teammate, by default reads the team's lead and not the other team's deal.
    assert call(feed, "get_post", on_lead["id"], actor=ABE)["id"] == on_lead["id"]
    with pytest.raises(NotFound):
        call(feed, "get_post", on_deal["id"], actor=ABE)

    # A role reading only its own leads but every deal: the other way round.
    own_leads = with_rights(
        ABE,
        leads={"ops": "crud", "read": "own", "write": "own"},
        opportunities={"ops": "r", "read": "all", "write": "own"},
    )
    with pytest.raises(NotFound):
        call(feed, "get_post", on_lead["id"], actor=own_leads)
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "lead", lead["id"], actor=own_leads)
    with pytest.raises(NotFound):
        call(
            feed,
            "create_post",
            {"related": {"type": "lead", "id": lead["id"]}, "text": "x"},
            actor=own_leads,
        )
    assert call(feed, "get_post", on_deal["id"], actor=own_leads)["id"] == on_deal["id"]
    assert [
        p["id"]
        for p in call(feed, "list_record_posts", "opportunity", deal["id"], actor=own_leads)[
            "items"
        ]
    ] == [on_deal["id"]]
    assert call(feed, "follow", {"type": "opportunity", "id": deal["id"]}, actor=own_leads)
    assert on_lead["id"] not in visible_ids(feed, own_leads)

    # A role without the leads' read right sees no lead's post, even its own lead's.
    no_leads = with_rights(ANN, leads={"ops": "c", "read": "all", "write": "all"})
    with pytest.raises(NotFound):
        call(feed, "get_post", on_lead["id"], actor=no_leads)
    with pytest.raises(NotFound):
        call(feed, "follow", {"type": "lead", "id": lead["id"]}, actor=no_leads)
    assert on_lead["id"] not in visible_ids(feed, no_leads)
    replayed = call(feed, "stream_items", actor=no_leads, after_seq=0, limit=500)
    assert all(i["data"].get("id") != on_lead["id"] for i in replayed)
    # ... while the same user without rights in the call keeps the defaults
    assert on_lead["id"] in visible_ids(feed, ANN)
    assert any(
        i["data"].get("id") == on_lead["id"]
        for i in call(feed, "stream_items", actor=ANN, after_seq=0, limit=500)
    )
