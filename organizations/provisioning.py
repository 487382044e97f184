"""Wagtail side of an organization: its page root, collection and role groups.

``organization_provision`` is idempotent: it creates what is missing and repairs what
drifted (titles, permissions, view restriction, group membership), and reports what it
changed. Services call it inside their transaction; ``manage.py sync_organizations``
runs it for every organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    PageViewRestriction,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from organizations.models import Membership, Organization, RoleGroup
from organizations.pages import root_page_model
from organizations.roles import Role

CONTENT_ROLES = (Role.OWNER, Role.ADMIN, Role.EDITOR)

PAGE_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
    ],
    Role.ADMIN: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
    ],
    Role.EDITOR: ["add_page", "change_page", "publish_page", "lock_page"],
    Role.MEMBER: [],
    Role.VIEWER: [],
}
# With moderation on, editors submit and the approvers (the workflow's task) publish:
# a page permission to publish would let editors skip the workflow.
MODERATED_OUT: dict[str, set[str]] = {Role.EDITOR: {"publish_page"}}
# Who approves an organization's pages when moderation is on.
APPROVER_ROLES = (Role.OWNER, Role.ADMIN)
_MEDIA_EDIT = [
    "add_document",
    "change_document",
    "choose_document",
    "add_image",
    "change_image",
    "choose_image",
]
_MEDIA_DELETE = ["delete_document", "delete_image"]
COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: _MEDIA_EDIT + _MEDIA_DELETE,
    Role.ADMIN: _MEDIA_EDIT + _MEDIA_DELETE,
    Role.EDITOR: _MEDIA_EDIT,
    Role.MEMBER: [],
    Role.VIEWER: [],
}
# Model-level permissions; OrganizationPermissionPolicy narrows them to the user's
# organizations, so holding them never reaches another organization's rows.
_SNIPPETS = [
    "dashboards.add_announcement",
    "dashboards.change_announcement",
    "dashboards.delete_announcement",
    "dashboards.publish_announcement",
    "dashboards.lock_announcement",
    "dashboards.unlock_announcement",
    "dashboards.add_quicklink",
    "dashboards.change_quicklink",
    "dashboards.delete_quicklink",
]
MODEL_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: ["wagtailadmin.access_admin", *_SNIPPETS],
    Role.ADMIN: ["wagtailadmin.access_admin", *_SNIPPETS],
    Role.EDITOR: ["wagtailadmin.access_admin", *_SNIPPETS],
    Role.MEMBER: [],
    Role.VIEWER: [],
}


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated}


def group_name(organization: Organization, role: str) -> str:
    return f"org{organization.pk}:{role}"


def _permissions(codenames: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in codenames}
    found = [
        permission
        for permission in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    if len(found) != len(wanted):
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        raise RuntimeError(f"permissions missing (run migrate): {sorted(missing)}")
    return found


def _collection_label(codename: str) -> str:
    return f"{'wagtaildocs' if codename.endswith('document') else 'wagtailimages'}.{codename}"


def every_role_permission() -> dict[str, Permission]:
    """Every permission a role group may hold, by ``app_label.codename``: one query for
    the whole provisioning run instead of one per role and kind."""
    labels = {label for labels in MODEL_PERMISSIONS.values() for label in labels}
    labels |= {f"wagtailcore.{c}" for codes in PAGE_PERMISSIONS.values() for c in codes}
    labels |= {_collection_label(c) for codes in COLLECTION_PERMISSIONS.values() for c in codes}
    return {
        f"{permission.content_type.app_label}.{permission.codename}": permission
        for permission in _permissions(sorted(labels))
    }


def home_page() -> Page:
    """The default site's root page: organization roots go right under it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise RuntimeError("no default Site exists: run migrate first")
    return site.root_page


def _ensure_root_page(organization: Organization, report: Report) -> Any:
    model = root_page_model()
    page = model.objects.filter(organization=organization).first()
    if page is None:
        home = home_page()
        slug = organization.slug
        if Page.objects.child_of(home).filter(slug=slug).exists():
            slug = f"{slug}-org"
        page = home.add_child(
            instance=model(title=organization.name, slug=slug, organization=organization, live=True)
        )
        page.save_revision().publish()
        report.created.append(f"page {page.url_path}")
    else:
        changed = []
        if page.title != organization.name or page.draft_title != organization.name:
            page.title = page.draft_title = organization.name
            changed.append(f"title {organization.name!r}")
        slug_free = (
            not Page.objects.sibling_of(page, inclusive=False)
            .filter(slug=organization.slug)
            .exists()
        )
        if page.slug != organization.slug and slug_free:
            page.slug = organization.slug
            changed.append(f"slug {organization.slug!r}")
        if changed:
            page.save()  # a full save also rewrites the subtree's URL paths
            report.updated.append("page " + ", ".join(changed))
    return page


def _ensure_collection(organization: Organization, report: Report) -> Collection:
    collection = organization.collection
    if collection is None:
        collection = Collection.get_first_root_node().add_child(name=organization.name)
        organization.collection = collection
        Organization.objects.filter(pk=organization.pk).update(collection=collection)
        report.created.append(f"collection {organization.name!r}")
    elif collection.name != organization.name:
        collection.name = organization.name
        collection.save(update_fields=["name"])
        report.updated.append(f"collection name {organization.name!r}")
    return collection


