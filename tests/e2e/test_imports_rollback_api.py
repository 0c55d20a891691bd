"""The rollback of a leads import through the whole stack (issue 16): the leads it made
go in one bulk delete (``leads_deleted``), the lead it updated gets its values back,
and none of the consumers keeps anything of the deleted leads — the audit trail ends
each, analytics tombstones each and drops its stays, the feed keeps no follow and no
ref of a lead without posts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.platform.db import create_db_engine
from tests.integrations.imports_files import write_csv
from tests.support.stack import Stack

from .test_imports_api import upload, wait_done
from .test_leads_api import word

pytestmark = pytest.mark.e2e

ROWS = 60


def until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return value


def test_a_rolled_back_import_leaves_nothing_behind(
    admin: httpx.Client, stack: Stack, tmp_path: Path
) -> None:
    marker = word()
    kept = admin.post(
        "/api/v1/leads",
        json={"contact_name": f"Kept {marker}", "email": f"kept.{marker}@firma.test",
              "region": "Moscow"},
    )  # fmt: skip
    assert kept.status_code == 201, kept.text
    rows = [["Name", "Email", "Region"], [f"Kept again {marker}", f"kept.{marker}@firma.test",
                                          "Tver"]]  # fmt: skip
    rows += [[f"Person {n} {marker}", f"p{n}.{marker}@firma.test", ""] for n in range(ROWS)]
    created = upload(admin, "leads", write_csv(tmp_path / "leads.csv", rows, "utf-8", ","))
    assert created.status_code == 201, created.text
    job = created.json()
    options = {"options": {"match_on": ["email"], "on_duplicate": "update"}}
    assert admin.patch(f"/api/v1/imports/{job['id']}", json=options).status_code == 200
    assert admin.post(f"/api/v1/imports/{job['id']}/start").status_code == 200
    done = wait_done(admin, job["id"], ("done", "failed"))
    assert done["counts"]["created"] == ROWS and done["counts"]["updated"] == 1

    engine = create_db_engine(stack.database_url)
    try:

        def scalar(sql: str) -> Any:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), {"m": f"%{marker}%"}).scalar_one()

        ids_sql = "SELECT id FROM leads.leads WHERE contact_name LIKE :m AND email LIKE 'p%'"
        ids = [str(i) for i in _all(engine, ids_sql, marker)]
        assert len(ids) == ROWS
        in_ids = f"CAST(ARRAY[{', '.join(repr(i) for i in ids)}] AS uuid[])"
        consumers = {
            "audit created": f"SELECT count(*) FROM audit.entries WHERE entity = 'lead'"
            f" AND action = 'created' AND record_id = ANY({in_ids})",
            "analytics kept": "SELECT count(*) FROM analytics.records WHERE entity = 'lead'"
            f" AND NOT deleted AND id = ANY({in_ids})",
            "analytics stays": "SELECT count(*) FROM analytics.stage_periods"
            f" WHERE entity = 'lead' AND record_id = ANY({in_ids})",
            "feed refs": "SELECT count(*) FROM feed.record_refs WHERE type = 'lead'"
            f" AND id = ANY({in_ids})",
            "feed follows": "SELECT count(*) FROM feed.subscriptions"
            f" WHERE target_type = 'lead' AND target_id = ANY({in_ids})",
        }
        for what, sql in consumers.items():
            until(lambda sql=sql: scalar(sql) == ROWS, f"{what}: every imported lead")

        rolled = admin.post(f"/api/v1/imports/{job['id']}/rollback")
        assert rolled.status_code == 200, rolled.text
        assert wait_done(admin, job["id"], ("rolled_back",))["counts"]["rolled_back"] == ROWS + 1

        # the leads service: the created leads gone, the updated one as it was
        assert scalar("SELECT count(*) FROM leads.leads WHERE contact_name LIKE :m") == 1
        lead = admin.get(f"/api/v1/leads/{kept.json()['id']}").json()
        assert (lead["contact_name"], lead["region"]) == (f"Kept {marker}", "Moscow")
        # one batch event for the deleted leads, no lead_deleted each
        assert scalar(
            "SELECT count(*) FROM leads.outbox WHERE type = 'lead_deleted'"
            f" AND (envelope->'data'->>'id')::uuid = ANY({in_ids})"
        ) == 0  # fmt: skip
        # the consumers
        ended = (
            "SELECT count(*) FROM audit.entries WHERE entity = 'lead' AND action = 'deleted'"
            f" AND event = 'leads_deleted' AND record_id = ANY({in_ids})"
        )
        until(lambda: scalar(ended) == ROWS, "audit: every deleted lead's end")
        for what, sql in consumers.items():
            if what != "audit created":
                until(lambda sql=sql: scalar(sql) == 0, f"{what}: none of the deleted leads")
        listed = admin.get("/api/v1/leads", params={"q": f"Person 1 {marker}"}).json()
        assert listed["items"] == []
    finally:
        engine.dispose()


def _all(engine: sa.Engine, sql: str, marker: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), {"m": f"%{marker}%"}).scalars())
