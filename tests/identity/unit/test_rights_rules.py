"""Access rights per role: validation, the merge over a user's roles, the compact map,
and the actor built from it (services/identity/rights.py, platform/access.py)."""

from __future__ import annotations

import json

import pytest

from services.identity import rights
from services.identity.domain import SEEDED_ROLES, actor_dict
from services.identity.rights import EntityRights, clean_rights, compact_rights, merge_rights
from services.platform.access import ENTITIES, Actor
from services.platform.errors import PermissionDenied, ValidationFailed

ME = "00000000-0000-7000-8000-00000000aaaa"
MY_TEAM = "00000000-0000-7000-8000-00000000bbbb"
OTHER = "00000000-0000-7000-8000-00000000cccc"
OTHER_TEAM = "00000000-0000-7000-8000-00000000dddd"


def _fields(error: ValidationFailed) -> dict[str, str]:
    return {e["field"]: e["message"] for e in error.errors}


def test_a_full_entity_is_accepted_and_shown_back() -> None:
    clean = clean_rights(
        {
            "leads": {
                "create": True,
                "read": True,
                "update": True,
                "delete": False,
                "export": True,
                "read_scope": "team",
                "write_scope": "own",
                "hidden": ["email"],
                "read_only": ["score", "phone"],
            }
        }
    )
    assert clean["leads"].to_dict() == {
        "create": True,
        "read": True,
        "update": True,
        "delete": False,
        "export": True,
        "read_scope": "team",
        "write_scope": "own",
        "hidden": ["email"],
        "read_only": ["phone", "score"],
    }


def test_every_bad_right_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_rights(
            {
                "widgets": {"read": True},
                "leads": {
                    "read": "yes",
                    "read_scope": "everyone",
                    "colour": 1,
                    "hidden": ["id", "Bad Name"],
                },
                "orders": {"read": True, "read_scope": "own", "write_scope": "all"},
                "products": {"create": True, "read": False},
                "invoices": {"read": True, "hidden": ["total"], "read_only": ["total"]},
            }
        )
    fields = _fields(caught.value)
    assert fields["widgets"].startswith("unknown entity")
    assert fields["leads.read"] == "must be true or false"
    assert fields["leads.read_scope"] == "must be own, team or all"
    assert fields["leads.colour"] == "unknown right"
    assert "id cannot be hidden" in caught.value.message
    assert "'Bad Name' is not a field name" in caught.value.message
    assert fields["orders.write_scope"].startswith("cannot be wider than read_scope")
    assert fields["products.read"] == "is needed by every other operation"
    assert fields["invoices.read_only"] == "a field is hidden or read-only, not both: total"


def test_rights_must_be_an_object() -> None:
    for bad in (None, [], {}, "leads"):
        with pytest.raises(ValidationFailed) as caught:
            clean_rights(bad)
        assert _fields(caught.value) == {"rights": "must be an object of entities"}


def test_hidden_fields_must_be_fields_of_the_entity() -> None:
    clean = clean_rights({"leads": {"read": True, "hidden": ["email", "shoe_size"]}})
    with pytest.raises(ValidationFailed) as caught:
        rights.check_fields_known(clean, {"leads": ["id", "email", "phone"]})
    assert _fields(caught.value) == {"leads.hidden": "no such field: shoe_size"}
    rights.check_fields_known(clean, {"leads": ["id", "email", "shoe_size"]})


def _r(ops: str, read: str, write: str, hidden=(), read_only=()) -> EntityRights:
    letters = {"c": "create", "r": "read", "u": "update", "d": "delete", "x": "export"}
    return EntityRights(
        frozenset(letters[c] for c in ops), read, write, frozenset(hidden), frozenset(read_only)
    )


def test_merge_adds_operations_and_takes_the_widest_scope() -> None:
    merged = merge_rights(
        [
            {"leads": _r("r", "own", "own")},
            {"leads": _r("ru", "team", "own"), "orders": _r("rx", "all", "team")},
            {"leads": _r("crd", "all", "team")},
        ]
    )
    assert merged["leads"].ops == {"create", "read", "update", "delete"}
    assert (merged["leads"].read, merged["leads"].write) == ("all", "team")
    assert merged["orders"] == _r("rx", "all", "team")


