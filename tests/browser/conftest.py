"""Browser tests: a real uvicorn serving the app from the pytest test database, driven by
the system Chromium through Playwright.

``portal_server`` is session-scoped (one server for the whole run); tests that create
rows use ``portal_db`` (transactional, so the server sees them; it puts back Wagtail's
initial page tree when an earlier transactional test flushed it). Reuse both for any
browser test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import (
    ROOT,
    _database_url_for_current_test_db,
    ensure_site_tree,
    free_port,
    wait_for_port,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests and run them last: Playwright's sync API keeps an event loop
    running in the main thread until the session ends, which async tests cannot share."""
    browser = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    others = [item for item in items if "tests/browser/" not in str(item.fspath)]
    items[:] = others + browser


@pytest.fixture(scope="session", autouse=True)
def _sync_orm_beside_playwright() -> Iterator[None]:
    """Playwright's event loop makes Django think this thread is async; the tests' own
    set-up queries and the database flush after each test are plain synchronous code.
    Set from the first browser test (they run last) to the end of the session."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PortalServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_portal_server(
    database_url: str, folder: Path, extra_env: dict[str, str] | None = None
) -> Iterator[PortalServer]:
    """uvicorn with the browser tests' ASGI app on ``database_url``, logging into
    ``folder``; ``extra_env`` adds settings (a test's own server)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
        # The production default: a journey opens up to three signed-in pages, each
        # with its live socket and pictures, and a sync view holds its pooled
        # connection until its response is sent.
        "DATABASE_POOL_MAX_SIZE": "10",
        **(extra_env or {}),
    }
    log_path = folder / "uvicorn.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.browser.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=30)
    except TimeoutError:
        process.kill()
        log.close()
        raise RuntimeError(f"uvicorn did not start: {log_path.read_text()[-3000:]}") from None
    server = PortalServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def portal_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    """uvicorn with ``config.asgi`` (plus static files) on the test database."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with django_db_blocker.unblock():
        database_url = _database_url_for_current_test_db()
    with running_portal_server(database_url, tmp_path_factory.mktemp("portal-server")) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(portal_server: PortalServer) -> str:
    return portal_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}}


@pytest.fixture
def portal_db(transactional_db: Any) -> None:
    """Committed rows, so the server sees them (the database is flushed afterwards)."""
    ensure_site_tree()


@pytest.fixture
def login(context: Any, base_url: str) -> Callable[[Any], None]:
    """Sign a user in by giving the browser a real session cookie (the sign-in form has
    its own test)."""
    from django.test import Client

    def _login(user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
        )

    return _login


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    def _screenshot(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _screenshot
