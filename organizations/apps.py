from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrganizationsConfig(AppConfig):
    name = "organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After the last app's post_migrate: by then every app's permissions exist.
        post_migrate.connect(_after_last_app, dispatch_uid="organizations.provision")


def _after_last_app(sender: Any, **kwargs: Any) -> None:
    from django.apps import apps

    if sender is list(apps.get_app_configs())[-1]:
        provision_unprovisioned(**kwargs)


def provision_unprovisioned(plan: Any = None, **kwargs: Any) -> None:
    """Organizations created by data migrations (which cannot build Wagtail page trees)
    get their page root, collection and role groups right after ``migrate``."""
    from django.db import connection

    if plan and any(backwards for _migration, backwards in plan):
        return  # a rollback: the tables this needs may be gone
    needed = {"organizations_organization", "dashboards_organizationpage", "wagtailcore_page"}
    if not needed <= set(connection.introspection.table_names()):
        return  # a partial migrate: provisioning runs once everything exists
    from organizations.models import Organization
    from organizations.provisioning import organization_provision

    pending = Organization.objects.filter(root_page__isnull=True) | Organization.objects.filter(
        role_groups__isnull=True
    )
    for organization in pending.distinct():
        organization_provision(organization=organization)
