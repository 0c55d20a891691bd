"""Signing in under attack, through the public API with every service running: a
guessed-at account is locked with 429 and Retry-After, and a new password ends the
user's other sessions at once."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Login
from .test_leads_api import World, problem

pytestmark = pytest.mark.e2e


def test_five_wrong_passwords_get_429_with_retry_after(world: World, stack) -> None:
    email = world.rep_b1.email
    url = f"{stack.base_url}/api/v1/auth/login"
    for _ in range(5):
        problem(httpx.post(url, json={"email": email, "password": "a wrong guess"}), 401)
    locked = httpx.post(url, json={"email": email, "password": world.rep_b1.password})
    body = problem(locked, 429)
    assert 800 <= int(locked.headers["retry-after"]) <= 900
    assert "try again in 15 minutes" in body["detail"]


def test_a_new_password_ends_the_other_sessions_at_once(world: World, login: Login) -> None:
    rep = world.rep_a2
    here, there = login(rep.email, rep.password), login(rep.email, rep.password)
    assert there.get("/api/v1/me").status_code == 200  # cached by the gateway now
    changed = here.patch("/api/v1/me", json={"password": rep.password + "-new"})
    assert changed.status_code == 200, changed.text
    problem(there.get("/api/v1/me"), 401)
    assert here.get("/api/v1/me").status_code == 200
