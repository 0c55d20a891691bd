"""sales.batch: many creates and changes in one call, each checked as its single call is
(rights, scope, validation, look-alikes, idempotency keys), each its own transaction."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.platform.keyed_requests import count

TEAM_A, TEAM_B = new_id(), new_id()
REP = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_A}
# a role whose rights leave out creating contacts and changing activities
READER = {
    **REP,
    "id": new_id(),
    "rights": {
        "contacts": {"ops": "r", "read": "team", "write": "own"},
        "activities": {"ops": "cr", "read": "team", "write": "own"},
        "accounts": {"ops": "crud", "read": "team", "write": "own"},
    },
}


@pytest.fixture
def sales(container_factory: Any, service_config: dict) -> Any:
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def single(rpc: Any, entrypoint: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The single call's outcome in the batch's terms."""
    try:
        return {"ok": True, "result": getattr(rpc, entrypoint)(*args, **kwargs)}
    except EXPECTED as error:
        return {"ok": False, "error": {"type": type(error).__name__, **error.to_dict()}}


def test_a_batch_creates_and_changes_each_as_its_single_call(sales, service_config, db_engine):
    with ServiceRpcProxy("sales", service_config) as rpc:
        missing = new_id()
        vera = rpc.create_contact(
            {"full_name": "Vera Lind", "emails": [{"email": "v@x.test"}]}, REP
        )
        answers = rpc.batch(
            [
                {"entity": "contact", "op": "create", "data": {"full_name": "Ida Berg"}},
                # another team's record: refused as create_contact refuses it
                {
                    "entity": "contact",
                    "op": "create",
                    "data": {"full_name": "Al", "team_id": TEAM_B},
                },
                # a look-alike by email: refused with its candidates unless allowed
                {
                    "entity": "contact",
                    "op": "create",
                    "data": {"full_name": "V. Lind", "emails": [{"email": "v@x.test"}]},
                },  # noqa: E501
                {
                    "entity": "contact",
                    "op": "check_duplicates",
                    "data": {"full_name": "Someone", "emails": [{"email": "v@x.test"}]},
                },  # noqa: E501
                {
                    "entity": "contact",
                    "op": "update",
                    "id": vera["id"],
                    "data": {"job_title": "Buyer"},
                },  # noqa: E501
                {
                    "entity": "contact",
                    "op": "update",
                    "id": vera["id"],
                    "data": {},
                    "expected_version": 1,
                },  # noqa: E501
                {
                    "entity": "activity",
                    "op": "create",
                    "data": {"type": "meeting", "title": "Demo"},
                },
                {"entity": "activity", "op": "create", "data": {"type": "meeting"}},
                {"entity": "contact", "op": "get", "id": missing},
            ],
            actor=REP,
        )
        assert [a["ok"] for a in answers] == [
            True,
            False,
            False,
            True,
            True,
            False,
            True,
            False,
            False,
        ]
        assert answers[0]["result"]["full_name"] == "Ida Berg"
        assert answers[1]["error"]["type"] == "PermissionDenied"
        assert answers[2]["error"]["type"] == "DuplicatesFound"
        assert answers[2]["error"]["candidates"][0]["record"]["id"] == vera["id"]
        assert answers[3]["result"][0]["record"]["id"] == vera["id"]
        assert answers[4]["result"]["job_title"] == "Buyer"
        assert answers[5]["error"]["type"] == "Conflict"  # the version moved on: 2
        assert answers[6]["result"]["title"] == "Demo"
        assert answers[7]["error"]["type"] == "ValidationFailed"
        assert answers[8]["error"]["type"] == "NotFound"
        # the same refusals as the single calls give
        assert answers[1] == single(
            rpc, "create_contact", {"full_name": "Al", "team_id": TEAM_B}, REP
        )
        assert answers[8] == single(rpc, "get_contact", missing, REP)
    # each operation its own transaction: the refused ones left nothing behind
    assert count(db_engine, "SELECT count(*) FROM sales.contacts") == 2
    assert count(db_engine, "SELECT count(*) FROM sales.activities") == 1
    events = "SELECT count(*) FROM sales.outbox WHERE type = :t"
    assert count(db_engine, events, t="contact_created") == 2
    assert count(db_engine, events, t="contact_updated") == 1


def test_a_batch_applies_the_callers_rights_as_the_single_calls(sales, service_config):
    """Whatever rights the single entrypoints apply, the batch applies: its answers are
    theirs, operation by operation, for a role without some of the rights."""
    with ServiceRpcProxy("sales", service_config) as rpc:
        mine = rpc.create_activity({"type": "task", "title": "Mine"}, READER)
        cases = [
            ({"entity": "contact", "op": "create", "data": {"full_name": "Nina Roe"},
              "allow_duplicates": True},
             ("create_contact", {"full_name": "Nina Roe"})),
            ({"entity": "activity", "op": "update", "id": mine["id"], "data": {"title": "T"}},
             ("update_activity", mine["id"], {"title": "T"})),
            ({"entity": "account", "op": "create", "data": {"name": "Acme"},
              "allow_duplicates": True},
             ("create_account", {"name": "Acme"})),
        ]  # fmt: skip
        for operation, (entrypoint, *args) in cases:
            batched = rpc.batch([operation], actor=READER)[0]
            alone = single(
                rpc,
                entrypoint,
                *args,
                READER,
                **{k: True for k in operation if k == "allow_duplicates"},
            )
            if batched["ok"]:  # made once by the batch: the single call's is a second
                assert alone["ok"], (operation, alone)
                batched["result"].pop("id"), alone["result"].pop("id")
                for answer in (batched, alone):
                    for moving in ("created_at", "updated_at", "version", "changed_fields"):
                        answer["result"].pop(moving, None)
            assert batched == alone, operation


def test_a_malformed_batch_runs_nothing(sales, service_config, db_engine):
    with ServiceRpcProxy("sales", service_config) as rpc:
        for operations, field in [
            ({"entity": "contact"}, "operations"),
            ([{"entity": "contact", "op": "create", "data": {"full_name": "A"}}, {"op": "drop"}],
             "operations[1].op"),
            ([{"entity": "contact", "op": "update", "data": {}}], "operations[0].id"),
            ([{"entity": "contact", "op": "create", "data": {}, "colour": 1}],
             "operations[0].colour"),
            ([{"entity": "contact", "op": "get", "id": new_id()}] * 501, "operations"),
        ]:  # fmt: skip
            with pytest.raises(ValidationFailed) as exc:
                rpc.batch(operations, actor=REP)
            assert exc.value.errors[0]["field"] == field
    assert count(db_engine, "SELECT count(*) FROM sales.contacts") == 0
