"""Reports, section charts and the Results page through the public API, every service
its own process: leads made over HTTP reach the analytics read models by their events.

The stack keeps its data between tests, so every figure here is over leads with a
fresh source word nobody else uses.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Login
from .test_leads_api import World, create_lead, fields, problem, word

pytestmark = pytest.mark.e2e


def run(client: httpx.Client, **spec: Any) -> list[dict[str, Any]]:
    response = client.post("/api/v1/reports/run", json=spec)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def eventually(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_report_counts_what_the_reader_may_read(world: World, login: Login) -> None:
    source = word()
    a1 = login(world.rep_a1.email, world.rep_a1.password)
    b1 = login(world.rep_b1.email, world.rep_b1.password)
    for n in range(3):
        create_lead(a1, contact_name=f"Ann {n}", source=source, channel="web")
    create_lead(b1, contact_name="Bob", source=source, channel="phone")
    spec = {"entity": "leads", "group_by": ["channel"], "filters": {"source": source}}
    eventually(
        lambda: (
            run(world.admin, **spec)
            == [
                {"channel": "phone", "count": 1},
                {"channel": "web", "count": 3},
            ]
        ),
        "the four leads in the report",
    )
    assert run(a1, **spec) == [{"channel": "web", "count": 3}]
    assert run(b1, **spec) == [{"channel": "phone", "count": 1}]

    funnel = world.admin.get("/api/v1/charts/lead-funnel", params={"filter[source]": source})
    assert funnel.status_code == 200, funnel.text
    assert funnel.json()["stages"][0] == {
        "stage": "qualification",
        "count": 4,
        "conversion_rate": None,
        "average_seconds": None,
    }
    deals = world.admin.get("/api/v1/charts/deals", params={"filter[currency]": "XTS"})
    assert deals.status_code == 200 and deals.json()["won"] == 0


def test_saved_reports_over_http_and_their_problems(admin: httpx.Client) -> None:
    created = admin.post(
        "/api/v1/reports",
        json={"name": "Leads per month", "entity": "leads", "group_by": ["created_at:month"]},
    )
    assert created.status_code == 201, created.text
    report = created.json()
    assert created.headers["location"] == f"/api/v1/reports/{report['id']}"
    assert report["group_by"] == [{"field": "created_at", "bucket": "month"}]
    ran = admin.post(f"/api/v1/reports/{report['id']}/run")
    assert ran.status_code == 200 and ran.json()["rows"][0]["count"] >= 1
    changed = admin.patch(
        f"/api/v1/reports/{report['id']}", json={"chart": "line"}, headers={"If-Match": "1"}
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    problem(
        admin.patch(
            f"/api/v1/reports/{report['id']}", json={"chart": "bar"}, headers={"If-Match": "1"}
        ),
        409,
    )
    assert fields(
        problem(admin.post("/api/v1/reports/run", json={"entity": "passwords"}), 422)
    ) == {"entity"}
    bad_filter = admin.post(
        "/api/v1/reports/run",
        json={"entity": "opportunities", "filters": {"amount": "lots"}},
    )
    assert fields(problem(bad_filter, 422)) == {"filters.amount"}
    assert admin.delete(f"/api/v1/reports/{report['id']}").status_code == 204
    problem(admin.get(f"/api/v1/reports/{report['id']}"), 404)


def test_the_results_page_is_osprey_s_until_the_user_saves_one(world: World, login: Login) -> None:
    rep = login(world.rep_a2.email, world.rep_a2.password)
    page = rep.get("/api/v1/dashboards/results").json()
    assert page["source"] == "built_in" and page["widgets"]
    saved = rep.put(
        "/api/v1/dashboards/results",
        json={
            "widgets": [
                {
                    "kind": "chart",
                    "title": "My leads by source",
                    "report": {"entity": "leads", "group_by": ["source"], "chart": "pie"},
                    "x": 0,
                    "y": 0,
                    "w": 6,
                    "h": 4,
                }
            ]
        },
    )
    assert saved.status_code == 200, saved.text
    assert rep.get("/api/v1/dashboards/results").json()["source"] == "mine"
    problem(rep.put("/api/v1/dashboards/team-results", json={"widgets": []}), 403)


def test_osprey_analytics_rebuild_gives_the_same_figures(admin: httpx.Client, stack: Any) -> None:
    source = word()
    for n in range(2):
        create_lead(admin, contact_name=f"Rebuilt {n}", source=source)
    spec = {"entity": "leads", "filters": {"source": source}}
    eventually(lambda: run(admin, **spec) == [{"count": 2}], "the two leads in the report")
    before = run(admin, entity="leads", group_by=["stage", "source"])
    done = subprocess.run(
        [str(Path(sys.executable).with_name("osprey")), "analytics", "rebuild"],
        env={**stack.env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Rebuilt: lead " in done.stdout
    assert run(admin, entity="leads", group_by=["stage", "source"]) == before


def test_a_report_exported_to_excel_over_http(world: World, login: Login) -> None:
    from tests.analytics.sheet import read_sheet

    source = word()
    a1 = login(world.rep_a1.email, world.rep_a1.password)
    b1 = login(world.rep_b1.email, world.rep_b1.password)
    for n in range(2):
        create_lead(a1, contact_name=f"Excel {n}", source=source)
    create_lead(b1, contact_name="Excel B", source=source)
    spec = {"entity": "leads", "group_by": ["owner_id"], "filters": {"source": source}}
    eventually(lambda: len(run(world.admin, **spec)) == 2, "the three leads in the report")
    me = a1.get("/api/v1/me").json()

    answer = a1.post("/api/v1/reports/export", params={"name": "Лиды по владельцам"}, json=spec)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%D0%9B%D0%B8%D0%B4%D1%8B" in disposition
    _name, rows = read_sheet(answer.content)
    assert [c.value for c in rows[0]] == ["Owner", "Count"]
    # only the rep's team's leads, the owner by name
    assert [[c.value for c in row] for row in rows[1:]] == [[me["full_name"], 2.0]]

    saved = a1.post("/api/v1/reports", json={"name": "Excel leads", **spec}).json()
    got = a1.get(f"/api/v1/reports/{saved['id']}/export")
    assert (
        got.status_code == 200
        and 'filename="Excel leads.xlsx"' in (got.headers["content-disposition"])
    )
    problem(b1.get(f"/api/v1/reports/{saved['id']}/export"), 404)
    bad = a1.post("/api/v1/reports/export", json={"entity": "leads", "group_by": ["score"]})
    assert fields(problem(bad, 422)) == {"group_by[0]"}


def test_the_funnel_and_the_loss_reasons_open_exactly_their_records(
    world: World, login: Login
) -> None:
    source = word()
    a1 = login(world.rep_a1.email, world.rep_a1.password)
    made = [create_lead(a1, contact_name=f"Funnel {n}", source=source) for n in range(3)]
    dropped = a1.post(f"/api/v1/leads/{made[0]['id']}/disqualify", json={"reason": "no_budget"})
    assert dropped.status_code == 200, dropped.text

    def funnel() -> dict[str, int]:
        answer = a1.get("/api/v1/charts/lead-funnel", params={"filter[source]": source})
        return {s["stage"]: s["count"] for s in answer.json()["stages"]}

    eventually(lambda: funnel()["qualification"] == 3, "the three leads in the funnel")
    reached = a1.get(
        "/api/v1/leads",
        params={"filter[source]": source, "filter[reached_stage]": "qualification"},
    ).json()
    assert reached["total"] == 3  # the one disqualified since too
    still = a1.get(
        "/api/v1/leads", params={"filter[source]": source, "filter[stage]": "qualification"}
    ).json()
    assert still["total"] == 2
    meta = a1.get("/api/v1/meta/entities").json()["entities"]
    assert "reached_stage" in {f["name"] for f in meta["leads"]["filters"]}
    assert next(f for f in meta["opportunities"]["fields"] if f["name"] == "lost_reason")[
        "filterable"
    ]

    reason = f"Too dear {word()}"
    deals = []
    for n in range(2):
        created = a1.post(
            "/api/v1/opportunities", json={"title": f"Lost {n}", "owner_id": world.rep_a1.id}
        )
        assert created.status_code == 201, created.text
        deals.append(created.json())
        lost = a1.post(f"/api/v1/opportunities/{deals[-1]['id']}/lose", json={"reason": reason})
        assert lost.status_code == 200, lost.text

    def reasons() -> dict[str | None, int]:
        answer = a1.get("/api/v1/charts/deals", params={"filter[lost_reason]": reason})
        return {r["reason"]: r["count"] for r in answer.json()["lost_reasons"]}

    eventually(lambda: reasons() == {reason: 2}, "the two losses in the figures")
    listed = a1.get(
        "/api/v1/opportunities",
        params={"filter[status]": "lost", "filter[lost_reason]": reason},
    ).json()["items"]
    assert {d["id"] for d in listed} == {d["id"] for d in deals}
