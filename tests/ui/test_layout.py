"""The base and portal layouts: navigation, switcher, htmx set-up, CSP, error pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from organizations.roles import Role
from organizations.services import membership_add
from tests.factories import add_member, make_org

pytestmark = pytest.mark.django_db


def test_portal_layout_has_navigation_switcher_and_breadcrumbs(
    owner_client: Client, owner: tuple[Any, Any]
) -> None:
    _organization, user = owner
    other, _ = make_org("Other Org", "other-org")
    membership_add(acting_user=None, organization=other, user=user, role=Role.MEMBER)
    body = owner_client.get("/o/acme/members/").content.decode()
    assert 'class="shell' in body
    assert 'href="/o/acme/members/" aria-current="page"' in body
    assert 'href="/o/acme/settings/"' in body  # the owner may manage the organization
    assert 'href="/o/other-org/"' in body  # the switcher lists every organization
    assert 'href="/organizations/new/"' in body
    assert '<li aria-current="page">Members</li>' in body
    assert 'id="notifications"' in body
    assert 'action="/ui/theme/"' in body
    assert 'action="/accounts/logout/" method="post"' in body


def test_sidebar_hides_what_the_role_cannot_do(owner: tuple[Any, Any]) -> None:
    organization, _ = owner
    viewer = add_member(organization, Role.VIEWER, "viewer@acme.example")
    client = Client()
    client.force_login(viewer)
    body = client.get("/o/acme/").content.decode()
    assert 'href="/o/acme/settings/"' not in body
    assert 'href="/admin/"' not in body


def test_sidebar_collapsed_state_comes_from_the_cookie(owner_client: Client) -> None:
    assert 'class="shell shell--collapsed"' not in owner_client.get("/o/acme/").content.decode()
    owner_client.cookies["sidebar"] = "collapsed"
    assert 'class="shell shell--collapsed"' in owner_client.get("/o/acme/").content.decode()


def test_htmx_is_configured_for_form_errors_and_toasts(owner_client: Client) -> None:
    body = owner_client.get("/o/acme/").content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", body)[1])
    handling = {rule["code"]: rule for rule in config["responseHandling"]}
    assert handling["^(400|422)$"] == {"code": "^(400|422)$", "swap": True, "error": False}
    assert handling["[45].."]["swap"] is False
    assert handling["[45].."]["error"] is True
    assert config["allowEval"] is False
    assert config["historyCacheSize"] == 0
    assert 'hx-boost="true"' in body
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", body)
    assert token
    assert len(token[1]) == 64


def test_no_inline_script_runs(owner_client: Client, staff_client: Client) -> None:
    pages = [owner_client.get("/o/acme/"), owner_client.get("/o/acme/members/")]
    pages += [staff_client.get("/components/"), Client().get("/accounts/login/")]
    for response in pages:
        directives = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        # Without a nonce in use, script-src falls back to default-src 'self'.
        scripts = directives.get("script-src", directives["default-src"])
        assert scripts.startswith("'self'")
        assert "unsafe-inline" not in scripts
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag or 'type="application/json"' in tag, tag


def test_scripts_are_in_the_head_so_boosted_pages_do_not_rerun_them(owner_client: Client) -> None:
    body = owner_client.get("/o/acme/").content.decode()
    head, page = body.split("</head>", 1)
    assert "htmx-2.min.js" in head
    assert 'type="module" src="/static/js/app.js"' in head
    assert "<script" not in page


def test_htmx_boosted_page_answers_with_a_whole_page(owner_client: Client) -> None:
    response = owner_client.get(
        "/o/acme/members/", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert b'id="members-table"' in response.content
    assert b"<title>" in response.content


def test_public_pages_share_the_tokens_and_theme() -> None:
    client = Client()
    client.cookies["theme"] = "dark"
    body = client.get("/search/").content.decode()
    assert '<html lang="en" data-theme="dark">' in body
    assert "/static/css/tokens.css" in body


def test_404_page_uses_the_layout() -> None:
    response = Client().get("/o/does-not-exist/")
    assert response.status_code in {302, 404}
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"error-page__code" in response.content


def test_500_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "tokens.css" in html


def test_403_page_shows_the_reason() -> None:
    request = RequestFactory().get("/")
    html = render_to_string("403.html", {"exception": "No entry."}, request=request)
    assert "No entry." in html


def test_members_page_keeps_ids_and_asks_before_removing(
    owner_client: Client, owner: tuple[Any, Any]
) -> None:
    organization, _ = owner
    member = add_member(organization, Role.MEMBER, "m@acme.example")
    membership = organization.memberships.get(user=member)
    body = owner_client.get("/o/acme/members/").content.decode()
    assert 'id="members-table"' in body
    assert f'id="member-{membership.pk}"' in body
    assert 'hx-confirm="Remove m@acme.example from Acme?"' in body
    assert 'name="email"' in body
    assert 'name="role"' in body
