"""Who sees a live-stream item about a record: the default rule, and the rights a role
sets per entity (object right ``read`` and the read scope) when the actor carries them."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.audience import (
    audience_includes,
    can_read_record,
    reads_record,
    with_shares,
)

TEAM, OTHER_TEAM = "0190a000-0000-7000-8000-00000000000a", "0190a000-0000-7000-8000-00000000000b"
ME, MATE, STRANGER = (
    "0190a000-0000-7000-8000-000000000001",
    "0190a000-0000-7000-8000-000000000002",
    "0190a000-0000-7000-8000-000000000003",
)


def rep(rights: dict[str, Any] | None = None, roles: tuple[str, ...] = ("sales_rep",)) -> dict:
    actor: dict[str, Any] = {"id": ME, "roles": list(roles), "team_id": TEAM}
    if rights is not None:
        actor["rights"] = rights
    return actor


def about(record_type: str, owner: str | None, team: str | None) -> dict[str, Any]:
    return {
        "kind": "record",
        "record": {"type": record_type, "id": "x", "owner_id": owner, "team_id": team},
    }


def test_without_rights_the_default_rule_holds() -> None:
    actor = rep()
    assert audience_includes(about("lead", MATE, TEAM), actor)  # the team's
    assert not audience_includes(about("lead", STRANGER, OTHER_TEAM), actor)
    assert audience_includes(about("lead", None, None), actor)  # a shared queue
    assert audience_includes(about("lead", STRANGER, OTHER_TEAM), rep(roles=("admin",)))


def test_the_read_scope_of_the_records_entity_decides() -> None:
    rights = {
        "leads": {"ops": "r", "read": "own", "write": "own"},
        "opportunities": {"ops": "r", "read": "all", "write": "own"},
        "accounts": {"ops": "r", "read": "team", "write": "own"},
    }
    actor = rep(rights)
    assert audience_includes(about("lead", ME, TEAM), actor)
    assert not audience_includes(about("lead", MATE, TEAM), actor)  # own only
    assert audience_includes(about("lead", None, None), actor)  # queues at every scope
    assert audience_includes(about("opportunity", STRANGER, OTHER_TEAM), actor)  # all
    assert audience_includes(about("account", MATE, TEAM), actor)
    assert not audience_includes(about("account", STRANGER, OTHER_TEAM), actor)


def test_no_read_right_hides_every_record_of_the_entity() -> None:
    actor = rep({"leads": {"ops": "c", "read": "all", "write": "all"}})  # create only
    assert not audience_includes(about("lead", ME, TEAM), actor)
    assert not audience_includes(about("lead", None, None), actor)
    # an entity the rights leave out is not readable either
    assert not audience_includes(about("invoice", ME, TEAM), actor)
    # an item that is not about a record keeps its own rule
    assert audience_includes({"kind": "all"}, actor)
    assert audience_includes({"kind": "users", "user_ids": [ME]}, actor)


def test_the_dict_rule_and_the_actor_rule_agree() -> None:
    rights = {"leads": {"ops": "r", "read": "team", "write": "own"}}
    for actor in (rep(), rep(rights), rep(roles=("admin",))):
        caller = Actor.from_dict(actor)
        for owner, team in ((ME, TEAM), (MATE, TEAM), (STRANGER, OTHER_TEAM), (None, None)):
            assert can_read_record(actor, owner, team, "lead") == reads_record(
                caller, "lead", owner, team
            ), (actor, owner, team)


def test_a_change_of_shares_includes_whoever_gained_or_lost_the_record() -> None:
    record = {"type": "lead", "id": "x", "owner_id": STRANGER, "team_id": OTHER_TEAM}

    def change(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "record_access", "record": {**record, **after}, "before": before}

    reads = {"leads": {"ops": "r", "read": "team", "write": "own"}}
    for actor in (rep(), rep(reads)):
        assert audience_includes(change({"shared_user_ids": [ME]}, {}), actor)  # gained
        assert audience_includes(change({}, {"shared_team_ids": [TEAM]}), actor)  # lost
        # still shared (by the team instead of by name): nothing changed for them
        assert not audience_includes(
            change({"shared_team_ids": [TEAM]}, {"shared_user_ids": [ME]}), actor
        )
        assert not audience_includes(
            change({"shared_user_ids": [MATE]}, {}), {**actor, "team_id": None}
        )
    # an administrator reads it either way; a role without the read right neither way
    assert not audience_includes(change({"shared_user_ids": [ME]}, {}), rep(roles=("admin",)))
    blind = rep({"leads": {"ops": "c", "read": "all", "write": "all"}})
    assert not audience_includes(change({"shared_user_ids": [ME]}, {}), blind)
    assert not audience_includes({"kind": "record_access", "record": record}, rep())


def test_a_record_given_to_another_owner_or_team_includes_whoever_gained_or_lost_it() -> None:
    record = {"type": "lead", "id": "x", "owner_id": STRANGER, "team_id": OTHER_TEAM}

    def moved(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
        shares = {"shared_user_ids": [], "shared_team_ids": []}
        return {
            "kind": "record_access",
            "record": {**record, **after},
            "before": {**shares, **before},
        }

    reads = {"leads": {"ops": "r", "read": "team", "write": "own"}}
    for actor in (rep(), rep(reads)):
        # given to me, or to my team: gained; taken from me, or from my team: lost
        assert audience_includes(moved({"owner_id": ME}, {"owner_id": STRANGER}), actor)
        assert audience_includes(moved({"team_id": TEAM}, {"team_id": OTHER_TEAM}), actor)
        assert audience_includes(moved({}, {"owner_id": ME, "team_id": TEAM}), actor)
        # from a teammate to me: read before by the team, now as mine: nothing changed
        assert not audience_includes(
            moved({"owner_id": ME, "team_id": TEAM}, {"owner_id": MATE, "team_id": TEAM}), actor
        )
        # between two strangers: nothing for me
        assert not audience_includes(moved({}, {"owner_id": MATE}), actor)
    # a role that reads every lead is never told; one that reads its own only is, by owner
    everything = rep({"leads": {"ops": "r", "read": "all", "write": "own"}})
    assert not audience_includes(moved({"owner_id": ME}, {"owner_id": STRANGER}), everything)
    own = rep({"leads": {"ops": "r", "read": "own", "write": "own"}})
    assert not audience_includes(moved({"team_id": TEAM}, {"team_id": OTHER_TEAM}), own)
    assert audience_includes(moved({"owner_id": ME}, {"owner_id": STRANGER}), own)
    # a record shared with me that changes hands: I read it either way
    shared = moved({"owner_id": MATE, "shared_user_ids": [ME]}, {"shared_user_ids": [ME]})
    assert not audience_includes(shared, rep())


def test_with_shares_gives_the_owner_and_team_it_has() -> None:
    item = about("lead", STRANGER, OTHER_TEAM)
    fresh = with_shares(item, {"shared_user_ids": [], "owner_id": ME, "team_id": None})
    assert fresh["record"] == {**item["record"], "owner_id": ME, "team_id": None}
    assert item["record"]["owner_id"] == STRANGER


def test_with_shares_replaces_a_records_shares_only() -> None:
    item = about("lead", STRANGER, OTHER_TEAM)
    item["record"]["shared_user_ids"] = [MATE]
    item["plain"] = {"type": "lead"}
    fresh = with_shares(item, {"shared_user_ids": [], "shared_team_ids": [TEAM]})
    assert fresh["record"] == {
        **about("lead", STRANGER, OTHER_TEAM)["record"],
        "shared_team_ids": [TEAM],
    }
    assert fresh["plain"] == {"type": "lead"} and item["record"]["shared_user_ids"] == [MATE]
    assert with_shares(item, None) is item
    assert with_shares({"kind": "all"}, {"shared_user_ids": [ME]}) == {"kind": "all"}
