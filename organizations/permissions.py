"""Wagtail permission policies built on the access rule (organizations/access.py).

Registered through ``register_permission_policy`` (see wagtail_hooks.py), so every
Wagtail view that asks the registry gets the scoped answer:

- ``OrganizationPagePermissionPolicy``: Wagtail's group page permissions, counting only
  the groups of organizations where the rule lets the person edit (a suspended
  organization, or one whose two-factor requirement they have not met, grants nothing).
- ``OrganizationMediaPermissionPolicy``: the same for collection permissions (documents,
  images), plus the row's organization and role ceiling, led by an indexed
  ``organization_id IN (...)``.
- ``OrganizationPermissionPolicy``: model permissions for organization-owned snippets,
  narrowed to the rows of organizations the person edits (and their ceilings).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet
from wagtail.models import Page, PageViewRestriction
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from organizations import access
from organizations.models import Membership, Organization
from organizations.pages import root_pages
from organizations.roles import Capability

_ROOT_PATHS_ATTR = "_orgportal_root_paths"


def content_organization_ids(user: Any) -> frozenset[int]:
    """Organizations whose content the person may edit (operators: all)."""
    if access.is_operator(user):
        return frozenset(Organization.objects.values_list("pk", flat=True))
    return access.organization_ids(user, Capability.EDIT_CONTENT)


def organization_root_paths(user: Any) -> list[str]:
    """Tree paths of the root pages of the person's content organizations ([""] for an
    operator: the whole tree). Cached on the user object for the request."""
    if access.is_operator(user):
        return [""]
    cached = getattr(user, _ROOT_PATHS_ATTR, None)
    if cached is None:
        cached = list(
            root_pages()
            .filter(organization_id__in=content_organization_ids(user))
            .order_by("path")
            .values_list("path", flat=True)
        )
        setattr(user, _ROOT_PATHS_ATTR, cached)
    return cached


def moderation_organization_ids(user: Any) -> frozenset[int]:
    """Organizations whose moderation (workflow states, approvals, reports) the person
    oversees: where the rule lets them manage the organization (operators: all)."""
    if access.is_operator(user):
        return frozenset(Organization.objects.values_list("pk", flat=True))
    return access.organization_ids(user, Capability.MANAGE_ORGANIZATION)


def moderated_page_ids(user: Any) -> QuerySet[Any]:
    """Ids (as text, like a workflow state's ``object_id``) of the pages inside the
    subtrees of the organizations whose moderation the person oversees."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    paths = list(
        root_pages()
        .filter(organization_id__in=moderation_organization_ids(user))
        .values_list("path", flat=True)
    )
    if not paths:
        return Page.objects.none().values_list("pk", flat=True)
    inside = Q()
    for path in paths:
        inside |= Q(path__startswith=path)
    return Page.objects.filter(inside).values_list(Cast("pk", output_field=CharField()), flat=True)


def workflows_in_scope(user: Any) -> QuerySet[Any]:
    """The workflows whose names and tasks the person may see: those of the
    organizations whose content they edit (operators: all)."""
    from wagtail.models import Workflow

    if access.is_operator(user):
        return Workflow.objects.all()
    return Workflow.objects.filter(organization__in=content_organization_ids(user))


def scope_pages(
    pages: QuerySet[Page], user: Any, *, include_ancestors: bool = True
) -> QuerySet[Page]:
    """Pages inside the person's organization subtrees (and, for navigation, their
    ancestors)."""
    paths = organization_root_paths(user)
    if paths == [""]:
        return pages
    if not paths:
        return pages.none()
    inside = Q()
    ancestors: set[str] = set()
    for path in paths:
        inside |= Q(path__startswith=path)
        ancestors.update(path[:end] for end in range(Page.steplen, len(path), Page.steplen))
    if include_ancestors and ancestors:
        inside |= Q(path__in=ancestors)
    return pages.filter(inside)


def view_restriction_paths(user: Any) -> QuerySet[Any]:
    """Paths of the view restrictions on the pages the person may see in the admin (their
    organization subtrees and those subtrees' ancestors): all the admin's privacy
    indicator needs for them. Wagtail's own loads every restriction, one per
    members-only organization."""
    visible = scope_pages(Page.objects.all(), user).values("pk")
    return PageViewRestriction.objects.filter(page__in=visible).values_list("page__path", flat=True)


def _groups_of_content_organizations(permissions: QuerySet[Any], user: Any) -> QuerySet[Any]:
    return permissions.filter(group__role_group__organization_id__in=content_organization_ids(user))


def _common_root_path(paths: list[str]) -> str:
    """The path of the deepest page above (or at) all of ``paths``."""
    common = min(paths, key=len)
    for path in paths:
        while not path.startswith(common):
            common = common[: -Page.steplen]
    return common


class OrganizationPagePermissionPolicy(PagePermissionPolicy):
    def get_all_permissions_for_user(self, user: Any) -> Any:
        return _groups_of_content_organizations(super().get_all_permissions_for_user(user), user)

    def explorable_instances(self, user: Any) -> Any:
        """Wagtail's answer (the subtrees of the person's page permissions, and their
        ancestors below the first common one) built from the organization roots: one
        indexed ``path LIKE`` per organization instead of one per permission row plus a
        prefix that covers every organization. Page search, the explorer's listing, the
        admin API and site history read it."""
        if access.is_operator(user) or not user.is_active:
            return super().explorable_instances(user)
        paths = organization_root_paths(user)
        if not paths:
            return self.model._default_manager.none()
        return scope_pages(self.model._default_manager.all(), user).filter(
            path__startswith=_common_root_path(paths)
        )


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


