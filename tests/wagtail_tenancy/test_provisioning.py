from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import GroupPagePermission, Page, PageViewRestriction

from dashboards.models import OrganizationPage
from home.models import ContentPage, HomePage
from organizations import services
from organizations.models import Membership, Organization, RoleGroup
from organizations.provisioning import organization_provision
from organizations.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_creating_an_organization_provisions_page_collection_and_groups(org_a) -> None:  # type: ignore[no-untyped-def]
    organization = org_a.organization
    root = OrganizationPage.objects.get(organization=organization)
    assert isinstance(root.get_parent().specific, HomePage)
    assert root.live
    assert root.title == organization.name
    assert organization.collection.name == organization.name
    groups = {rg.role: rg.group for rg in RoleGroup.objects.filter(organization=organization)}
    assert set(groups) == set(Role.values)
    editor_perms = set(
        GroupPagePermission.objects.filter(group=groups[Role.EDITOR]).values_list(
            "permission__codename", flat=True
        )
    )
    assert editor_perms == {"add_page", "change_page", "publish_page", "lock_page"}
    assert not GroupPagePermission.objects.filter(group=groups[Role.MEMBER]).exists()
    assert org_a.users[Role.EDITOR].has_perm("wagtailadmin.access_admin")
    assert not org_a.users[Role.MEMBER].has_perm("wagtailadmin.access_admin")


def test_provisioning_is_idempotent(org_a) -> None:  # type: ignore[no-untyped-def]
    assert organization_provision(organization=org_a.organization) == {
        "created": [],
        "updated": [],
    }


def test_membership_changes_move_the_user_between_groups_at_once(org_a) -> None:  # type: ignore[no-untyped-def]
    user = org_a.users[Role.VIEWER]
    membership = Membership.objects.get(user=user, organization=org_a.organization)

    def roles() -> set[str]:
        return set(
            Group.objects.filter(
                user=user, role_group__organization=org_a.organization
            ).values_list("role_group__role", flat=True)
        )

    assert roles() == {Role.VIEWER}
    services.membership_set_role(
        acting_user=org_a.users[Role.OWNER], membership=membership, role=Role.EDITOR
    )
    assert roles() == {Role.EDITOR}
    services.membership_remove(acting_user=org_a.users[Role.OWNER], membership=membership)
    assert roles() == set()


def test_renaming_updates_page_title_slug_and_collection(org_a) -> None:  # type: ignore[no-untyped-def]
    services.organization_update(
        acting_user=org_a.users[Role.OWNER],
        organization=org_a.organization,
        name="Alpha Renamed",
        slug="alpha-renamed",
        require_mfa=False,
    )
    root = OrganizationPage.objects.get(organization=org_a.organization)
    assert (root.title, root.slug) == ("Alpha Renamed", "alpha-renamed")
    assert root.url_path.endswith("/alpha-renamed/")
    org_a.organization.collection.refresh_from_db()
    assert org_a.organization.collection.name == "Alpha Renamed"


def test_suspension_takes_pages_offline_and_blocks_editors(client, org_a) -> None:  # type: ignore[no-untyped-def]
    operator = UserFactory(is_superuser=True, is_staff=True)
    root = OrganizationPage.objects.get(organization=org_a.organization)
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    assert client.get(root.url).status_code == 200
    services.organization_set_active(
        acting_user=operator, organization=org_a.organization, active=False
    )
    assert client.get(root.url).status_code == 404
    editor = type(member).objects.get(pk=org_a.users[Role.EDITOR].pk)
    assert not editor.has_perm("wagtailadmin.access_admin")
    client.force_login(editor)
    assert client.get(f"/admin/pages/{root.pk}/edit/").status_code in (302, 403, 404)
    services.organization_set_active(
        acting_user=operator, organization=org_a.organization, active=True
    )
    editor = type(member).objects.get(pk=editor.pk)
    assert editor.has_perm("wagtailadmin.access_admin")


def test_members_only_pages(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    root = OrganizationPage.objects.get(organization=org_a.organization)
    restriction = PageViewRestriction.objects.get(page=root)
    assert restriction.restriction_type == PageViewRestriction.GROUPS
    # Anonymous: the same 404 as for a page that does not exist, offering to sign in.
    response = client.get(root.url)
    assert response.status_code == 404
    assert client.get("/alpha/no-such-page/").status_code == 404
    assert b"/accounts/login/?next=/alpha/" in response.content
    client.force_login(org_b.users[Role.OWNER])
    assert client.get(root.url).status_code == 404
    client.force_login(org_a.users[Role.VIEWER])
    assert client.get(root.url).status_code == 200
    root.members_only = False
    root.save_revision().publish()
    assert not PageViewRestriction.objects.filter(page=root).exists()
    client.logout()
    assert client.get(root.url).status_code == 200


def test_page_type_rules() -> None:
    assert not OrganizationPage.is_creatable
    assert OrganizationPage.allowed_parent_page_models() == [HomePage]
    assert OrganizationPage in ContentPage.allowed_parent_page_models()


def test_sync_command_repairs_drift_and_reports_it(org_a) -> None:  # type: ignore[no-untyped-def]
    GroupPagePermission.objects.filter(group__role_group__organization=org_a.organization).delete()
    out = io.StringIO()
    call_command("sync_organizations", stdout=out)
    assert "page permissions" in out.getvalue()
    assert GroupPagePermission.objects.filter(
        group__role_group__organization=org_a.organization
    ).exists()
    out = io.StringIO()
    call_command("sync_organizations", stdout=out)
    assert "nothing to change" in out.getvalue()


def test_unprovisioned_organizations_are_provisioned_after_migrate(db) -> None:  # type: ignore[no-untyped-def]
    from organizations.apps import provision_unprovisioned

    bare = Organization.objects.create(name="Bare", slug="bare")
    provision_unprovisioned()
    assert OrganizationPage.objects.filter(organization=bare).exists()
    assert RoleGroup.objects.filter(organization=bare).count() == len(Role.values)


def test_wagtail_default_groups_are_gone(db) -> None:  # type: ignore[no-untyped-def]
    assert not Group.objects.filter(name__in=["Editors", "Moderators"]).exists()
    assert not Page.objects.filter(group_permissions__group__name="Editors").exists()