def _ensure_groups(organization: Organization, report: Report) -> dict[str, Group]:
    existing = {
        rg.role: rg.group
        for rg in RoleGroup.objects.filter(organization=organization).select_related("group")
    }
    missing = {role: group_name(organization, role) for role in Role.values if role not in existing}
    if missing:
        # A group of that name left behind without its link (e.g. a restored backup) is
        # reused, as get_or_create would; the rest are created in one statement.
        named = {g.name: g for g in Group.objects.filter(name__in=missing.values())}
        new = [Group(name=name) for name in missing.values() if name not in named]
        for group in Group.objects.bulk_create(new):
            named[group.name] = group
        RoleGroup.objects.bulk_create(
            [
                RoleGroup(organization=organization, role=role, group=named[name])
                for role, name in missing.items()
            ]
        )
        for role, name in missing.items():
            existing[role] = named[name]
            report.created.append(f"group {name}")
    return {role: existing[role] for role in Role.values}


@dataclass(frozen=True)
class WantedPermissions:
    """What one role group of one organization holds: permission ids, and (object id,
    permission id) pairs on its page root and its collection."""

    model: set[int]
    page: set[tuple[int, int]]
    collection: set[tuple[int, int]]


def wanted_permissions(
    organization: Organization,
    role: str,
    page_id: int,
    collection_id: int,
    permissions: dict[str, Permission],
) -> WantedPermissions:
    # A suspended organization keeps its groups but they grant nothing: its editors are
    # locked out of the admin until it is reactivated.
    if not organization.is_active:
        return WantedPermissions(set(), set(), set())
    page_codenames = set(PAGE_PERMISSIONS[role])
    if organization.moderation_enabled:
        page_codenames -= MODERATED_OUT.get(role, set())
    return WantedPermissions(
        model={permissions[label].pk for label in MODEL_PERMISSIONS[role]},
        page={(page_id, permissions[f"wagtailcore.{c}"].pk) for c in page_codenames},
        collection={
            (collection_id, permissions[_collection_label(c)].pk)
            for c in COLLECTION_PERMISSIONS[role]
        },
    )


def _sync_permissions(
    organization: Organization,
    page: Page,
    collection: Collection,
    groups: dict[str, Group],
    report: Report,
) -> None:
    """Give each role group exactly its permissions, reading what the groups hold in three
    queries and writing only the groups that differ (a new organization: all of them,
    in bulk)."""
    permissions = every_role_permission()
    group_ids = [group.pk for group in groups.values()]
    model_held: dict[int, set[int]] = {pk: set() for pk in group_ids}
    through = Group.permissions.through
    for group_id, permission_id in through.objects.filter(group_id__in=group_ids).values_list(
        "group_id", "permission_id"
    ):
        model_held[group_id].add(permission_id)
    page_held: dict[int, set[tuple[int, int]]] = {pk: set() for pk in group_ids}
    for group_id, page_id, permission_id in GroupPagePermission.objects.filter(
        group_id__in=group_ids
    ).values_list("group_id", "page_id", "permission_id"):
        page_held[group_id].add((page_id, permission_id))
    collection_held: dict[int, set[tuple[int, int]]] = {pk: set() for pk in group_ids}
    for group_id, collection_id, permission_id in GroupCollectionPermission.objects.filter(
        group_id__in=group_ids
    ).values_list("group_id", "collection_id", "permission_id"):
        collection_held[group_id].add((collection_id, permission_id))

    new_model, new_page, new_collection = [], [], []
    stale_model, stale_page, stale_collection = [], [], []
    for role, group in groups.items():
        wanted = wanted_permissions(organization, role, page.pk, collection.pk, permissions)
        if model_held[group.pk] != wanted.model:
            stale_model.append(group.pk)
            new_model += [through(group_id=group.pk, permission_id=pk) for pk in wanted.model]
            report.updated.append(f"{group.name} model permissions")
        if page_held[group.pk] != wanted.page:
            stale_page.append(group.pk)
            new_page += [
                GroupPagePermission(group_id=group.pk, page_id=page_id, permission_id=pk)
                for page_id, pk in wanted.page
            ]
            report.updated.append(f"{group.name} page permissions")
        if collection_held[group.pk] != wanted.collection:
            stale_collection.append(group.pk)
            new_collection += [
                GroupCollectionPermission(
                    group_id=group.pk, collection_id=collection_id, permission_id=pk
                )
                for collection_id, pk in wanted.collection
            ]
            report.updated.append(f"{group.name} collection permissions")

    if stale_model:
        through.objects.filter(group_id__in=stale_model).delete()
        through.objects.bulk_create(new_model)
    if stale_page:
        GroupPagePermission.objects.filter(group_id__in=stale_page).delete()
        GroupPagePermission.objects.bulk_create(new_page)
    if stale_collection:
        GroupCollectionPermission.objects.filter(group_id__in=stale_collection).delete()
        GroupCollectionPermission.objects.bulk_create(new_collection)


