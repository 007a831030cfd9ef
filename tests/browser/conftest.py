"""Browser tests: Debian's headless Chromium driven by Playwright over a live portal.

* ``chromium`` (session): /usr/bin/chromium, installed with apt when absent (tests.browser.chromium).
* ``portal`` (session): the gateway app with the portal, served by uvicorn in a thread on a free
  127.0.0.1 port, over an embedded exchange loaded with synthetic cases (tests.browser.portal_seed).
* ``browser_context`` (module): Chromium launched with a fresh user-data directory; ``page``
  (function) gives each test a new tab with no cookies.

A browser that cannot be had fails the test under CI=true and skips it elsewhere, with the reason.
Never a Playwright browser download: the system binary is driven through ``executable_path``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.chromium import LAUNCH_ARGS, ChromiumUnavailable, ensure_chromium
from tests.browser.portal_seed import PASSWORD, PortalWorld, build_world

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SERVER_START_S = 20


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a browser test that skips is a failure, wherever the skip came from."""
    outcome = yield
    report = outcome.get_result()
    if _in_ci() and report.skipped and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} skipped under CI=true, where the browser tests must run"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LivePortal:
    url: str  # http://127.0.0.1:PORT
    world: PortalWorld

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as exc:
        _unavailable(f"no Chromium for the browser tests: {exc}")
        raise  # unreachable: fail/skip raise


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[LivePortal]:
    import uvicorn

    from lienthong.gateway.app import create_app

    world = build_world(tmp_path_factory.mktemp("portal"))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(world.exchange.services),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, name="portal-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"the portal did not start on 127.0.0.1:{port}", pytrace=False)
        time.sleep(0.05)
    try:
        yield LivePortal(f"http://127.0.0.1:{port}", world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.exchange.http.close()


# Module scope: Playwright's sync API keeps an asyncio loop running in the main thread while it lives,
# which would break any later test that calls asyncio.run().
@pytest.fixture(scope="module")
def browser_context(chromium: Path, tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed: {exc}")
        raise
    manager = sync_playwright()
    playwright = manager.start()
    try:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),  # a fresh user-data directory
            executable_path=str(chromium),
            args=LAUNCH_ARGS,
            headless=True,
            locale="vi-VN",
            viewport={"width": 1280, "height": 900},
            timeout=60_000,
        )
    except Exception as exc:  # any failure to launch means "no browser"
        with contextlib.suppress(Exception):
            manager.__exit__(None, None, None)
        _unavailable(f"Chromium at {chromium} could not start: {type(exc).__name__}: {exc}")
        raise
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        with contextlib.suppress(Exception):
            context.close()
        manager.__exit__(None, None, None)


@pytest.fixture
def page(browser_context):
    """A new tab with no cookies: every test signs in afresh."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture
def shot(request):
    """Save a full-page screenshot under test-artifacts/browser/ (kept by CI as an artifact)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)

    def take(tab, label: str) -> Path:
        path = ARTIFACTS / f"{stem}--{label}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(portal: LivePortal):
    """Sign in through the form; returns the page after the redirect."""

    def go(tab, username: str, password: str = PASSWORD, next_path: str = "/portal/"):
        tab.goto(portal.at(f"/portal/sign-in?next={next_path}"))
        tab.fill("#username", username)
        tab.fill("#password", password)
        tab.click("#sign-in")
        tab.wait_for_load_state()
        return tab

    return go
