"""Live dashboards in the browser: a document uploaded in one browser context appears on
the dashboard open in another, without a reload."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, expect

from organizations.roles import Role
from tests.factories import add_member, make_org


def test_upload_in_one_context_appears_live_on_anothers_dashboard(
    browser: Browser, base_url: str, portal_db: None
) -> None:
    from django.conf import settings
    from django.test import Client

    organization, owner = make_org("Acme Research", "acme")
    viewer = add_member(organization, Role.VIEWER, "viewer@acme.example")

    def context_for(user: Any) -> Any:
        client = Client()
        client.force_login(user)
        context = browser.new_context(base_url=base_url)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": base_url,
                }
            ]
        )
        return context

    watcher_context = context_for(viewer)
    uploader_context = context_for(owner)
    try:
        dashboard = watcher_context.new_page()
        dashboard.goto("/o/acme/")
        expect(dashboard.locator("[data-live]")).to_have_attribute("data-live-state", "open")
        expect(dashboard.locator("#recent-documents")).not_to_contain_text("quarterly-plan")

        library = uploader_context.new_page()
        library.goto("/o/acme/documents/")
        library.locator("#documents-upload-input").set_input_files(
            [{"name": "quarterly-plan.txt", "mimeType": "text/plain", "buffer": b"Plans\n" * 100}]
        )
        expect(library.locator("#documents-upload-list")).to_contain_text("quarterly-plan.txt")

        # No reload: the fragment arrives over the websocket and swaps in place.
        expect(dashboard.locator("#recent-documents")).to_contain_text(
            "quarterly-plan", timeout=15_000
        )
        expect(dashboard.locator(f"#activity-feed-{organization.pk}")).to_contain_text(
            "uploaded quarterly-plan", timeout=15_000
        )
        expect(dashboard.locator("#org-metrics")).to_contain_text("1")
    finally:
        watcher_context.close()
        uploader_context.close()
