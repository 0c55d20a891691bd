"""A user's own settings over the API: language, theme, accent colour and the UI
preferences (columns, saved views) the web app keeps on the server."""

from __future__ import annotations

import pytest

from . import test_leads_api
from .conftest import Login
from .test_leads_api import World, problem

pytestmark = pytest.mark.e2e
world = test_leads_api.world  # two teams and three reps, made through the API


def test_users_change_their_own_language_theme_and_accent(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    changed = rep.patch(
        "/api/v1/me", json={"locale": "ru", "theme": "dark", "accent_color": "#1A73E8"}
    )
    assert changed.status_code == 200, changed.text
    me = rep.get("/api/v1/me").json()
    assert "leads.read" in me["permissions"]  # the web app shows the Leads section
    assert (me["locale"], me["theme"], me["accent_color"]) == ("ru", "dark", "#1a73e8")

    problem(rep.patch("/api/v1/me", json={"accent_color": "blue"}), 422)
    problem(rep.patch("/api/v1/me", json={"locale": "fr"}), 422)
    problem(rep.patch("/api/v1/me", json={"role_ids": []}), 422)  # not a self-service field
    assert rep.get("/api/v1/me").json()["locale"] == "ru"


def test_preferences_are_kept_per_user(world: World, login: Login) -> None:
    a1 = login(world.rep_a1.email, world.rep_a1.password)
    a2 = login(world.rep_a2.email, world.rep_a2.password)
    columns = [{"field": "contact_name", "width": 220}, {"field": "stage", "width": 140}]

    stored = a1.put("/api/v1/me/preferences/columns.leads", json=columns)
    assert stored.status_code == 200, stored.text
    assert stored.json() == columns
    views = {"mine": {"filter": {"stage": ["nurturing"]}}}
    a1.put("/api/v1/me/preferences/views.leads", json=views)
    a1.put("/api/v1/me/preferences/columns.leads", json=columns[::-1])  # replaces

    assert a1.get("/api/v1/me/preferences").json() == {
        "columns.leads": columns[::-1],
        "views.leads": views,
    }
    assert "columns.leads" not in a2.get("/api/v1/me/preferences").json()

    problem(a1.put("/api/v1/me/preferences/Bad Key!", json=1), 422)
    problem(a1.put("/api/v1/me/preferences/big", json="x" * 70_000), 422)
    problem(
        a1.put(
            "/api/v1/me/preferences/ok",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        400,
    )
