from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from wagtail.users.models import UserProfile

from organizations.models import AuditEvent
from tests.factories import UserFactory
from ui.context_processors import ui as ui_context
from ui.theme import THEME_COOKIE, THEME_SESSION_KEY

pytestmark = pytest.mark.django_db


def _html_theme(response) -> str:  # type: ignore[no-untyped-def]
    marker = 'data-theme="'
    body = response.content.decode()
    start = body.index("<html")
    index = body.index(marker, start) + len(marker)
    return body[index : body.index('"', index)]


def test_anonymous_visitor_gets_the_cookie_theme_or_system(client: Client) -> None:
    assert _html_theme(client.get("/accounts/login/")) == "system"
    client.cookies[THEME_COOKIE] = "dark"
    assert _html_theme(client.get("/accounts/login/")) == "dark"
    client.cookies[THEME_COOKIE] = "<script>"
    assert _html_theme(client.get("/accounts/login/")) == "system"


def test_signed_in_user_gets_the_profile_theme_from_the_first_page(client: Client) -> None:
    user = UserFactory()
    user.profile.theme = "dark"
    user.profile.save()
    client.force_login(user)
    assert client.session[THEME_SESSION_KEY] == "dark"
    assert _html_theme(client.get("/accounts/email/")) == "dark"


def test_context_processor_falls_back_to_the_profile_without_a_session_value() -> None:
    user = UserFactory()
    user.profile.theme = "light"
    user.profile.save()
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}  # type: ignore[assignment]
    assert ui_context(request)["theme"] == "light"
    assert request.session[THEME_SESSION_KEY] == "light"


def test_anonymous_toggle_sets_a_cookie_and_goes_back(client: Client) -> None:
    response = client.post("/ui/theme/", {"theme": "dark", "next": "/accounts/login/"})
    assert response.status_code == 303
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[THEME_COOKIE].value == "dark"
    assert response.cookies[THEME_COOKIE]["httponly"]
    assert _html_theme(client.get("/accounts/login/")) == "dark"


def test_toggle_refuses_an_unsafe_next_url(client: Client) -> None:
    response = client.post("/ui/theme/", {"theme": "light", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_user_toggle_saves_profile_and_wagtail_admin_theme(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post("/ui/theme/", {"theme": "dark"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {"ui:theme": "dark"}
    user.profile.refresh_from_db()
    assert user.profile.theme == "dark"
    assert UserProfile.get_for_user(user).theme == "dark"
    assert client.session[THEME_SESSION_KEY] == "dark"
    assert AuditEvent.objects.filter(actor=user, action="profile.theme_set").count() == 1


def test_unknown_theme_is_refused(client: Client) -> None:
    response = client.post("/ui/theme/", {"theme": "sepia"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "ui:toast" in response["HX-Trigger"]
    assert THEME_COOKIE not in response.cookies


def test_toggle_needs_post_and_csrf() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/ui/theme/").status_code == 405
    assert client.post("/ui/theme/", {"theme": "dark"}).status_code == 403


def test_theme_toggle_marks_the_current_choice(client: Client) -> None:
    client.cookies[THEME_COOKIE] = "light"
    body = client.get("/accounts/login/").content.decode()
    assert 'value="light" aria-pressed="true"' in body
    assert 'value="dark" aria-pressed="false"' in body
