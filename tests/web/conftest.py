"""Browser tests: the built web app in a real headless Chromium against the running stack.

The stack is the one ``tests/e2e`` uses (every service and the gateway as processes,
``tests/support/stack.py``); the gateway serves ``gateway/web/dist``, so build the app
first (``make web``). To drive a stack you started by hand
(``python -m tests.support.stack``), set ``OSPREY_WEB_BASE_URL``, ``OSPREY_WEB_EMAIL``
and ``OSPREY_WEB_PASSWORD``.

Chromium is Debian's (``deploy/local/install-browser.sh``); Playwright only drives it.
A failing test leaves a screenshot in ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api

from tests.e2e.conftest import stack  # noqa: F401 - the shared stack fixture

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("OSPREY_WEB_DIST") or REPO_ROOT / "gateway" / "web" / "dist")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("OSPREY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The browser logs every 4xx/5xx response as a console error; those are answers the
# app handles (401 before signing in, 422 shown beside a field), not faults of ours.
NETWORK_NOISE = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


@dataclass(frozen=True)
class Site:
    base_url: str
    email: str
    password: str

    def api(self) -> httpx.Client:
        """An API client signed in as the same user, with a bearer token."""
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"email": self.email, "password": self.password},
            timeout=15,
        )
        response.raise_for_status()
        return httpx.Client(
            base_url=self.base_url,
            timeout=15,
            headers={"Authorization": f"Bearer {response.json()['token']}"},
        )


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest) -> Site:
    if not (DIST / "index.html").is_file():
        pytest.fail(
            "The web app is not built: run `make web` (npm ci && npm run build in gateway/web)"
        )
    base_url = os.environ.get("OSPREY_WEB_BASE_URL")
    if base_url:
        return Site(
            base_url.rstrip("/"), os.environ["OSPREY_WEB_EMAIL"], os.environ["OSPREY_WEB_PASSWORD"]
        )
    running = request.getfixturevalue("stack")
    return Site(running.base_url, running.admin_email, running.admin_password)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run deploy/local/install-browser.sh")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Playwright's sync API hangs in an eventlet-patched process (tests/conftest.py
    patches unless OSPREY_NO_MONKEY_PATCH is set), so there the browser tests are
    skipped, saying how to run them; `make test` runs them in a pytest of their own."""
    import eventlet.patcher

    if not eventlet.patcher.is_monkey_patched("socket"):
        return
    skip = pytest.mark.skip(reason="browser tests: run OSPREY_NO_MONKEY_PATCH=1 pytest tests/web")
    web = Path(__file__).parent
    for item in items:
        if web in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, site: Site, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context (no cookies) at 1280×800, English, watching the console."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console",
        lambda message: (
            message.type == "error"
            and not NETWORK_NOISE.match(message.text)
            and problems.append(f"console: {message.text}")
        ),
    )
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.console_problems = problems  # type: ignore[attr-defined]
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    if failed is not None and failed.passed:
        assert not problems, "the browser console reported errors:\n" + "\n".join(problems)


def sign_in(page, site: Site, path: str = "/leads") -> None:
    """Open ``path``, get sent to the sign-in page, sign in and land back on ``path``."""
    page.goto(site.base_url + path)
    page.wait_for_url(re.compile(r"/sign-in"))
    page.get_by_label("Email").fill(site.email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + r"(\?|$)"))


@pytest.fixture
def signed_in(page, site: Site):
    sign_in(page, site)
    page.locator(".grid[aria-busy='false']").wait_for()
    return page