def workflow_name(organization: Organization) -> str:
    return f"{organization.name} approval"


def _ensure_workflow(
    organization: Organization, page: Page, groups: dict[str, Group], report: Report
) -> None:
    """The organization's workflow: one approval task on its owner and admin groups,
    assigned to its page root while moderation is on (the whole subtree follows it).
    Created on first use and kept afterwards, so the history of past approvals keeps its
    workflow; switching moderation off unassigns it and cancels what was waiting."""
    workflow = organization.workflow
    if workflow is None:
        if not organization.moderation_enabled:
            return
        workflow = Workflow.objects.create(name=workflow_name(organization), active=True)
        task = GroupApprovalTask.objects.create(
            name=f"Approval by {organization.name} admins", active=True
        )
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        organization.workflow = workflow
        Organization.objects.filter(pk=organization.pk).update(workflow=workflow)
        report.created.append(f"workflow {workflow.name!r}")
    if workflow.name != workflow_name(organization):
        workflow.name = workflow_name(organization)
        workflow.save(update_fields=["name"])
        report.updated.append(f"workflow name {workflow.name!r}")
    approvers = {groups[role] for role in APPROVER_ROLES}
    for task in GroupApprovalTask.objects.filter(workflow_tasks__workflow=workflow):
        if set(task.groups.all()) != approvers:
            task.groups.set(approvers)
            report.updated.append(f"approvers of {task.name!r}")
        wanted_name = f"Approval by {organization.name} admins"
        if task.name != wanted_name:
            task.name = wanted_name
            task.save(update_fields=["name"])
    assigned = WorkflowPage.objects.filter(page=page).first()
    if organization.moderation_enabled:
        if not workflow.active:
            workflow.active = True
            workflow.save(update_fields=["active"])
            GroupApprovalTask.objects.filter(workflow_tasks__workflow=workflow).update(active=True)
            report.updated.append("workflow switched on")
        if assigned is None or assigned.workflow_id != workflow.pk:
            WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
            report.updated.append("workflow assigned to the page root")
    elif workflow.active:
        # Unassigns it (WorkflowPage) and cancels the pages waiting for approval.
        workflow.deactivate()
        report.updated.append("workflow switched off")
    elif assigned is not None:
        assigned.delete()
        report.updated.append("workflow unassigned")


def sync_view_restriction(page: Any, report: Report | None = None) -> None:
    """Members-only organization pages are restricted to the organization's groups."""
    restriction = PageViewRestriction.objects.filter(page=page).first()
    if not page.members_only:
        if restriction is not None:
            restriction.delete()
            if report:
                report.updated.append("view restriction removed")
        return
    groups = list(Group.objects.filter(role_group__organization_id=page.organization_id))
    if restriction is None or restriction.restriction_type != PageViewRestriction.GROUPS:
        if restriction is not None:
            restriction.delete()
        restriction = PageViewRestriction.objects.create(
            page=page, restriction_type=PageViewRestriction.GROUPS
        )
        if report:
            report.created.append("view restriction")
    if set(restriction.groups.all()) != set(groups):
        restriction.groups.set(groups)
        if report:
            report.updated.append("view restriction groups")


def sync_membership_groups(*, user_id: int, organization: Organization) -> None:
    """Put the user in exactly the group of their current role (or none if not a member)."""
    role = (
        Membership.objects.filter(user_id=user_id, organization=organization)
        .values_list("role", flat=True)
        .first()
    )
    role_groups = RoleGroup.objects.filter(organization=organization)
    through = Group.user_set.through
    through.objects.filter(user_id=user_id, group__role_group__organization=organization).exclude(
        group__role_group__role=role
    ).delete()
    if role is not None:
        group = role_groups.filter(role=role).values_list("group_id", flat=True).first()
        if group is not None:
            through.objects.get_or_create(user_id=user_id, group_id=group)


def _sync_all_memberships(organization: Organization, report: Report) -> None:
    through = Group.user_set.through
    wanted = {
        (m.user_id, m.role)
        for m in Membership.objects.filter(organization=organization).only("user_id", "role")
    }
    current = set(
        through.objects.filter(group__role_group__organization=organization).values_list(
            "user_id", "group__role_group__role"
        )
    )
    if wanted != current:
        for user_id in {u for u, _ in wanted ^ current}:
            sync_membership_groups(user_id=user_id, organization=organization)
        report.updated.append(f"group membership of {len(wanted ^ current)} user/role pairs")


@transaction.atomic
def organization_provision(*, organization: Organization) -> dict[str, list[str]]:
    """Create or repair everything Wagtail needs for ``organization`` (idempotent)."""
    report = Report()
    page = _ensure_root_page(organization, report)
    collection = _ensure_collection(organization, report)
    groups = _ensure_groups(organization, report)
    _sync_permissions(organization, page, collection, groups, report)
    _ensure_workflow(organization, page, groups, report)
    sync_view_restriction(page, report)
    _sync_all_memberships(organization, report)
    return report.as_dict()
