"""The organization middleware: one query for the person's memberships, whatever their
number, and the access rule's answers for /o/<slug>/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from organizations.middleware import OrganizationMiddleware
from organizations.roles import Role
from tests.factories import make_org
from tests.tenants import Tenant

pytestmark = pytest.mark.django_db


def _run(user: object, path: str) -> tuple[HttpRequest, HttpResponse, int]:
    request = RequestFactory().get(path)
    request.user = user  # type: ignore[assignment]
    request.session = SessionStore()
    seen: list[HttpRequest] = []

    def view(inner: HttpRequest) -> HttpResponse:
        seen.append(inner)
        return HttpResponse("ok")

    with CaptureQueriesContext(connection) as queries:
        response = OrganizationMiddleware(view)(request)
    return request, response, len(queries)


@pytest.mark.parametrize("extra_organizations", [0, 12])
def test_one_query_for_the_memberships_at_any_number_of_them(
    org_a: Tenant, extra_organizations: int
) -> None:
    owner = org_a.users[Role.OWNER]
    for index in range(extra_organizations):
        other, _ = make_org(f"Other {index}", f"other-{index}")
        from organizations.services import membership_add

        membership_add(acting_user=None, organization=other, user=owner, role=Role.MEMBER)
    user = type(owner).objects.select_related("profile").get(pk=owner.pk)
    request, response, queries = _run(user, "/o/alpha/members/")
    assert response.status_code == 200
    assert request.organization == org_a.organization  # type: ignore[attr-defined]
    assert queries == 1


def test_anonymous_visitors_are_sent_to_sign_in_for_any_slug(db: None) -> None:
    for path in ("/o/alpha/", "/o/does-not-exist/"):
        _, response, queries = _run(AnonymousUser(), path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert queries == 0
