"""What a user does with Osprey's analytics screens, in a real browser against the stack:
build a report, see its chart and table, save it, put it on the Results page and drill
from a bar into the records behind it."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.analytics.sheet import read_sheet
from tests.web.conftest import ARTIFACTS, Site, sign_in


def make_leads(api: httpx.Client, counts: dict[str, int], tag: str) -> None:
    for source, count in counts.items():
        for n in range(count):
            response = api.post(
                "/api/v1/leads", json={"contact_name": f"Analytics {tag} {n}", "source": source}
            )
            assert response.status_code == 201, response.text


def wait_for_counts(api: httpx.Client, spec: dict, expected: dict[str, int]) -> None:
    """Analytics keeps its read models from events: poll until the report counts the
    leads the test made (the screens read the same reports)."""
    deadline = time.monotonic() + 30
    while True:
        response = api.post("/api/v1/reports/run", json=spec)
        assert response.status_code == 200, response.text
        counts = {row["source"]: row["count"] for row in response.json()["rows"]}
        if counts == expected:
            return
        assert time.monotonic() < deadline, f"analytics never counted the leads: {counts}"
        time.sleep(0.2)


def painted_pixels(canvas: Locator) -> int:
    """How many pixels of the canvas are not transparent (0: nothing was drawn)."""
    return canvas.evaluate(
        """c => {
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
          return n;
        }"""
    )


def count_cell(table: Locator, label: str) -> Locator:
    return table.locator("tbody tr").filter(has_text=label).locator("td[data-key=count]")


def test_build_a_report_save_it_put_it_on_results_and_drill_into_a_bar(
    page: Page, site: Site
) -> None:
    tag = uuid.uuid4().hex[:8]
    fair, web = f"fair-{tag}", f"web-{tag}"
    spec = {"entity": "leads", "group_by": ["source"], "filters": {"source": f"{fair},{web}"}}
    with site.api() as api:
        make_leads(api, {fair: 3, web: 1}, tag)
        wait_for_counts(api, spec, {fair: 3, web: 1})

    # The builder: leads by source (its defaults), only this test's sources.
    sign_in(page, site, "/reports/new")
    builder = page.get_by_role("form", name="Report builder")
    expect(builder.get_by_label("Records")).to_have_value("leads")
    expect(builder.get_by_label("Group by field")).to_have_value("source")
    builder.get_by_role("button", name="Add a filter").click()
    builder.get_by_label("Field", exact=True).select_option("source")
    builder.get_by_label("Value", exact=True).fill(f"{fair},{web}")
    builder.get_by_role("button", name="Run").click()

    result = page.get_by_role("region", name="Result")
    canvas = result.locator("canvas[data-drawn=true]")
    expect(canvas).to_be_visible()
    assert painted_pixels(canvas) > 500
    table = result.get_by_role("table")
    expect(count_cell(table, fair)).to_have_text("3")
    expect(count_cell(table, web)).to_have_text("1")
    expect(table.locator("tbody tr")).to_have_count(2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analytics-builder.png"), full_page=True)

    name = f"Leads by source {tag}"
    builder.get_by_label("Name", exact=True).fill(name)
    builder.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/reports/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    report_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        saved = api.get(f"/api/v1/reports/{report_id}").json()
    assert saved["name"] == name
    assert saved["filters"] == {"source": f"{fair},{web}"}
    assert [g["field"] for g in saved["group_by"]] == ["source"]

    # The Results page: a widget from the saved report.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Results").click()
    page.wait_for_url(re.compile(r"/results$"))
    page.get_by_role("button", name="Add a widget").click()
    dialog = page.get_by_role("dialog", name="Add a widget")
    dialog.get_by_label("Saved report").select_option(label=name)
    expect(dialog.get_by_label("Title")).to_have_value(name)
    dialog.get_by_role("button", name="Add a widget").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()

    widget = page.get_by_role("region", name=name)
    drawn = widget.locator("canvas[data-drawn=true]")
    expect(drawn).to_be_visible()
    drawn.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analytics-results.png"), full_page=True)
    with site.api() as api:
        results = api.get("/api/v1/dashboards/results").json()
    assert results["source"] == "mine"
    [kept] = [w for w in results["widgets"] if w["title"] == name]
    assert kept["kind"] == "chart" and kept["report"]["entity"] == "leads"

    # Kept across a reload, then a click on the fair's bar opens its leads.
    page.reload()
    drawn = page.get_by_role("region", name=name).locator("canvas[data-drawn=true]")
    expect(drawn).to_be_visible()
    drawn.scroll_into_view_if_needed()
    points = {p["label"]: p for p in json.loads(drawn.get_attribute("data-points") or "[]")}
    assert set(points) == {fair, web}
    drawn.click(position={"x": points[fair]["x"], "y": points[fair]["y"]})
    page.wait_for_url(re.compile(r"/leads\?f\.source=" + re.escape(fair) + "$"))
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "3")
    rows = page.get_by_role("table", name="Leads").locator(".grid-body [role=row]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(f"Analytics {tag}")


def test_a_sections_chart_view_counts_the_lists_filter_and_drills_down(
    page: Page, site: Site
) -> None:
    tag = uuid.uuid4().hex[:8]
    fair, web = f"fair-{tag}", f"web-{tag}"
    with site.api() as api:
        make_leads(api, {fair: 2, web: 1}, tag)
        wait_for_counts(
            api,
            {"entity": "leads", "group_by": ["source"], "filters": {"source": f"{fair},{web}"}},
            {fair: 2, web: 1},
        )

    sign_in(page, site, f"/leads?f.source={fair},{web}")
    page.get_by_role("navigation", name="Show as").get_by_role("link", name="Chart").click()
    page.wait_for_url(re.compile(r"/leads\?.*show=chart"))
    by_source = page.get_by_role("region", name="Count by Source")
    expect(by_source.locator("canvas[data-drawn=true]")).to_be_visible()
    table = by_source.get_by_role("table")
    expect(count_cell(table, fair)).to_have_text("2")
    expect(count_cell(table, web)).to_have_text("1")
    expect(page.get_by_role("region", name="Qualification funnel")).to_be_visible()

    # A row of the figures' table opens the list of its records.
    table.get_by_role("link", name=web).click()
    page.wait_for_url(re.compile(r"/leads\?f\.source=" + re.escape(web) + "$"))
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "1")

    # A month opens the list of that month's days, the list's filter kept.
    page.go_back()
    by_month = page.get_by_role("region", name="Count by Created (month)")
    now = datetime.now(UTC)
    latest = by_month.get_by_role("row").filter(has_text=str(now.year)).last
    latest.get_by_role("link").click()
    month = now.strftime("%Y-%m")
    page.wait_for_url(re.compile(rf"/leads\?.*f\.created_at={month}-01\.\.{month}-\d\d"))
    assert parse_qs(urlparse(page.url).query)["f.source"] == [f"{fair},{web}"]
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "3")


def test_the_charts_read_in_russian_and_in_the_dark_theme(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    fair = f"fair-{tag}"
    with site.api() as api:
        make_leads(api, {fair: 2}, tag)
        wait_for_counts(
            api,
            {"entity": "leads", "group_by": ["source"], "filters": {"source": fair}},
            {fair: 2},
        )
        me = api.get("/api/v1/me").json()
        changed = api.patch("/api/v1/me", json={"theme": "dark", "locale": "ru"})
        assert changed.status_code == 200, changed.text
    try:
        sign_in(page, site, f"/leads?f.source={fair}&show=chart")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        switch = page.get_by_role("navigation", name="Показать как")
        expect(switch.get_by_role("link", name="Диаграмма")).to_have_attribute(
            "aria-current", "page"
        )
        by_source = page.get_by_role("region", name="Количество по полю «Источник»")
        canvas = by_source.locator("canvas[data-drawn=true]")
        expect(canvas).to_be_visible()
        assert painted_pixels(canvas) > 500
        expect(count_cell(by_source.get_by_role("table"), fair)).to_have_text("2")
        funnel = page.get_by_role("region", name="Воронка квалификации")
        expect(funnel.get_by_role("columnheader", name="Среднее время на этапе")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "analytics-leads-chart-ru-dark.png"))

        page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Итоги").click()
        expect(page.get_by_role("heading", name="Итоги")).to_be_visible()
        expect(page.get_by_role("button", name="Добавить виджет")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "analytics-results-ru-dark.png"))
    finally:
        with site.api() as api:
            back = {"theme": me.get("theme") or "light", "locale": me.get("locale") or "en"}
            assert api.patch("/api/v1/me", json=back).status_code == 200


def test_plans_entered_in_the_forecast_grid(page: Page, site: Site) -> None:
    # A year of its own, so that no other run's plan is in the way.
    year = 2040 + uuid.uuid4().int % 50
    sign_in(page, site, "/forecasts")
    page.get_by_label("Year").fill(str(year))
    page.get_by_role("group", name="Columns").get_by_role("button", name="Quarters").click()
    with site.api() as api:
        me = api.get("/api/v1/me").json()
    who = me["full_name"] or me["email"]
    cell = page.get_by_label(f"Plan of {who} for Q2 {year}")
    cell.fill("12 500,50")
    cell.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Plan saved")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=who, exact=True))
    expect(row.locator("[data-figure=gap]").first).to_contain_text("12,500.50")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analytics-forecasts.png"))
    with site.api() as api:
        plans = api.get(
            "/api/v1/forecasts",
            params={"filter[period_start]": f"{year}-04-01", "filter[owner_id]": me["id"]},
        ).json()["items"]
    assert [(p["period_kind"], p["plan_amount"]) for p in plans] == [("quarter", "12500.50")]

    page.reload()
    page.get_by_label("Year").fill(str(year))
    page.get_by_role("group", name="Columns").get_by_role("button", name="Quarters").click()
    cell = page.get_by_label(f"Plan of {who} for Q2 {year}")
    expect(cell).to_have_value("12500.50")
    cell.fill("")
    cell.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Plan saved")).to_be_visible()
    with site.api() as api:
        left = api.get(
            "/api/v1/forecasts",
            params={"filter[period_start]": f"{year}-04-01", "filter[owner_id]": me["id"]},
        ).json()["items"]
    assert left == []


def test_arrange_the_results_page_with_the_buttons_and_by_dragging(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Deals by status {tag}"
    with site.api() as api:
        created = api.post(
            "/api/v1/reports",
            json={"name": name, "entity": "opportunities", "group_by": ["status"], "chart": "pie"},
        )
        assert created.status_code == 201, created.text

    def widget_box() -> dict:
        with site.api() as api:
            widgets = api.get("/api/v1/dashboards/results").json()["widgets"]
        [box] = [w for w in widgets if w["title"] == name]
        return box

    sign_in(page, site, "/results")
    page.get_by_role("button", name="Add a widget").click()
    dialog = page.get_by_role("dialog", name="Add a widget")
    dialog.get_by_label("Saved report").select_option(label=name)
    dialog.get_by_label("Show as").select_option("list")
    dialog.get_by_role("button", name="Add a widget").click()
    widget = page.get_by_role("region", name=name)
    expect(widget).to_have_attribute("data-kind", "list")
    placed = widget_box()
    assert placed["kind"] == "list" and placed["w"] == 6

    page.get_by_role("button", name="Arrange").click()
    page.get_by_role("button", name=f"Make {name} narrower").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    deadline = time.monotonic() + 10
    while widget_box()["w"] != 5:
        assert time.monotonic() < deadline, widget_box()
        time.sleep(0.2)

    # Dragged to the top left corner of the grid: placed there, the others pushed down.
    grid = page.locator(".results-grid")
    # The drag's events as the browser sends them (a pointer drag in headless Chromium
    # scrolls the page under the pointer and drops nothing): picked up 5 px into the
    # widget, dropped 6 px into the grid's first cell.
    grid.scroll_into_view_if_needed()
    start, cell = widget.bounding_box(), grid.bounding_box()
    assert start and cell
    carried = page.evaluate_handle("() => new DataTransfer()")
    widget.dispatch_event(
        "dragstart",
        {"dataTransfer": carried, "clientX": start["x"] + 5, "clientY": start["y"] + 5},
    )
    at = {"dataTransfer": carried, "clientX": cell["x"] + 6, "clientY": cell["y"] + 6}
    grid.dispatch_event("dragover", at)
    grid.dispatch_event("drop", at)
    deadline = time.monotonic() + 10
    while (widget_box()["x"], widget_box()["y"]) != (0, 0):
        assert time.monotonic() < deadline, widget_box()
        time.sleep(0.2)
    with site.api() as api:
        widgets = api.get("/api/v1/dashboards/results").json()["widgets"]
    others = [w for w in widgets if w["title"] != name]
    assert all(w["y"] >= placed["h"] or w["x"] >= 5 for w in others)

    page.get_by_role("button", name=f"Remove {name}").click()
    expect(page.get_by_role("region", name=name)).to_have_count(0)
    deadline = time.monotonic() + 10
    while True:
        with site.api() as api:
            titles = [w["title"] for w in api.get("/api/v1/dashboards/results").json()["widgets"]]
        if name not in titles:
            break
        assert time.monotonic() < deadline, titles
        time.sleep(0.2)


def test_every_sections_chart_view_shows_its_figures(page: Page, site: Site) -> None:
    sign_in(page, site, "/opportunities?show=chart")
    switch = page.get_by_role("navigation", name="Show as")
    expect(switch.get_by_role("link", name="Chart")).to_have_attribute("aria-current", "page")
    expect(switch.get_by_role("link", name="Board")).to_be_visible()
    expect(page.get_by_text("Win rate")).to_be_visible()
    expect(page.get_by_role("region", name="Time in stage")).to_be_visible()

    for section, heading in [
        ("opportunities", "Count by Stage"),
        ("orders", "Count by Status"),
        ("invoices", "Overdue amount"),
        ("activities", "Overdue activities by owner"),
        ("accounts", "Count by Type"),
        ("contacts", "Count by Owner"),
        ("leads", "Count by Source"),
    ]:
        page.goto(f"{site.base_url}/{section}?show=chart")
        charts = page.locator(".section-charts")
        expect(charts).to_have_attribute("data-entity", section)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        # Every figure answered: none still counting, none refused.
        expect(charts.get_by_text("Counting…")).to_have_count(0)
        expect(charts.get_by_role("alert")).to_have_count(0)

    # Products: the catalogue, the same for everyone
    with site.api() as api:
        product = api.post(
            "/api/v1/products",
            json={
                "code": f"CH-{uuid.uuid4().hex[:6]}",
                "name": "Charted seat",
                "category": "Charts",
            },
        )
        assert product.status_code == 201, product.text
    page.goto(f"{site.base_url}/products?show=chart")
    charts = page.locator(".section-charts")
    expect(charts).to_have_attribute("data-entity", "products")
    category = page.locator("[data-figure=category] table tbody tr").filter(has_text="Charts")
    expect(category.locator("td").last).to_have_text("1")
    expect(page.locator("[data-figure=active] table")).to_contain_text("Active")
    expect(charts.get_by_role("alert")).to_have_count(0)

    # Mail and Processes have screens of their own, each with a Chart tab; a process run
    # here is counted by its name and state
    name = f"Charted {uuid.uuid4().hex[:6]}"
    xml = (
        Path(__file__).resolve().parents[1] / "processes" / "integration" / "bpmn" / "divide.bpmn"
    ).read_text(encoding="utf-8")
    xml = xml.replace('id="divide" name="Divide"', f'id="charted_{name[-6:]}" name="{name}"')
    with site.api() as api:
        made = api.post(
            "/api/v1/process-definitions",
            content=xml,
            headers={"Content-Type": "application/xml"},
        )
        assert made.status_code == 201, made.text
        definition = made.json()
        deployed = api.post(
            f"/api/v1/process-definitions/{definition['id']}/deploy",
            json={},
            headers={"If-Match": f'"{definition["row_version"]}"'},
        )
        assert deployed.status_code == 200, deployed.text
        run = api.post(
            "/api/v1/process-instances",
            json={"definition_id": definition["id"], "data": {"budget": 3000, "people": 3}},
        )
        assert run.status_code == 201 and run.json()["state"] == "completed", run.text
    for path, entity, heading in [
        ("/mail/charts", "emails", "Count by User, Direction"),
        ("/processes/charts", "process_instances", "Overdue tasks by assignee"),
    ]:
        page.goto(site.base_url + path)
        charts = page.locator(".section-charts")
        expect(charts).to_have_attribute("data-entity", entity)
        expect(page.get_by_role("link", name="Chart")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(charts.get_by_text("Counting…")).to_have_count(0)
        expect(charts.get_by_role("alert")).to_have_count(0)
    by_process = page.locator("[data-figure=process]")
    row = by_process.locator("table tbody tr").filter(has_text=name)
    expect(row).to_contain_text("Completed")  # the state in words
    expect(row.locator("td").last).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "analytics-processes-charts.png"), full_page=True)


def make_user(api: httpx.Client, role: str, team_id: str, tag: str) -> tuple[str, str]:
    """A user of ``role`` in the team: (email, password)."""
    roles = api.get("/api/v1/roles").json()["items"]
    role_id = next(r["id"] for r in roles if r["name"] == role)
    email, password = f"{role}-{tag}@osprey.test", f"pw-{uuid.uuid4().hex}"
    response = api.post(
        "/api/v1/users",
        json={
            "email": email,
            "full_name": f"{role.replace('_', ' ').title()} {tag}",
            "password": password,
            "role_ids": [role_id],
            "team_id": team_id,
        },
    )
    assert response.status_code == 201, response.text
    return email, password


def test_a_manager_shares_their_results_page_as_the_teams_default(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    with site.api() as api:
        team = api.post("/api/v1/teams", json={"name": f"Results team {tag}"})
        assert team.status_code == 201, team.text
        manager = make_user(api, "sales_manager", team.json()["id"], tag)
        rep = make_user(api, "sales_rep", team.json()["id"], tag)

    manager_site = Site(site.base_url, *manager)
    sign_in(page, manager_site, "/results")
    expect(page.locator("[data-source=built_in]")).to_be_visible()
    page.get_by_role("button", name="Arrange").click()
    page.get_by_role("button", name="Remove Orders by month").click()
    expect(page.get_by_role("region", name="Orders by month")).to_have_count(0)
    expect(page.locator("[data-source=mine]")).to_be_visible()
    page.get_by_role("button", name="Share as the team's default").click()
    expect(page.get_by_role("status").filter(has_text="Your team now starts")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, Site(site.base_url, *rep), "/results")
    expect(page.locator("[data-source=team]")).to_be_visible()
    expect(page.get_by_role("region", name="Leads by source")).to_be_visible()
    expect(page.get_by_role("region", name="Orders by month")).to_have_count(0)
    # A rep may not share a page.
    expect(page.get_by_role("button", name="Share as the team's default")).to_have_count(0)


def test_export_a_built_report_to_excel(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    fair, web = f"fair-{tag}", f"web-{tag}"
    spec = {"entity": "leads", "group_by": ["source"], "filters": {"source": f"{fair},{web}"}}
    with site.api() as api:
        make_leads(api, {fair: 3, web: 1}, tag)
        wait_for_counts(api, spec, {fair: 3, web: 1})

    sign_in(page, site, "/reports/new")
    builder = page.get_by_role("form", name="Report builder")
    builder.get_by_role("button", name="Add a filter").click()
    builder.get_by_label("Field", exact=True).select_option("source")
    builder.get_by_label("Value", exact=True).fill(f"{fair},{web}")
    builder.get_by_label("Name", exact=True).fill(f"Sources {tag}")
    with page.expect_download() as saving:
        builder.get_by_role("button", name="Export to Excel").click()
    assert saving.value.suggested_filename == f"Sources {tag}.xlsx"
    expect(
        page.get_by_role("status").filter(has_text=f"Saved as Sources {tag}.xlsx")
    ).to_be_visible()
    name, rows = read_sheet(Path(saving.value.path()).read_bytes())
    assert name == f"Sources {tag}"
    assert [c.value for c in rows[0]] == ["Source", "Count"]
    assert [[c.kind for c in row] for row in rows[1:]] == [["string", "number"]] * 2
    assert {row[0].value: row[1].value for row in rows[1:]} == {fair: 3.0, web: 1.0}


def test_the_funnel_and_the_loss_reasons_drill_into_their_records(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    fair = f"fair-{tag}"
    reason = f"Too dear {tag}"
    with site.api() as api:
        make_leads(api, {fair: 3}, tag)
        wait_for_counts(
            api, {"entity": "leads", "group_by": ["source"], "filters": {"source": fair}}, {fair: 3}
        )
        leads = api.get("/api/v1/leads", params={"filter[source]": fair}).json()["items"]
        dropped = api.post(
            f"/api/v1/leads/{leads[0]['id']}/disqualify", json={"reason": "no_budget"}
        )
        assert dropped.status_code == 200, dropped.text
        me = api.get("/api/v1/me").json()
        for n in range(2):
            deal = api.post(
                "/api/v1/opportunities", json={"title": f"Lost {tag} {n}", "owner_id": me["id"]}
            )
            assert deal.status_code == 201, deal.text
            lost = api.post(
                f"/api/v1/opportunities/{deal.json()['id']}/lose", json={"reason": reason}
            )
            assert lost.status_code == 200, lost.text
        deadline = time.monotonic() + 30
        while True:
            figures = api.get("/api/v1/charts/deals", params={"filter[lost_reason]": reason}).json()
            funnel = api.get("/api/v1/charts/lead-funnel", params={"filter[source]": fair}).json()
            entered = {s["stage"]: s["count"] for s in funnel["stages"]}
            if figures["lost"] == 2 and entered["qualification"] == 3:
                break
            assert time.monotonic() < deadline, (figures, entered)
            time.sleep(0.2)

    # The funnel: all three entered qualification; one has left it since.
    sign_in(page, site, f"/leads?f.source={fair}&show=chart")
    funnel_card = page.get_by_role("region", name="Qualification funnel")
    row = funnel_card.get_by_role("row").filter(has_text="Qualification")
    row.get_by_role("link", name="3").click()
    page.wait_for_url(re.compile(r"/leads\?.*f\.reached_stage=qualification"))
    assert parse_qs(urlparse(page.url).query)["f.source"] == [fair]
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "3")
    page.get_by_role("button", name=re.compile("Filters")).click()
    reached = page.locator("[data-filter=reached_stage]")
    expect(reached.get_by_role("checkbox", name="Qualification")).to_be_checked()

    # Why deals are lost: the reason opens its lost deals.
    page.goto(f"{site.base_url}/opportunities?f.lost_reason={reason}&show=chart")
    lost_card = page.get_by_role("region", name="Why deals are lost")
    expect(lost_card.locator("canvas[data-drawn=true]")).to_be_visible()
    lost_card.get_by_role("link", name=reason).click()
    page.wait_for_url(re.compile(r"/opportunities\?.*f\.lost_reason="))
    query = parse_qs(urlparse(page.url).query)
    assert query["f.lost_reason"] == [reason] and query["f.status"] == ["lost"]
    rows = page.get_by_role("table", name="Opportunities").locator(".grid-body [role=row]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"Lost {tag}")
