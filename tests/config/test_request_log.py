"""Request logging names the session's user without loading it (config/request_log.py)."""

from __future__ import annotations

import pytest
import structlog
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from config.request_log import RequestLogMiddleware

pytestmark = pytest.mark.django_db


def _request(client, user=None) -> HttpRequest:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/anything/")
    if user is not None:
        client.force_login(user)
        request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)
    return request


def test_the_user_id_comes_from_the_session_without_a_query(client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(email="logged@example.com", password="x")
    request = _request(client, user)
    structlog.contextvars.clear_contextvars()
    with CaptureQueriesContext(connection) as queries:
        RequestLogMiddleware.bind_user_id(request)
    assert structlog.contextvars.get_contextvars()["user_id"] == user.pk
    assert not [q for q in queries if "accounts_user" in q["sql"]]
    # Reading the session for the log does not make the response vary on the cookie.
    assert request.session.accessed is False
    assert request.session[SESSION_KEY] == str(user.pk)


def test_a_loaded_user_and_an_anonymous_request(client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(email="loaded@example.com", password="x")
    request = _request(client, user)
    assert request.user.pk == user.pk  # loaded by the view
    RequestLogMiddleware.bind_user_id(request)
    assert structlog.contextvars.get_contextvars()["user_id"] == user.pk
    anonymous = _request(client)
    RequestLogMiddleware.bind_user_id(anonymous)
    assert structlog.contextvars.get_contextvars()["user_id"] is None
