"""The feed entrypoints with their dependencies replaced (``worker_factory``): input is
checked before the database, only the author edits, a stale version is a conflict, and
a change is written with its stream item, its event and one commit."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from services.feed.service import FeedService
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)

ANN = {"id": "00000000-0000-7000-8000-00000000000a", "roles": ["sales_rep"]}
BOB = {"id": "00000000-0000-7000-8000-00000000000b", "roles": ["sales_rep"]}
ADMIN = {"id": "00000000-0000-7000-8000-00000000000c", "roles": ["admin"]}
POST_ID = "00000000-0000-7000-8000-000000000100"
CHANNEL_ID = "00000000-0000-7000-8000-000000000200"


@pytest.fixture
def service():
    feed = worker_factory(FeedService)
    # The stream items of a transaction wait in the session's info until the commit.
    feed.db.info = {}
    return feed


def a_post(**values: Any) -> SimpleNamespace:
    post = {
        "id": POST_ID,
        "channel_id": CHANNEL_ID,
        "related_type": None,
        "related_id": None,
        "text": "hello",
        "html": "<p>hello</p>",
        "author_id": ANN["id"],
        "kind": "user",
        "event_type": None,
        "mentions": [],
        "attachment_ids": [],
        "like_count": 0,
        "comment_count": 0,
        "is_pinned": False,
        "created_at": datetime(2026, 11, 26, tzinfo=UTC),
        "edited_at": None,
        "version": 2,
    }
    post.update(values)
    return SimpleNamespace(**post)


def stored(service: Any, row: Any) -> None:
    """The row every read finds."""
    service.db.execute.return_value.first.return_value = row
    service.db.execute.return_value.one.return_value = SimpleNamespace(
        id=CHANNEL_ID, is_private=False
    )


def emitted(service: Any) -> list[str]:
    return [c.args[0] for c in service.db.emit.call_args_list]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("hello", "body"),
        ({"text": ""}, "text"),
        ({"text": "hi", "channel_id": CHANNEL_ID, "colour": "red"}, "colour"),
        ({"text": "hi"}, "channel_id"),
        ({"text": "hi", "channel_id": CHANNEL_ID, "related": {"type": "lead"}}, "channel_id"),
        ({"text": "hi", "related": {"type": "spaceship", "id": POST_ID}}, "related"),
    ],
)
def test_a_bad_post_is_refused_before_the_database(service, data: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        service.create_post(data, actor=ANN)
    assert exc.value.errors[0]["field"] == field
    assert service.db.method_calls == []


def test_calls_without_a_caller_are_refused(service) -> None:
    for call in (
        lambda: service.create_post({"text": "hi", "channel_id": CHANNEL_ID}, actor=None),
        lambda: service.list_feed(actor={}),
        lambda: service.like_post(POST_ID, actor=None),
    ):
        with pytest.raises(Unauthenticated):
            call()
    assert service.db.method_calls == []


def test_a_post_id_that_is_not_a_uuid_is_not_found_without_a_query(service) -> None:
    with pytest.raises(NotFound) as exc:
        service.get_post("42", actor=ANN)
    assert exc.value.errors == [{"field": "post_id", "message": "no such post"}]
    assert service.db.method_calls == []


def test_a_bad_page_size_is_refused(service) -> None:
    with pytest.raises(ValidationFailed) as exc:
        service.list_feed({"limit": 501}, actor=ANN)
    assert exc.value.errors == [{"field": "limit", "message": "1..500"}]
    with pytest.raises(ValidationFailed):
        service.list_feed({"limit": "many"}, actor=ANN)
    assert service.db.method_calls == []


def test_only_the_author_edits_a_post(service) -> None:
    stored(service, a_post())
    with pytest.raises(PermissionDenied):
        service.update_post(POST_ID, {"text": "mine now"}, actor=BOB)
    service.db.commit.assert_not_called()
    service.db.emit.assert_not_called()


def test_a_stale_version_of_a_post_is_a_conflict(service) -> None:
    stored(service, a_post(version=3))
    with pytest.raises(Conflict) as exc:
        service.update_post(POST_ID, {"text": "edit"}, actor=ANN, expected_version=2)
    assert str(exc.value) == "The post was changed meanwhile (version 3, not 2)"
    assert exc.value.errors == [{"field": "version", "message": "is 3, not 2"}]
    service.db.commit.assert_not_called()


def test_a_stale_version_of_a_comment_is_a_conflict(service) -> None:
    comment = SimpleNamespace(id=POST_ID, author_id=ANN["id"], version=5, mentions=[])
    stored(service, comment)
    with pytest.raises(Conflict) as exc:
        service.delete_comment(POST_ID, POST_ID, actor=ANN, expected_version=4)
    assert str(exc.value) == "The comment was changed meanwhile (version 5, not 4)"
    service.db.commit.assert_not_called()


def test_deleting_a_post_writes_its_stream_item_and_event_with_one_commit(service) -> None:
    stored(service, a_post())
    # The stream counter's row: the last seq handed out after this transaction's items.
    service.db.execute.return_value.scalar_one_or_none.return_value = 41
    assert service.delete_post(POST_ID, actor=ANN, expected_version=2) is None
    gone = {"id": POST_ID, "channel_id": CHANNEL_ID, "related": None}
    assert emitted(service) == ["post_deleted", "stream_item_added"]
    assert service.db.emit.call_args_list[0].args[1] == gone
    item = service.db.emit.call_args_list[1].args[1]
    assert (item["seq"], item["type"], item["data"]) == (41, "post_deleted", gone)
    assert item["audience"] == {"kind": "all"}
    service.db.commit.assert_called_once_with()
    assert service.db.info == {}


def test_nobody_but_the_author_a_channel_admin_or_an_administrator_deletes_a_post(service) -> None:
    stored(service, a_post(channel_id=None, related_type="lead", related_id=POST_ID))
    with pytest.raises(PermissionDenied):
        service.delete_post(POST_ID, actor=BOB)
    service.db.commit.assert_not_called()


def test_only_posts_in_channels_are_pinned(service) -> None:
    stored(service, a_post(channel_id=None, related_type="lead", related_id=POST_ID))
    with pytest.raises(Conflict) as exc:
        service.pin_post(POST_ID, actor=ADMIN)
    assert exc.value.errors == [{"field": "post_id", "message": "not in a channel"}]
    service.db.commit.assert_not_called()


def test_unliking_a_post_not_liked_changes_nothing_but_answers(service) -> None:
    stored(service, a_post(like_count=4))
    service.db.execute.return_value.first.side_effect = [a_post(like_count=4), None]
    assert service.unlike_post(POST_ID, actor=BOB) == {"like_count": 4, "liked_by_me": False}
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once_with()


def test_only_administrators_change_system_post_settings(service) -> None:
    with pytest.raises(PermissionDenied):
        service.set_system_post_setting("opportunity_won", {"enabled": False}, actor=ANN)
    with pytest.raises(NotFound):
        service.set_system_post_setting("lead_sneezed", {"enabled": False}, actor=ADMIN)
    with pytest.raises(ValidationFailed):
        service.set_system_post_setting("opportunity_won", {"enabled": "no"}, actor=ADMIN)
    assert service.db.method_calls == []