def test_a_field_stays_hidden_or_read_only_only_if_every_role_says_so() -> None:
    merged = merge_rights(
        [
            {
                "leads": _r(
                    "r", "team", "own", hidden={"email", "phone", "notes"}, read_only={"score"}
                )
            },
            {"leads": _r("ru", "team", "own", hidden={"email"}, read_only={"phone", "score"})},
            # a role with nothing on leads takes no part
            {"leads": _r("", "own", "own")},
        ]
    )
    assert merged["leads"].hidden == {"email"}
    # phone: hidden in one, read-only in the other: seen, never written
    assert merged["leads"].read_only == {"phone", "score"}


def test_compact_map_is_small_and_leaves_out_what_is_not_granted() -> None:
    compact = compact_rights(
        {
            "leads": _r("crudx", "team", "own", hidden={"email"}),
            "orders": _r("", "own", "own"),
        }
    )
    assert compact == {
        "leads": {"ops": "crudx", "read": "team", "write": "own", "hidden": ["email"]}
    }
    everything = compact_rights(rights.SEEDED_RIGHTS["sales_rep"])
    assert set(everything) == set(ENTITIES)
    # it goes with every call: kept well under half a kilobyte for a seeded role
    assert len(json.dumps(everything, separators=(",", ":"))) < 500


def test_the_seeded_rights_are_todays_defaults() -> None:
    """Every seeded role's rights give the answers the fixed roles gave before."""
    owners = [None, ME, OTHER]
    teams = [None, MY_TEAM, OTHER_TEAM]
    for spec in SEEDED_ROLES:
        user = {
            "id": ME,
            "email": "me@osprey.test",
            "full_name": "Me",
            "roles": [spec.name],
            "team_id": MY_TEAM,
            "locale": "en",
            "theme": "light",
        }
        legacy = Actor.from_dict(actor_dict(user, spec.permissions))
        assert legacy.rights is None
        configured = Actor.from_dict(
            actor_dict(user, spec.permissions, compact_rights(rights.SEEDED_RIGHTS[spec.name]))
        )
        for entity in ENTITIES:
            if entity == "products":
                continue  # not owned records: read by all, changed by catalogue managers
            for owner in owners:
                for team in teams:
                    assert configured.can_read(owner, team, entity) == legacy.can_read(owner, team)
                    assert configured.can_change(owner, team, entity) == legacy.can_change(
                        owner, team
                    ), (spec.name, entity, owner, team)
            for op in ("create", "read", "update", "delete", "export"):
                assert configured.may(entity, op)


def test_an_actor_without_rights_may_do_everything_as_before() -> None:
    system = Actor.system("processes")
    assert system.may("leads", "delete") and system.read_scope("leads") == "all"
    assert system.hidden("leads") == frozenset()
    rep = Actor.from_dict({"id": ME, "roles": ["sales_rep"], "team_id": MY_TEAM})
    assert (rep.read_scope("leads"), rep.write_scope("leads")) == ("team", "own")


def test_require_names_the_entity_and_the_operation() -> None:
    actor = Actor.from_dict(
        {
            "id": ME,
            "roles": ["sales_rep"],
            "rights": {"leads": {"ops": "r", "read": "own", "write": "own"}},
        }
    )
    assert actor.may("leads", "read") and not actor.may("leads", "export")
    with pytest.raises(PermissionDenied) as caught:
        actor.require("leads", "export")
    assert caught.value.message == "Your role may not export leads"
    # an entity the map leaves out grants nothing
    with pytest.raises(PermissionDenied, match="may not read orders"):
        actor.require("orders", "read")


def test_own_scope_reads_own_records_and_the_shared_queue() -> None:
    actor = Actor.from_dict(
        {
            "id": ME,
            "team_id": MY_TEAM,
            "rights": {"leads": {"ops": "r", "read": "own", "write": "own"}},
        }
    )
    assert actor.can_read(ME, OTHER_TEAM, "leads")
    assert actor.can_read(None, None, "leads")
    assert not actor.can_read(OTHER, MY_TEAM, "leads")
    assert not actor.can_change(None, None, "leads")
