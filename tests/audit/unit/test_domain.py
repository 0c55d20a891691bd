"""The audit trail's rules: the source of a change and the changes between two states."""

from __future__ import annotations

import pytest

from services.audit import domain
from services.platform.access import Actor


@pytest.mark.parametrize(
    ("actor", "source"),
    [
        (None, "system"),
        ({"id": "u1", "email": "a@x.io", "via": "web"}, "web"),
        ({"id": "u1", "email": "a@x.io", "via": "api"}, "api"),
        ({"id": "u1", "email": "a@x.io", "via": "import"}, "import"),
        ({"id": "u1", "email": "a@x.io", "via": "telepathy"}, "unknown"),
        ({"id": "u1", "email": "a@x.io"}, "unknown"),
        ({"id": domain.PROCESS_ACTOR_ID, "email": "processes@osprey.local"}, "process"),
        (Actor.system("mail").to_dict(), "sync"),
        (Actor.system("accounting").to_dict(), "sync"),
        (Actor.system("web-form").to_dict(), "web_form"),
        (Actor.system("orders").to_dict(), "system"),
    ],
)
def test_the_source_of_a_change(actor, source):
    assert domain.source_of(actor) == source


def test_the_process_actor_id_is_the_process_engines():
    from services.processes.domain import PROCESS_ACTOR_ID

    assert domain.PROCESS_ACTOR_ID == PROCESS_ACTOR_ID


def test_changes_between_two_states_skip_the_bookkeeping_fields():
    old = {"id": "1", "name": "A", "phone": None, "version": 1, "updated_at": "t1"}
    new = {"id": "1", "name": "B", "phone": "7", "version": 2, "updated_at": "t2"}
    assert domain.changes_between(old, new, ["name", "phone"]) == {
        "name": ["A", "B"],
        "phone": [None, "7"],
    }


def test_a_change_without_an_old_state_names_what_changed_with_old_unknown():
    new = {"id": "1", "name": "B", "phone": "7", "version": 2}
    assert domain.changes_between(None, new, ["phone"]) == {"phone": [None, "7"]}


def test_a_create_lists_the_fields_it_set():
    new = {"id": "1", "name": "B", "phone": None, "emails": [], "score": 0, "version": 1}
    assert domain.changes_between(None, new) == {"name": [None, "B"], "score": [None, 0]}


def test_a_changed_field_the_state_does_not_carry_is_listed_without_values():
    old = {"id": "1", "email": "a@x.io"}
    assert domain.changes_between(old, dict(old), ["password"]) == {"password": [None, None]}


def test_records_without_a_version_are_ordered_by_time():
    early = domain.order_of({"id": "1"}, "2026-12-07T10:00:00Z")
    late = domain.order_of({"id": "1"}, "2026-12-07T10:00:01Z")
    assert late > early > 10**15
    assert domain.order_of({"id": "1", "version": 3}, "2026-12-07T10:00:00Z") == 3


def test_every_event_names_a_known_entity_and_kind():
    assert set(domain.ENTITIES) == {
        "lead", "account", "contact", "opportunity", "activity",
        "product", "order", "invoice", "user", "team", "role",
    }  # fmt: skip
    assert {rule.kind for rule in domain.EVENTS.values()} == {"state", "delete", "merge"}
