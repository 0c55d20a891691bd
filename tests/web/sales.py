"""Helpers the sales browser tests share: records made through the API, names that do not clash."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.web.conftest import ARTIFACTS


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def stages(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/api/v1/opportunity-stages")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def open_stages(api: httpx.Client) -> list[dict[str, Any]]:
    return [s for s in stages(api) if not s["is_final"]]


def final_stage(api: httpx.Client, successful: bool) -> dict[str, Any]:
    return next(s for s in stages(api) if s["is_final"] and s["is_successful"] is successful)


def new_account(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Account"), **fields}
    return created(api.post("/api/v1/accounts?allow_duplicates=true", json=body))


def new_deal(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": unique("Deal"), "amount": "1500.00", "currency": "EUR", **fields}
    return created(api.post("/api/v1/opportunities", json=body))


def new_user(api: httpx.Client, name: str) -> dict[str, Any]:
    roles = api.get("/api/v1/roles").json()["items"]
    rep = next(r["id"] for r in roles if r["name"] == "sales_rep")
    body = {
        "email": f"{uuid.uuid4().hex[:10]}@osprey.test",
        "full_name": name,
        "password": uuid.uuid4().hex,
        "role_ids": [rep],
    }
    return created(api.post("/api/v1/users", json=body))


def snapshot(page: Any, name: str) -> None:
    """A picture of the screen for people to look at (test-artifacts/web/, not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
