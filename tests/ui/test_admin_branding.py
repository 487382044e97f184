"""The Wagtail admin as part of the product: its name, mark and colours; nothing that
names Wagtail or its version; no inline script for the Content Security Policy to refuse
(the browser side: tests/browser/test_admin_screens.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from dashboards.models import Announcement, OrganizationPage

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>")


def test_admin_home_carries_the_product_brand_and_no_wagtail_version(
    owner: tuple[Any, Any], owner_client: Client
) -> None:
    html = owner_client.get("/admin/").content.decode()
    assert f"- {settings.WAGTAIL_SITE_NAME}</title>" in html
    assert "img/favicon.svg" in html
    assert "css/tokens.css" in html
    assert "css/admin-theme.css" in html
    assert 'class="product-logo"' in html
    assert f"{settings.WAGTAIL_SITE_NAME} editor" in html
    import wagtail

    assert f"Wagtail {wagtail.__version__}" not in html
    assert "Editor Guide" not in html
    assert "What's new in Wagtail" not in html
    assert "gravatar.com" not in html


def test_admin_home_loads_the_live_scripts_and_other_pages_do_not(
    owner: tuple[Any, Any], owner_client: Client
) -> None:
    home = owner_client.get("/admin/").content.decode()
    assert "js/live.js" in home
    root = OrganizationPage.objects.get(organization=owner[0])
    explorer = owner_client.get(f"/admin/pages/{root.pk}/").content.decode()
    assert "js/live.js" not in explorer
    assert "js/admin-init.js" in explorer


@pytest.mark.parametrize("screen", ["explorer", "edit", "announcement"])
def test_admin_screens_have_no_inline_script(
    owner: tuple[Any, Any], owner_client: Client, screen: str
) -> None:
    organization = owner[0]
    root = OrganizationPage.objects.get(organization=organization)
    announcement = Announcement.objects.create(
        organization=organization, title="Office move", body="<p>May</p>"
    )
    url = {
        "explorer": f"/admin/pages/{root.pk}/",
        "edit": f"/admin/pages/{root.pk}/edit/",
        "announcement": f"/admin/snippets/dashboards/announcement/edit/{announcement.pk}/",
    }[screen]
    response = owner_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    # The pickers' start-up calls are there, as data for static/js/admin-init.js.
    assert 'data-admin-init="init' in html
