"""Browser tests: the real app served by uvicorn on a loopback port, driven through Debian's Chromium.

Playwright cannot download its own browsers here, so Debian's binary is launched directly. Without it the
tests are skipped, except with CI=true, where a missing browser is a failure. A failing test leaves a
screenshot of its page in test-artifacts/.
"""

import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from stockyard.core.db import create_db_engine
from stockyard.core.migrate import upgrade
from stockyard.core.settings import Settings
from stockyard.web.app import create_app

CHROMIUM = Path("/usr/lib/chromium/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STARTUP_WAIT_SECONDS = 30


@dataclass(frozen=True)
class LiveServer:
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app in a background thread against a migrated SQLite file, on a port the OS picked."""
    db_path = tmp_path_factory.mktemp("e2e") / "stockyard.db"
    url = f"sqlite:///{db_path}"
    engine = create_db_engine(url, pool_size=5, max_overflow=5)
    upgrade(engine)
    settings = Settings(secret_key=secrets.token_urlsafe(32), database_url=url, var_dir=db_path.parent)
    app = create_app(settings, engine, run_jobs=False)
    # The socket is bound here and handed to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_WAIT_SECONDS
    while thread.is_alive() and not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        pytest.fail("uvicorn did not start (see the log above)")
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", engine)
    finally:
        server.should_exit = True
        thread.join(STARTUP_WAIT_SECONDS)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session."""
    if not CHROMIUM.exists():
        reason = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and isinstance(page, Page) and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", item.nodeid) + ".png")
        try:
            page.screenshot(path=str(target), full_page=True)
            report.sections.append(("screenshot", f"saved to {target} (page was {page.url})"))
        except Exception as error:  # a broken page must not hide the test's own failure
            report.sections.append(("screenshot", f"could not be taken: {error}"))
    return report
