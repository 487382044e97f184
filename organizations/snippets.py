"""A reusable base for snippet models that belong to one organization."""

from __future__ import annotations

from django.db import models

from organizations.models import Organization


class OrganizationSnippet(models.Model):
    """Abstract base: a non-null organization and timestamps.

    Register subclasses with ``organizations.viewsets.OrganizationSnippetViewSet``, which
    installs ``OrganizationPermissionPolicy`` and scopes every admin view.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
