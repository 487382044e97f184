"""allauth's pages render through our element templates and layouts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ENTRANCE = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
MANAGE = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/3rdparty/",
]


@pytest.mark.parametrize("url", ENTRANCE)
def test_entrance_pages_use_the_card_layout(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="entrance"' in body
    assert 'class="form"' in body
    assert 'class="field ' in body
    assert 'class="button' in body
    assert "/static/css/tokens.css" in body
    assert 'hx-boost="true"' not in body  # allauth's own scripts need real page loads


@pytest.mark.parametrize("url", MANAGE)
def test_account_pages_use_the_portal_shell(owner_client: Client, url: str) -> None:
    response = owner_client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    assert 'class="shell' in body
    assert 'class="manage__nav"' in body
    assert "Menu:" not in body  # allauth's bare default layout is gone


def test_login_errors_render_in_our_form(client: Client, owner: tuple[Any, Any]) -> None:
    response = client.post("/accounts/login/", {"login": owner[1].email, "password": "wrong"})
    body = response.content.decode()
    assert 'class="form__errors" role="alert"' in body


def test_signup_labels_every_field(client: Client) -> None:
    body = client.get("/accounts/signup/").content.decode()
    for name in ("email", "password1", "password2"):
        assert f'<label for="id_{name}">' in body
