from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import UserFactory, make_org


@pytest.fixture
def staff_client(db: Any) -> Client:
    user = UserFactory(email="staff@example.com", is_staff=True)
    make_org("Staff Co", "staff-co", owner_email=None)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(db: Any) -> tuple[Any, Any]:
    organization, user = make_org("Acme", "acme")
    return organization, user


@pytest.fixture
def owner_client(owner: tuple[Any, Any]) -> Client:
    client = Client()
    client.force_login(owner[1])
    return client


def htmx_headers(target: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers
