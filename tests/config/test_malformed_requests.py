"""A POST missing the bookkeeping fields Wagtail's editors read answers 400 and saves nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from dashboards.models import OrganizationPage
from tests.factories import make_org

pytestmark = pytest.mark.django_db


def test_page_edit_post_without_streamfield_counts_is_a_400_and_changes_nothing() -> None:
    organization, owner = make_org("Malformed", "malformed")
    page = OrganizationPage.objects.get(organization=organization)
    title_before = page.title
    revisions_before = page.revisions.count()
    client = Client(raise_request_exception=False)
    client.force_login(owner)

    response = client.post(f"/admin/pages/{page.pk}/edit/", {"title": "Changed"})

    assert response.status_code == 400
    assert b"nothing was saved" in response.content
    page.refresh_from_db()
    assert page.title == title_before
    assert page.revisions.count() == revisions_before


def test_get_requests_keep_their_own_errors() -> None:
    client = Client(raise_request_exception=False)
    assert client.get("/health/live").status_code == 200
