"""Reading the session's user without loading it, and verifying it in SQL (accounts/session.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory

from accounts.session import session_claim, session_hash_pads

pytestmark = pytest.mark.django_db


def test_postgresql_computes_the_session_auth_hash_django_does(django_user_model, settings) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(email="hash@example.com", password="pw-1-x")
    for secret in (settings.SECRET_KEY, "another-secret-key-" + "y" * 40):
        settings.SECRET_KEY = secret
        inner, outer = session_hash_pads()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT encode(sha256(%s::bytea || sha256(%s::bytea || convert_to(password,"
                " 'UTF8'))), 'hex') FROM accounts_user WHERE id = %s",
                [outer, inner, user.pk],
            )
            (computed,) = cursor.fetchone()
        assert computed == user.get_session_auth_hash()


def test_a_claim_needs_an_unloaded_user_a_known_backend_and_a_hash(
    client, django_user_model, settings
) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse

    user = django_user_model.objects.create_user(email="claim@example.com", password="x")
    client.force_login(user)

    def fresh():  # type: ignore[no-untyped-def]
        request = RequestFactory().get("/")
        request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
        SessionMiddleware(lambda r: HttpResponse()).process_request(request)
        AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)
        return request

    claim = session_claim(fresh())
    assert claim is not None
    assert claim.user_id == user.pk
    assert claim.session_hash == user.get_session_auth_hash()
    loaded = fresh()
    assert loaded.user.pk == user.pk
    assert session_claim(loaded) is None  # already loaded: the caller uses request.user
    settings.AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
    assert session_claim(fresh()) is None  # signed in through a backend no longer configured
    assert session_claim(RequestFactory().get("/")) is None  # no session at all
