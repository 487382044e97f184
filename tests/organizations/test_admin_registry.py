"""The admin's allow list: every admin URL is classified, and unclassified ones are closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from organizations import admin_registry
from organizations.admin_registry import POLICIES, Kind, Rule, rule_for
from organizations.roles import Role
from tests.factories import UserFactory
from tests.tenants import Tenant

ADMIN_PREFIXES = ("admin/", "django-admin/")


def admin_view_names() -> Iterator[tuple[str, str]]:
    """(route, view name) of every admin URL pattern, as ``resolve()`` names them."""

    def walk(patterns: list[object], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for item in patterns:
            if isinstance(item, URLResolver):
                ns = namespace
                if item.namespace:
                    ns = f"{namespace}:{item.namespace}" if namespace else item.namespace
                yield from walk(item.url_patterns, prefix + str(item.pattern), ns)
            elif isinstance(item, URLPattern):
                route = prefix + str(item.pattern)
                if item.name:
                    yield route, f"{namespace}:{item.name}" if namespace else item.name
                else:
                    yield route, item.lookup_str

    for route, name in walk(get_resolver().url_patterns, "", ""):
        if route.startswith(ADMIN_PREFIXES):
            yield route, name


# Unnamed routes that answer nothing of an organization: Django admin's redirects to an
# object's change page and its catch-all, Wagtail's admin 404 page and catch-all. As
# unclassified views they answer 404 to everyone but operators, which is what they do.
CLOSED_ON_PURPOSE = {
    "django.contrib.admin.sites.AdminSite.catch_all_view",
    "django.views.generic.base.RedirectView",
    "django.views.generic.base.TemplateView",
    "wagtail.admin.views.home.default",
}


def test_every_admin_url_is_classified() -> None:
    routes = list(admin_view_names())
    kinds: dict[str, int] = {}
    unclassified = []
    for route, name in routes:
        rule = rule_for(name)
        if rule is None:
            kinds["closed (unclassified)"] = kinds.get("closed (unclassified)", 0) + 1
            if name not in CLOSED_ON_PURPOSE:
                unclassified.append(f"{name}  ({route})")
        else:
            kinds[rule.kind.value] = kinds.get(rule.kind.value, 0) + 1
    print(f"admin URL patterns: {len(routes)}; by kind: {kinds}")
    assert not unclassified, "classify these in organizations/admin_registry.py:\n" + "\n".join(
        unclassified
    )


def test_every_scoped_rule_names_a_documented_policy() -> None:
    for name, rule in admin_registry.REGISTRY.items():
        if rule.kind is Kind.SCOPED:
            assert rule.policy in POLICIES, name


@pytest.mark.django_db
def test_an_unclassified_admin_view_is_404_for_all_but_operators(
    client: Client, org_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Take one scoped screen out of the registry: it must close for everyone but operators.
    monkeypatch.delitem(admin_registry.REGISTRY, "wagtaildocs:index")
    for role in (Role.OWNER, Role.EDITOR):
        client.force_login(org_a.users[role])
        assert client.get("/admin/documents/").status_code == 404
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get("/admin/documents/").status_code == 200


@pytest.mark.django_db
def test_operator_screens_are_404_for_organization_roles(client: Client, org_a: Tenant) -> None:
    operator_routes = [
        name for name, rule in admin_registry.REGISTRY.items() if rule == Rule(Kind.OPERATOR)
    ]
    assert "wagtailadmin_reports:page_types_usage" in operator_routes
    client.force_login(org_a.users[Role.OWNER])
    for url in (
        "/admin/reports/page-types-usage/",
        "/admin/reports/page-types-usage/results/",
        "/admin/users/",
        "/admin/groups/",
        "/admin/workflows/list/",
        "/django-admin/",
        "/django-admin/auth/group/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_for_every_non_public_admin_url(
    client: Client,
) -> None:
    for url in (
        "/admin/reports/site-history/",
        "/admin/reports/site-history/?export=csv",
        "/admin/reports/site-history/results/",
        "/admin/snippets/",
        "/admin/documents/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
