"""``manage.py load_demo_data`` (``make demo``) fills every default panel of the demo
organizations' overviews, and running it again adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from dashboards.models import Announcement, QuickLink
from organizations.models import Organization
from secure_documents.models import SecureDocument

pytestmark = pytest.mark.django_db


def _overview(email: str, slug: str) -> str:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    response = client.get(f"/o/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_demo_fills_the_overview_panels(site_tree, settings) -> None:  # type: ignore[no-untyped-def]
    call_command("load_demo_data", verbosity=0)
    counts = (
        Announcement.objects.count(),
        QuickLink.objects.count(),
        SecureDocument.objects.count(),
    )
    call_command("load_demo_data", verbosity=0)
    assert (
        Announcement.objects.count(),
        QuickLink.objects.count(),
        SecureDocument.objects.count(),
    ) == counts
    acme = Organization.objects.get(slug="acme")

    member = _overview("member@acme.example", "acme")
    assert "Welcome to Acme Research" in member
    assert "Expense policy" in member
    assert "meeting-notes" in member or "Meeting notes" in member
    assert 'id="org-chart"' in member
    assert "No quick links yet." not in member
    assert "No documents yet." not in member
    assert f'id="activity-feed-{acme.pk}"' in member
    # The editors' announcement is for editors and above only.
    assert "Handbook review this week" not in member
    assert "Handbook review this week" in _overview("editor@acme.example", "acme")
