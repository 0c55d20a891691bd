"""Bulk actions' jobs in the imports service, with the real leads service: a job whose
runner died (its lease run out) is taken over and finished without doing again the
records whose results were stored; a job larger than a batch has each record checked
(a stale version, a record of someone else's refused, the others done once); a record
batch runs only a record's own calls; a job is its maker's alone; an ended job is
answered for an hour and then pruned; bad data is refused."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.integrations.imports import bulk
from services.integrations.imports.models import bulk_actions, bulk_records
from services.platform.errors import NotFound, ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id

from .test_imports_service import MANAGER, OTHER, call, count, services  # noqa: F401


def a_job(engine: sa.Engine, picked: list[tuple[str, int | None]], **values: Any) -> str:
    """A job as the imports service keeps it, written straight into its tables."""
    job_id = new_id()
    with engine.begin() as conn:
        conn.execute(
            bulk_actions.insert().values(**{
                "id": job_id, "owner_id": MANAGER["id"], "actor": MANAGER, "entity": "leads",
                "action": "update", "changes": {"notes": "taken over"}, "status": "queued",
                "total": len(picked), "created_at": utcnow(), **values,
            })
        )  # fmt: skip
        conn.execute(
            bulk_records.insert(),
            [{"job_id": job_id, "seq": n, "record_id": record_id, "version": version}
             for n, (record_id, version) in enumerate(picked)],
        )  # fmt: skip
    return job_id


def test_a_job_whose_runner_died_is_finished_without_redoing_stored_records(
    services,  # noqa: F811
    db_engine,
) -> None:
    imports, leads = services["imports"], services["leads"]
    made = [call(leads, "create_lead", {"contact_name": f"Bulk {n}"}, MANAGER) for n in range(4)]
    picked = [(lead["id"], lead["version"]) for lead in made]
    # the runner that had it died: its lease ran out after the first record's result
    # was stored (the lead itself is left as it was, so a redo would show)
    job_id = a_job(
        db_engine, picked, status="running", done=1,
        leased_until=utcnow() - timedelta(seconds=1), started_at=utcnow(),
    )  # fmt: skip
    with db_engine.begin() as conn:
        conn.execute(
            bulk_records.update()
            .where(bulk_records.c.job_id == job_id, bulk_records.c.seq == 0)
            .values(outcome="done")
        )
    deadline = time.monotonic() + 30
    job = call(imports, "get_bulk_action", job_id, MANAGER)
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
        job = call(imports, "get_bulk_action", job_id, MANAGER)
    assert (job["state"], job["total"], job["done"], job["refused"]) == ("done", 4, 4, 0)
    assert [r["id"] for r in job["results"]] == [lead["id"] for lead in made]
    assert job["finished_at"] is not None
    notes = [call(leads, "get_lead", lead["id"], MANAGER) for lead in made]
    assert notes[0]["version"] == made[0]["version"] and notes[0].get("notes") != "taken over"
    for before, after in zip(made[1:], notes[1:], strict=True):
        assert (after["notes"], after["version"]) == ("taken over", before["version"] + 1)
    # the maker's alone
    with pytest.raises(NotFound):
        call(imports, "get_bulk_action", job_id, OTHER)


def test_an_ended_job_is_answered_for_an_hour_then_pruned(services, db_engine) -> None:  # noqa: F811
    imports = services["imports"]
    some = [(new_id(), None)]
    ended = {"status": "done", "done": 1}
    old = a_job(db_engine, some, finished_at=utcnow() - timedelta(minutes=61), **ended)
    recent = a_job(db_engine, some, finished_at=utcnow() - timedelta(minutes=59), **ended)
    assert call(imports, "get_bulk_action", recent, MANAGER)["state"] == "done"
    with pytest.raises(NotFound):
        call(imports, "get_bulk_action", old, MANAGER)
    call(imports, "prune_bulk_actions")
    left = f"SELECT count(*) FROM imports.bulk_actions WHERE id IN ('{old}', '{recent}')"
    assert count(db_engine, left) == 1
    assert (
        count(db_engine, f"SELECT count(*) FROM imports.bulk_records WHERE job_id = '{old}'") == 0
    )
    with pytest.raises(NotFound):
        call(imports, "get_bulk_action", "not-a-job", MANAGER)


def test_bad_data_is_refused_naming_the_field(services) -> None:  # noqa: F811
    imports = services["imports"]
    some = new_id()
    cases = [
        ({"entity": "planets", "action": "update", "ids": [some]}, "entity"),
        ({"entity": "leads", "action": "paint", "ids": [some]}, "action"),
        ({"entity": "activities", "action": "post", "text": "hi", "ids": [some]}, "action"),
        ({"entity": "leads", "action": "delete"}, "ids"),
        ({"entity": "leads", "action": "delete", "ids": ["nope"]}, "ids"),
        ({"entity": "leads", "action": "delete", "ids": [some], "versions": {some: "2"}},
         "versions"),
    ]  # fmt: skip
    for data, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            call(imports, "create_bulk_action", data, MANAGER)
        assert caught.value.errors[0]["field"] == field, data
    with pytest.raises(ValidationFailed) as caught:
        call(imports, "run_bulk_action",
             {"entity": "leads", "action": "delete", "ids": [new_id() for _ in range(21)]},
             MANAGER)  # fmt: skip
    assert caught.value.errors[0]["field"] == "ids"


def test_a_job_larger_than_a_chunk_checks_each_record_in_its_batch(services) -> None:  # noqa: F811
    imports, leads = services["imports"], services["leads"]
    stranger = {"id": new_id(), "email": "sam@osprey.test", "roles": ["sales_rep"],
                "team_id": new_id()}  # fmt: skip
    size = bulk.CHUNK * 2 + 3  # three batches, the last a short one
    made = [call(leads, "create_lead", {"contact_name": f"Chunk {n}"}, MANAGER)
            for n in range(size)]  # fmt: skip
    theirs = call(leads, "create_lead", {"contact_name": "Not the manager's"}, stranger)
    stale = made[bulk.CHUNK + 1]  # in the second batch, changed since it was seen
    call(leads, "update_lead", stale["id"], {"notes": "meanwhile"}, MANAGER)
    ids = [lead["id"] for lead in made] + [theirs["id"]]
    versions = {lead["id"]: lead["version"] for lead in made}
    job = call(imports, "create_bulk_action", {"entity": "leads", "action": "update",
               "ids": ids, "versions": versions, "changes": {"notes": "in batches"}},
               MANAGER)  # fmt: skip
    deadline = time.monotonic() + 60
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = call(imports, "get_bulk_action", job["id"], MANAGER)
    assert (job["state"], job["total"], job["done"], job["refused"]) == ("done", size + 1,
                                                                         size - 1, 2)  # fmt: skip
    assert [r["id"] for r in job["results"]] == ids  # each once, in the selection's order
    refused = {r["id"]: r["status"] for r in job["results"] if r["outcome"] == "refused"}
    assert refused == {stale["id"]: 409, theirs["id"]: 404}
    for lead in made:
        now = call(leads, "get_lead", lead["id"], MANAGER)
        if lead is stale:
            assert (now["notes"], now["version"]) == ("meanwhile", lead["version"] + 1)
        else:
            assert (now["notes"], now["version"]) == ("in batches", lead["version"] + 1)
    assert call(leads, "get_lead", theirs["id"], stranger).get("notes") != "in batches"


def test_a_record_batch_runs_only_a_records_own_calls(services) -> None:  # noqa: F811
    leads = services["leads"]
    lead = call(leads, "create_lead", {"contact_name": "Batch of one"}, MANAGER)
    answers = call(leads, "run_record_batch", "update_lead",
                   [{"args": [lead["id"], {"notes": "one"}]},
                    {"args": [lead["id"], {"notes": "two"}], "kwargs": {"expected_version": 1}},
                    {"args": [new_id(), {"notes": "none"}]}], MANAGER)  # fmt: skip
    assert [a["ok"] for a in answers] == [True, False, False]
    assert [a.get("status") for a in answers[1:]] == [409, 404]
    assert call(leads, "get_lead", lead["id"], MANAGER)["notes"] == "one"
    for method, calls in (("create_lead", [{"args": [{"contact_name": "x"}]}]),
                          ("list_leads", [{"args": [{}]}]), ("nothing_such", []),
                          ("get_lead", [{"args": [lead["id"]], "kwargs": {"actor": OTHER}}]),
                          ("get_lead", "not a list")):  # fmt: skip
        with pytest.raises(ValidationFailed):
            call(leads, "run_record_batch", method, calls, MANAGER)
