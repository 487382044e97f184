"""Per-organization moderation: the switch, the provisioned workflow, approval inside the
organization only, the scoped workflow reports, the reviewers' notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import GroupPagePermission, TaskState, Workflow, WorkflowPage, WorkflowState

from dashboards.models import OrganizationPage
from home.models import ContentPage
from organizations import services
from organizations.models import AuditEvent
from organizations.provisioning import organization_provision
from organizations.roles import Role

pytestmark = pytest.mark.django_db


def _moderate(tenant: Any) -> Workflow:
    services.organization_set_moderation(
        acting_user=tenant.users[Role.OWNER], organization=tenant.organization, enabled=True
    )
    tenant.organization.refresh_from_db()
    assert tenant.organization.workflow is not None
    return tenant.organization.workflow


def _submitted_page(tenant: Any, title: str = "Spring update") -> tuple[Any, TaskState]:
    root = OrganizationPage.objects.get(organization=tenant.organization)
    page = root.add_child(instance=ContentPage(title=title, slug="spring-update", live=False))
    editor = tenant.users[Role.EDITOR]
    page.save_revision(user=editor)
    workflow = page.get_workflow()
    assert workflow is not None
    state = workflow.start(page, editor)
    return page, state.current_task_state


def test_switching_moderation_on_provisions_the_organizations_workflow(org_a) -> None:  # type: ignore[no-untyped-def]
    workflow = _moderate(org_a)
    root = OrganizationPage.objects.get(organization=org_a.organization)
    assert WorkflowPage.objects.get(page=root).workflow == workflow
    assert workflow.active
    task = workflow.tasks.get().specific
    approvers = {g.role_group.role for g in task.groups.all()}
    assert approvers == {Role.OWNER, Role.ADMIN}
    editor_group = org_a.organization.role_groups.get(role=Role.EDITOR).group
    editor_perms = set(
        GroupPagePermission.objects.filter(group=editor_group).values_list(
            "permission__codename", flat=True
        )
    )
    assert "publish_page" not in editor_perms
    assert "change_page" in editor_perms
    assert AuditEvent.objects.filter(
        organization=org_a.organization, action="organization.moderation_enabled"
    ).exists()
    # Idempotent: provisioning again changes nothing.
    assert organization_provision(organization=org_a.organization) == {"created": [], "updated": []}


def test_switching_it_off_unassigns_cancels_and_gives_editors_publishing_back(org_a) -> None:  # type: ignore[no-untyped-def]
    workflow = _moderate(org_a)
    _page, task_state = _submitted_page(org_a)
    services.organization_set_moderation(
        acting_user=org_a.users[Role.ADMIN], organization=org_a.organization, enabled=False
    )
    workflow.refresh_from_db()
    assert not workflow.active
    assert not WorkflowPage.objects.filter(workflow=workflow).exists()
    assert WorkflowState.objects.get(pk=task_state.workflow_state_id).status == "cancelled"
    editor_group = org_a.organization.role_groups.get(role=Role.EDITOR).group
    assert GroupPagePermission.objects.filter(
        group=editor_group, permission__codename="publish_page"
    ).exists()
    # On again: the same workflow, reassigned.
    assert _moderate(org_a) == workflow


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MEMBER])
def test_only_admins_and_owners_switch_moderation(org_a, role: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.organization_set_moderation(
            acting_user=org_a.users[role], organization=org_a.organization, enabled=True
        )


def test_the_settings_form_switches_moderation(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.ADMIN])
    organization = org_a.organization
    response = client.post(
        f"/o/{organization.slug}/settings/",
        {"name": organization.name, "slug": organization.slug, "moderation_enabled": "on"},
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.moderation_enabled


def test_a_submitted_page_is_approved_inside_its_organization_only(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    _moderate(org_a)
    _moderate(org_b)
    mail.outbox.clear()
    page, task_state = _submitted_page(org_a)
    # Wagtail's own email to the approvers of the task: A's admin and owner, nobody of B.
    recipients = {address for message in mail.outbox for address in message.to}
    assert org_a.users[Role.ADMIN].email in recipients
    assert not any(address.endswith("bravo.example") for address in recipients)
    # In-app: the reviewers' inbox in the portal.
    from dashboards.models import Notification

    notified = set(
        Notification.objects.filter(kind="review_requested").values_list("user_id", flat=True)
    )
    assert notified == {org_a.users[Role.ADMIN].pk, org_a.users[Role.OWNER].pk}

    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=[page.pk, "approve", task_state.pk],
    )
    for outsider in (org_b.users[Role.ADMIN], org_b.users[Role.OWNER]):
        client.force_login(outsider)
        assert client.post(url, {"comment": ""}).status_code == 404  # the page's guard
    # A's editor reaches the page but is no approver: Wagtail refuses the action.
    client.force_login(org_a.users[Role.EDITOR])
    assert client.post(url, {"comment": ""}).status_code in (302, 403)
    page.refresh_from_db()
    assert not page.live
    assert not TaskState.objects.reviewable_by(org_b.users[Role.ADMIN]).exists()
    assert (
        TaskState.objects.reviewable_by(org_a.users[Role.ADMIN]).filter(pk=task_state.pk).exists()
    )

    client.force_login(org_a.users[Role.ADMIN])
    response = client.post(url, {"comment": ""})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live


def test_workflow_reports_show_the_managed_organizations_only(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    _moderate(org_a)
    _moderate(org_b)
    _submitted_page(org_a, "Alpha draft for review")
    for report in ("/admin/reports/workflow/", "/admin/reports/workflow_tasks/"):
        client.force_login(org_a.users[Role.ADMIN])
        body = client.get(report).content.decode()
        assert "Alpha draft for review" in body, report
        client.force_login(org_b.users[Role.ADMIN])
        body = client.get(report).content.decode()
        assert client.get(report).status_code == 200
        assert "Alpha draft for review" not in body
        # The filters' choices: B's workflow, not A's (its name is A's name).
        assert "ZEBRA-ALPHA" not in body
        assert "Bravo OKAPI-BRAVO-4420 approval" in body
        export = client.get(report, {"export": "csv"})
        content = b"".join(export.streaming_content) if export.streaming else export.content
        assert b"Alpha draft" not in content
        client.force_login(org_a.users[Role.EDITOR])
        assert client.get(report).status_code == 404
    # Editors are not offered the reports they cannot open.
    client.force_login(org_a.users[Role.EDITOR])
    home = client.get("/admin/").content.decode()
    assert "/admin/reports/workflow/" not in home
    assert "/admin/reports/aging-pages/" not in home


def test_workflow_urls_refuse_another_organizations_steps(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    """Wagtail loads the task, task state or workflow state of these URLs by id without
    checking it belongs to the page named: a message would name A's task (A's name)."""
    _moderate(org_a)
    _moderate(org_b)
    page_a, task_state_a = _submitted_page(org_a)
    root_b = OrganizationPage.objects.get(organization=org_b.organization)
    client.force_login(org_b.users[Role.ADMIN])
    urls = [
        reverse("wagtailadmin_pages:workflow_preview", args=[root_b.pk, task_state_a.task_id]),
        reverse(
            "wagtailadmin_pages:collect_workflow_action_data",
            args=[root_b.pk, "approve", task_state_a.pk],
        ),
        reverse("wagtailadmin_pages:workflow_action", args=[root_b.pk, "approve", task_state_a.pk]),
        reverse(
            "wagtailadmin_pages:workflow_history_detail",
            args=[root_b.pk, task_state_a.workflow_state_id],
        ),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert "ZEBRA-ALPHA" not in client.get("/admin/").content.decode()
    task_state_a.refresh_from_db()
    assert task_state_a.status == "in_progress"
    # A's own admin still reaches them.
    client.force_login(org_a.users[Role.ADMIN])
    preview = reverse("wagtailadmin_pages:workflow_preview", args=[page_a.pk, task_state_a.task_id])
    assert client.get(preview).status_code == 200