class _OrganizationRows:
    """Rows with an ``organization`` (and maybe a ``min_role`` ceiling) under the rule."""

    model: type[Model]

    def _ceiling_field(self) -> str | None:
        return "min_role" if _has_field(self.model, "min_role") else None

    def rows_q(self, user: Any) -> Q:
        return access.visible_q(user, Capability.EDIT_CONTENT, min_role_field=self._ceiling_field())

    def allows_row(self, user: Any, instance: Model) -> bool:
        if access.is_operator(user):
            return True
        organization_id = getattr(instance, "organization_id", None)
        if organization_id is None:
            return False
        ceiling = getattr(instance, "min_role", "") if self._ceiling_field() else ""
        return access.check(
            user, organization_id, Capability.EDIT_CONTENT, min_role=ceiling
        ).allowed

    def scoped(self, queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
        if access.is_operator(user):
            return queryset
        return queryset.filter(self.rows_q(user))


class OrganizationMediaPermissionPolicy(_OrganizationRows, CollectionOwnershipPermissionPolicy):
    """Documents and images: Wagtail's collection permissions and the rule, together."""

    def get_all_permissions_for_user(self, user: Any) -> Any:
        return _groups_of_content_organizations(super().get_all_permissions_for_user(user), user)

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return self.allows_row(user, instance) and super().user_has_any_permission_for_instance(
            user, actions, instance
        )

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> Any:
        # The rule's condition leads: PostgreSQL reads one organization's rows by index
        # before Wagtail's "collection, or own upload in the collection" OR.
        return self.scoped(super().instances_user_has_any_permission_for(user, actions), user)

    def scoped_queryset(self, user: Any) -> QuerySet[Any]:
        return self.scoped(self.model._default_manager.all(), user)


class OrganizationPermissionPolicy(_OrganizationRows, ModelPermissionPolicy):
    """Organization-owned snippets: the model permission AND the row's organization is
    one the person edits (and its ceiling within their role there)."""

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Model) -> bool:
        return self.user_has_permission(user, action) and self.allows_row(user, instance)

    def user_has_any_permission_for_instance(
        self, user: Any, actions: Any, instance: Model
    ) -> bool:
        return self.user_has_any_permission(user, actions) and self.allows_row(user, instance)

    def instances_user_has_any_permission_for(self, user: Any, actions: list[str]) -> Any:
        return self.scoped(super().instances_user_has_any_permission_for(user, actions), user)

    def users_with_any_permission_for_instance(self, actions: list[str], instance: Model) -> Any:
        users = self.users_with_any_permission(actions)
        organization_id = getattr(instance, "organization_id", None)
        return users.filter(
            Q(is_superuser=True) | Q(memberships__organization_id=organization_id)
        ).distinct()

    def scoped_queryset(self, user: Any) -> QuerySet[Any]:
        """Every row of the model the person may see at all in the admin."""
        return self.scoped(self.model._default_manager.all(), user)


def scoped_instances(model: type[Model], user: Any) -> QuerySet[Any]:
    """Every row of ``model`` the person may see in the admin, whatever the model.

    Pages: inside the person's organization subtrees. Organization-owned rows (snippets,
    documents, images): their policy. Anything else (users, groups, sites, ...):
    operators only.
    """
    from wagtail.permissions import policy_registry

    manager = model._default_manager
    if access.is_operator(user):
        return manager.all()
    if issubclass(model, Page):
        return scope_pages(manager.all(), user, include_ancestors=False)
    policy = policy_registry.get_by_type(model)
    if isinstance(policy, (OrganizationPermissionPolicy, OrganizationMediaPermissionPolicy)):
        return policy.scoped_queryset(user)
    return manager.none()


def people_in_scope(user: Any, *, roles: Iterable[str] | None = None) -> QuerySet[Any]:
    """The people whose names and emails the person may see in the admin (filter
    choices, owners, history): members of the organizations they edit (with one of
    ``roles``, when given)."""
    from django.contrib.auth import get_user_model

    people = get_user_model()._default_manager.all()
    if access.is_operator(user):
        return people
    members = Membership.objects.filter(organization_id__in=content_organization_ids(user))
    if roles is not None:
        members = members.filter(role__in=list(roles))
    return people.filter(pk__in=members.values("user_id"))


def tags_in_scope(user: Any) -> QuerySet[Any]:
    """Tags used on objects the person may see in the admin (tags are shared strings:
    another organization's tag names are its data)."""
    from taggit.models import Tag, TaggedItem

    tags = Tag.objects.all()
    if access.is_operator(user):
        return tags
    condition = Q(pk__in=[])
    for content_type in ContentType.objects.filter(
        pk__in=TaggedItem.objects.values("content_type_id").distinct()
    ):
        model = content_type.model_class()
        if model is None:
            continue
        visible = scoped_instances(model, user).values("pk")
        condition |= Q(
            taggit_taggeditem_items__content_type=content_type,
            taggit_taggeditem_items__object_id__in=visible,
        )
    return tags.filter(condition).distinct()
