"""Every /api/ URL is classified (api/registry.py); an unclassified one answers 404."""

from __future__ import annotations

import pytest
from django.test import Client

from api import registry
from tests.isolation.urls import routes


def _api_routes() -> set[str]:
    return {route.name for route in routes() if route.route.startswith("api/")}


def test_every_api_url_is_classified() -> None:
    unclassified = _api_routes() - set(registry.RULES)
    assert not unclassified, f"classify these in api/registry.py: {sorted(unclassified)}"


def test_the_registry_names_no_url_that_does_not_exist() -> None:
    assert set(registry.RULES) - _api_routes() == set()


def test_organization_endpoints_say_which_capability_they_ask_for() -> None:
    for name, rule in registry.RULES.items():
        if rule.kind is registry.Kind.ORGANIZATION:
            assert rule.capability is not None, name


@pytest.mark.django_db
def test_an_unclassified_api_url_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(registry.RULES, f"{registry.NAMESPACE}:me")
    response = Client(raise_request_exception=False).get("/api/v1/me")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
