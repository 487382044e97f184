"""Cross-organization sweep of every Wagtail admin URL.

Every URL pattern under /admin/ is enumerated from the URL resolver (so screens added
later are covered automatically). Each parameter is filled with the ids of organization
A's pages, snippets, documents, images, revisions, collections and groups, and each URL is
requested with GET and POST as an editor and as an admin of organization B. No response
may carry A's marker, and A's data must be unchanged afterwards.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from organizations.roles import Role
from tests.tenants import MARKER_A, MARKER_B
from tests.wagtail_tenancy.content import build_content, snapshot

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]


def _params(pattern: Any) -> tuple[str, ...]:
    regex = pattern.pattern.regex
    return tuple(regex.groupindex)


def admin_routes() -> Iterator[Route]:
    def walk(
        patterns: list[Any], prefix: str, namespace: str, inherited: tuple[str, ...]
    ) -> Iterator[Route]:
        for item in patterns:
            if isinstance(item, URLResolver):
                ns = namespace
                if item.namespace:
                    ns = f"{namespace}:{item.namespace}" if namespace else item.namespace
                yield from walk(
                    item.url_patterns, prefix + str(item.pattern), ns, inherited + _params(item)
                )
            elif isinstance(item, URLPattern) and item.name:
                full = f"{namespace}:{item.name}" if namespace else item.name
                yield Route(full, prefix + str(item.pattern), inherited + _params(item))

    for route in walk(get_resolver().url_patterns, "", "", ()):
        if route.route.startswith("admin/"):
            yield route


def _candidates(route: Route, name: str, a: Any) -> list[Any]:
    area = route.route
    page_ids = [a.page.pk, a.root.pk]
    if name in {"page_id", "parent_page_id", "page_pk", "page_to_move_id", "destination_id"}:
        return page_ids
    if name in {"document_id", "doc_id"}:
        return [a.document.pk]
    if name == "image_id":
        return [a.image.pk]
    if name == "collection_id":
        return [a.collection_id]
    if name in {"revision_id", "revision_id_a", "revision_id_b"}:
        if "snippets" in area:
            return a.announcement_revision_ids
        return a.page_revision_ids
    if name in {"pk", "object_id"}:
        if "snippets/dashboards/announcement" in area:
            return [a.announcement.pk]
        if "snippets/dashboards/quicklink" in area:
            return [a.quicklink.pk]
        if "documents" in area:
            return [a.document.pk]
        if "images" in area:
            return [a.image.pk]
        if "collections" in area:
            return [a.collection_id]
        if "groups" in area:
            return a.group_ids[:1]
        if "users" in area:
            return [a.owner.pk]
        return page_ids
    if name == "app_label":
        return ["wagtailcore", "dashboards", "secure_documents", "wagtailimages"]
    if name == "model_name":
        return ["page", "announcement", "quicklink", "securedocument", "image"]
    if name == "action":
        return ["delete", "publish", "unpublish", "move", "add_to_collection", "add_tags"]
    if name == "action_name":
        return ["copy", "move", "convert_alias"]
    if name in {"app_name", "content_type_app_name"}:
        return ["dashboards"]
    if name in {"content_type_model_name"}:
        return ["announcement"]
    return ["1"]


def _urls(route: Route, a: Any) -> Iterator[str]:
    choices = [_candidates(route, name, a) for name in route.params]
    for values in itertools.product(*choices):
        kwargs = dict(zip(route.params, values, strict=True))
        if route.name.endswith("wagtail_bulk_action"):
            base = reverse(route.name, kwargs=kwargs)
            for ident in (a.page.pk, a.announcement.pk, a.quicklink.pk, a.document.pk, a.image.pk):
                yield f"{base}?id={ident}"
            yield f"{base}?id=all&childOf={a.root.pk}"
            continue
        try:
            yield reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:  # a value the converter rejects: not a URL
            continue


def _query_probes(a: Any) -> list[str]:
    return [
        "",
        # Search terms matching A's titles (without echoing the marker itself), plus the
        # filter parameters Wagtail's listings and APIs understand, all with A's ids.
        "?q=Page",
        "?q=News",
        f"?q=Doc&collection_id={a.collection_id}",
        "?q=Image",
        f"?q=Link&child_of={a.root.pk}&for_explorer=1&descendant_of={a.root.pk}",
        f"?id={a.page.pk}&id={a.document.pk}&id={a.image.pk}&parent_page_id={a.root.pk}",
    ]


@pytest.fixture
def tenants(org_a, org_b):  # type: ignore[no-untyped-def]
    a = build_content(org_a.organization, MARKER_A, org_a.users[Role.EDITOR])
    a.owner = org_a.users[Role.OWNER]
    b = build_content(org_b.organization, MARKER_B, org_b.users[Role.EDITOR])
    return org_a, org_b, a, b


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_no_admin_url_leaks_or_changes_another_organizations_data(tenants, role: str) -> None:
    org_a, org_b, a, _b = tenants
    before = snapshot(org_a.organization)
    client = Client(raise_request_exception=False)
    client.force_login(org_b.users[role])
    leaks: list[str] = []
    errors: list[str] = []
    requested = 0
    marker = re.compile(re.escape(MARKER_A), re.IGNORECASE)
    for route in admin_routes():
        if "logout" in route.name:
            continue  # would end the session and turn the rest of the sweep anonymous
        if route.route == "admin/failwhale/":
            continue  # Wagtail's deliberate error page for testing 500 handling
        urls = list(_urls(route, a))
        if not route.params:
            urls = [urls[0] + probe for probe in _query_probes(a)] if urls else []
        for url in urls:
            # Query-string probes are for GET listings; POST gets each path once.
            methods = ("get",) if "?" in url and not route.params else ("get", "post")
            for method in methods:
                response = getattr(client, method)(url, HTTP_HOST="testserver")
                requested += 1
                assert "_auth_user_id" in client.session, f"{method} {url} ended the session"
                if response.status_code >= 500:
                    errors.append(f"{method.upper()} {url} -> {response.status_code}")
                    continue
                if 200 <= response.status_code < 300 and marker.search(_body(response)):
                    leaks.append(f"{method.upper()} {url} ({route.name}) -> {response.status_code}")
    assert requested > 500
    assert not leaks, "\n".join(leaks)
    assert snapshot(org_a.organization) == before
    assert not errors, "\n".join(errors)
