"""A new organization's overview shows its first steps (invite people, upload a
document, publish a page) to the people who can take them, until all are done."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from organizations.roles import Role
from tests.factories import add_member, make_org

pytestmark = pytest.mark.django_db


def _steps(client: Client, slug: str) -> dict[str, bool] | None:
    page = client.get(f"/o/{slug}/").content.decode()
    if 'id="first-steps"' not in page:
        return None
    return {
        key: "first-steps__item--done" in match
        for key, match in (
            (m.group(2), m.group(1))
            for m in re.finditer(r'class="([^"]*)" id="first-step-(\w+)"', page)
        )
    }


def test_first_steps_are_shown_until_done(site_tree) -> None:  # type: ignore[no-untyped-def]
    from dashboards.models import OrganizationPage
    from home.models import ContentPage
    from organizations.services import invitation_send
    from secure_documents.services import document_create

    organization, owner = make_org("Nimbus", "nimbus")
    client = Client()
    client.force_login(owner)
    assert _steps(client, "nimbus") == {"invite": False, "upload": False, "publish": False}

    invitation_send(
        acting_user=owner, organization=organization, email="a@x.example", role="member"
    )
    assert _steps(client, "nimbus") == {"invite": True, "upload": False, "publish": False}

    document_create(
        acting_user=owner,
        organization=organization,
        uploaded_file=SimpleUploadedFile("notes.txt", b"notes\n", "text/plain"),
    )
    assert _steps(client, "nimbus") == {"invite": True, "upload": True, "publish": False}

    # A member sees no checklist: the steps are for those who can take them.
    member = add_member(organization, Role.MEMBER)
    other = Client()
    other.force_login(member)
    assert _steps(other, "nimbus") is None

    root = OrganizationPage.objects.get(organization=organization)
    page = root.add_child(instance=ContentPage(title="Welcome", slug="welcome"))
    page.save_revision(user=owner).publish()
    assert _steps(client, "nimbus") is None  # all done: gone


def test_first_steps_cost_a_fixed_number_of_queries(site_tree) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboards.first_steps import first_steps

    organization, _owner = make_org("Nimbus", "nimbus")
    with CaptureQueriesContext(connection) as small:
        steps = first_steps(organization.pk, organization.slug)
    assert [step.key for step in steps] == ["invite", "upload", "publish"]
    for _index in range(20):
        add_member(organization, Role.MEMBER)
    with CaptureQueriesContext(connection) as large:
        first_steps(organization.pk, organization.slug)
    # At most six (one fewer once the first check already answers), whatever the size.
    assert len(small) <= 6
    assert len(large) <= 6
