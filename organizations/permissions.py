"""Permission policies and scopes that keep each organization's admin data to itself.

Two building blocks, used by the snippet viewsets, the Wagtail hooks and the admin guard
middleware alike:

- ``content_organization_ids(user)``: the organizations whose content the user may edit
  (superusers: all).
- ``OrganizationPermissionPolicy``: Wagtail's model permission check *and* membership of
  the row's organization. Registered through ``register_permission_policy``, so every
  Wagtail view that asks the registry gets the scoped answer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

from organizations.models import Membership, Organization
from organizations.roles import CAPABILITIES, Capability

_CACHE_ATTR = "_orgportal_content_org_ids"


def content_organization_ids(user: Any) -> frozenset[int]:
    """Active organizations where ``user`` may edit content (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        ids = frozenset(Organization.objects.values_list("pk", flat=True))
    else:
        roles = [r for r, caps in CAPABILITIES.items() if Capability.EDIT_CONTENT in caps]
        ids = frozenset(
            Membership.objects.filter(
                user=user, role__in=roles, organization__is_active=True
            ).values_list("organization_id", flat=True)
        )
    setattr(user, _CACHE_ATTR, ids)
    return ids


def organization_root_paths(user: Any) -> list[str]:
    """Tree paths of the OrganizationPages of the user's content organizations."""
    from dashboards.models import OrganizationPage

    if getattr(user, "is_superuser", False):
        return [""]  # the whole tree
    return list(
        OrganizationPage.objects.filter(organization_id__in=content_organization_ids(user))
        .order_by("path")
        .values_list("path", flat=True)
    )


def scope_pages(
    pages: QuerySet[Page], user: Any, *, include_ancestors: bool = True
) -> QuerySet[Page]:
    """Pages inside the user's organization subtrees (and, for navigation, their ancestors)."""
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


def page_in_scope(page: Page, user: Any) -> bool:
    paths = organization_root_paths(user)
    return paths == [""] or any(page.path.startswith(path) for path in paths)


class OrganizationPermissionPolicy(ModelPermissionPolicy):
    """Model permission AND the instance's organization is one the user edits."""

    def _scoped(self, queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
        if getattr(user, "is_superuser", False):
            return queryset
        return queryset.filter(organization_id__in=content_organization_ids(user))

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Model) -> bool:
        if not self.user_has_permission(user, action):
            return False
        if getattr(user, "is_superuser", False):
            return True
        return getattr(instance, "organization_id", None) in content_organization_ids(user)

    def instances_user_has_any_permission_for(self, user: Any, actions: list[str]) -> QuerySet[Any]:
        return self._scoped(super().instances_user_has_any_permission_for(user, actions), user)

    def users_with_any_permission_for_instance(self, actions: list[str], instance: Model) -> Any:
        users = self.users_with_any_permission(actions)
        organization_id = getattr(instance, "organization_id", None)
        return users.filter(
            Q(is_superuser=True) | Q(memberships__organization_id=organization_id)
        ).distinct()

    def scoped_queryset(self, user: Any) -> QuerySet[Any]:
        """Every row of the model the user may see at all in the admin."""
        return self._scoped(self.model._default_manager.all(), user)


def scoped_instances(model: type[Model], user: Any) -> QuerySet[Any]:
    """Every row of ``model`` the user may see in the admin, whatever the model.

    Pages: inside the user's organization subtrees. Organization-owned snippets: their
    permission policy. Collection members (documents, images): Wagtail's collection
    permissions. Anything else (users, groups, sites, ...): operators only.
    """
    from wagtail.permissions import policy_registry

    manager = model._default_manager
    if getattr(user, "is_superuser", False):
        return manager.all()
    if issubclass(model, Page):
        return scope_pages(manager.all(), user, include_ancestors=False)
    policy = policy_registry.get_by_type(model)
    if isinstance(policy, OrganizationPermissionPolicy):
        return policy.scoped_queryset(user)
    if hasattr(model, "collection"):
        return policy.instances_user_has_any_permission_for(user, ["change", "delete", "choose"])
    return manager.none()
