"""The email activities' handlers under worker_factory: what each event asks of the store
and which activity event follows (the store itself runs on PostgreSQL in
tests/sales/integration/test_email_activities.py)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from nameko.testing.services import worker_factory

from services.platform.access import Actor
from services.sales import email_activities_store
from services.sales.email_activities import EmailActivitiesHandlers
from services.sales.models import metadata

EMAIL = "0193a000-0000-7000-8000-0000000000aa"
CONTACT = "0193a000-0000-7000-8000-000000000001"
USER = "0193a000-0000-7000-8000-0000000000ff"


@pytest.fixture
def handlers():
    service = worker_factory(EmailActivitiesHandlers)
    # The claim of the event (services.platform.idempotency) finds it new.
    service.db.processed_events = metadata.tables["sales.processed_events"]
    service.db.execute.return_value.first.return_value = ("claimed",)
    return service


def event(data, actor=None):
    return {"id": "0193a000-0000-7000-8000-0000000000ee", "data": data, "actor": actor}


def message(**more):
    return {"id": EMAIL, "subject": "Hi", "all_links": [{"type": "contact", "id": CONTACT}], **more}


def test_a_new_message_is_recorded_and_announced(handlers, monkeypatch):
    made = MagicMock(return_value=("record", None))
    monkeypatch.setattr(email_activities_store, "record_message", made)
    monkeypatch.setattr(
        "services.sales.activities_store.dump_activity", lambda db, record: {"id": "a1"}
    )
    handlers.handle_email_linked(event(message()))
    [call] = made.call_args_list
    assert call.args[1].links == (("contact", CONTACT),) and call.kwargs["drop"] == frozenset()
    assert call.kwargs["created_by"] == Actor.system().id  # the linking pass has no actor
    handlers.db.emit.assert_called_once_with("activity_created", {"id": "a1"}, actor=None)
    handlers.db.commit.assert_called_once_with()


def test_a_change_is_announced_with_its_fields_and_none_when_nothing_changed(handlers, monkeypatch):
    monkeypatch.setattr(
        "services.sales.activities_store.dump_activity", lambda db, record: {"id": "a1"}
    )
    monkeypatch.setattr(
        email_activities_store, "record_message", MagicMock(return_value=("r", ["links"]))
    )
    actor = {"id": USER, "email": "ann@osprey.test"}
    handlers.handle_email_sent(event({**message(), "links": message()["all_links"]}, actor))
    handlers.db.emit.assert_called_once_with(
        "activity_updated", {"id": "a1", "changed_fields": ["links"]}, actor=actor
    )
    handlers.db.emit.reset_mock()
    monkeypatch.setattr(email_activities_store, "record_message", MagicMock(return_value=("r", [])))
    handlers.handle_email_linked(event(message()))
    handlers.db.emit.assert_not_called()


def test_an_unlink_drops_the_removed_link_and_a_deleted_activity_is_announced(
    handlers, monkeypatch
):
    last = {"id": "a1", "type": "email"}
    made = MagicMock(return_value=(last, ["deleted"]))
    monkeypatch.setattr(email_activities_store, "record_message", made)
    data = {**message(all_links=[]), "links": [{"type": "contact", "id": CONTACT}]}
    handlers.handle_email_unlinked(event(data, {"id": USER}))
    assert made.call_args.kwargs["drop"] == frozenset({("contact", CONTACT)})
    assert made.call_args.kwargs["created_by"] == USER
    handlers.db.emit.assert_called_once_with("activity_deleted", last, actor={"id": USER})


def test_an_event_naming_no_message_only_commits_its_claim(handlers, monkeypatch):
    made = MagicMock()
    monkeypatch.setattr(email_activities_store, "record_message", made)
    handlers.handle_email_linked(event({"subject": "no id"}))
    made.assert_not_called()
    handlers.db.emit.assert_not_called()
    handlers.db.commit.assert_called_once_with()
