"""An admin registers a webhook endpoint in the organization settings, copies the secret
shown once, sends a test event and sees it delivered in the log; the test receiver (a
real HTTP server) checks the signature with that secret. At desktop and 390 px, in both
themes, with no console errors.

The server here is this test's own: the same app as the browser tests' server, started
with the test-only allow list (WEBHOOKS_ALLOWED_HOSTS=127.0.0.1, plain http) that the
receiver on 127.0.0.1 needs; the suite's shared server keeps the guard's defaults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import running_portal_server
from tests.browser.test_member_portal import LAYOUTS, SIZES, Console, assert_fits
from tests.conftest import _database_url_for_current_test_db
from tests.factories import make_org
from tests.webhooks.receiver import Receiver, start_receiver


@pytest.fixture(scope="module")
def webhook_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server of its own that may deliver to this machine's test receiver."""
    with django_db_blocker.unblock():
        database_url = _database_url_for_current_test_db()
    extra = {"WEBHOOKS_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOKS_ALLOW_HTTP": "true"}
    folder = tmp_path_factory.mktemp("webhook-server")
    with running_portal_server(database_url, folder, extra) as server:
        yield server.url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver, server = start_receiver()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_an_admin_registers_an_endpoint_and_sees_a_delivery(
    portal_db: None,
    webhook_server: str,
    browser: Browser,
    receiver: Receiver,
    screenshot: Any,
    size: str,
    theme: str,
) -> None:
    from django.test import Client

    from webhooks.models import WebhookEndpoint

    make_org("Acme Research", "acme")
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(email="owner@acme.example")
    client = Client()
    client.force_login(owner)
    context = browser.new_context(
        base_url=webhook_server,
        viewport=SIZES[size],
        color_scheme=theme,  # type: ignore[arg-type]
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": webhook_server,
            }
        ]
    )
    console = Console()
    page: Page = console.watch(context.new_page())
    try:
        page.goto("/o/acme/settings/")
        page.get_by_role("link", name="Manage webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        expect(page.get_by_text("No endpoints yet")).to_be_visible()
        page.get_by_role("link", name="Add endpoint").click()

        # A private address is refused with a reason, the form keeps what was typed.
        page.get_by_label("Name").fill("CRM sync")
        page.get_by_label("URL").fill("https://10.0.0.7/hooks")
        page.get_by_label("member.joined").check()
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.locator("#id_url-errors")).to_contain_text("public internet addresses only")
        expect(page.get_by_label("Name")).to_have_value("CRM sync")
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"webhooks-form-error-{size}-{theme}")

        page.get_by_label("URL").fill(receiver.url)
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.get_by_role("heading", name="Endpoint created")).to_be_visible()
        secret = page.locator("#webhook-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"webhooks-secret-{size}-{theme}")

        page.get_by_role("link", name="I have copied it").click()
        expect(page.get_by_text("Nothing sent yet")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(secret)
        page.get_by_role("button", name="Send test event").click()
        log = page.locator("#webhook-deliveries")
        expect(log).to_contain_text("webhook.test")
        expect(log).to_contain_text("Delivered")
        expect(log).to_contain_text("HTTP 200")
        [request] = receiver.wait_for(1)
        assert request.signature_valid is True
        assert json.loads(request.body)["type"] == "webhook.test"
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"webhooks-delivery-log-{size}-{theme}")

        page.get_by_role("link", name="Webhooks", exact=True).first.click()
        row = page.locator("#webhook-endpoints")
        expect(row).to_contain_text("CRM sync")
        expect(row).to_contain_text("Active")
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"webhooks-list-{size}-{theme}")
        assert WebhookEndpoint.objects.get().secret == secret
        # The refused URL's answer is a deliberate 400 (errors swapped in place); the
        # browser logs every 4xx response, and that one line is the only one allowed.
        bad_request = (
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        )
        assert console.errors.count(bad_request) == 1, console.errors
        console.errors.remove(bad_request)
        console.assert_clean()
    finally:
        context.close()
