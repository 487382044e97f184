"""List endpoints read a constant number of queries, whatever the amount of data."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from django.core.files.images import ImageFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.images import get_image_model

from dashboards.announcements import announcement_create, announcement_publish
from dashboards.models import OrganizationPage
from home.models import ContentPage
from organizations.roles import Role
from organizations.services import invitation_send
from tests.api.conftest import bearer, document, make_token
from tests.factories import add_member

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)

LISTS = [
    "/api/v1/me",
    "/api/v1/organizations/alpha/members",
    "/api/v1/organizations/alpha/invitations",
    "/api/v1/organizations/alpha/documents?limit=100",
    "/api/v1/organizations/alpha/announcements",
    "/api/v1/organizations/alpha/audit-log?limit=100",
    "/api/v1/content/pages/",
    "/api/v1/content/images/",
    "/api/v1/content/documents/",
]


def _png() -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (1, 2, 3)).save(buffer, format="PNG")
    return ImageFile(io.BytesIO(buffer.getvalue()), name="grown.png")


def _grow(tenant: Any, count: int) -> None:
    owner, editor = tenant.users[Role.OWNER], tenant.users[Role.EDITOR]
    for _ in range(count):
        n = next(_serial)
        add_member(tenant.organization, Role.MEMBER, f"grown{n}@alpha.example")
        invitation_send(
            acting_user=owner,
            organization=tenant.organization,
            email=f"invitee{n}@elsewhere.example",
            role=Role.VIEWER,
        )
        document(tenant, f"grown{n}.txt", b"some words", title=f"Grown {n}").tags.add(f"t{n}")
        note = announcement_create(
            acting_user=editor, organization=tenant.organization, title=f"N{n}", body="<p>x</p>"
        )
        announcement_publish(acting_user=editor, announcement=note)
        image = get_image_model()(
            title=f"Image {n}", collection=tenant.organization.collection, uploaded_by_user=editor
        )
        image.file = _png()
        image.save()
        image.tags.add(f"tag{n}")
        page = OrganizationPage.objects.get(organization=tenant.organization).add_child(
            instance=ContentPage(title=f"Page {n}", slug=f"page-{n}")
        )
        page.save_revision().publish()


def _counts(client: Client, auth: dict[str, str]) -> dict[str, int]:
    counts = {}
    for url in LISTS:
        client.get(url, **auth)  # warm: the token's last use is written once a minute
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **auth)
        assert response.status_code == 200, (url, response.content[:200])
        counts[url] = len(queries.captured_queries)
    return counts


def test_list_endpoints_read_the_same_number_of_queries_at_two_sizes(org_a: Any) -> None:
    client = Client()
    auth = bearer(make_token(org_a, Role.OWNER))
    _grow(org_a, 2)
    small = _counts(client, auth)
    _grow(org_a, 10)
    large = _counts(client, auth)
    print("\nqueries per list endpoint:", small)
    assert small == large
