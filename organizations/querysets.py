"""Scoping for tenant-owned rows: every query starts from an organization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models

if TYPE_CHECKING:
    from organizations.models import Organization


class TenantQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization | int) -> Self:
        organization_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=organization_id)

    def for_organizations(self, organization_ids: list[int] | set[int]) -> Self:
        return self.filter(organization_id__in=organization_ids)


class MembershipQuerySet(TenantQuerySet):
    def for_user(self, user: object) -> Self:
        return self.filter(user=user)

    def active(self) -> Self:
        return self.filter(organization__is_active=True)


class OrganizationQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True)

    def for_member(self, user: object) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(memberships__user=user)
