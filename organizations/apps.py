from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class OrganizationsConfig(AppConfig):
    name = "organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.models import AbstractPage
        from wagtail.permissions import register_permission_policy

        from organizations.permissions import OrganizationPagePermissionPolicy

        # Every Wagtail page permission check (explorer, editing, choosers, reports,
        # moderation) asks this policy; it counts only what the access rule grants.
        # Wagtail registers its own when wagtail.permissions is first imported (above),
        # and nothing registers pages after this.
        register_permission_policy(AbstractPage, OrganizationPagePermissionPolicy())
        from organizations.audit_log import AuditLogPermissionPolicy
        from organizations.models import AuditEvent

        # The audit log is read-only and readable where the rule lets the person manage
        # an organization (organizations/audit_log.py).
        register_permission_policy(AuditEvent, AuditLogPermissionPolicy(AuditEvent))
        from wagtail.models import Collection

        # Collections are kept in creation order, not sorted by name: treebeard inserts a
        # sorted child by moving every later sibling one step (one UPDATE each), so a
        # new organization named "Aardvark" beside 10,000 others took about 9,000
        # statements, and a renamed organization's collection, out of order, could make
        # a later sorted insert collide. Appending costs the same at any size and lets
        # the bulk path reserve paths after the last child (docs/decisions.md, 56).
        Collection.node_order_by = []
        post_migrate.connect(_after_last_app, dispatch_uid="organizations.provision")
        # Tasks that fail for good are recorded (in workers, and in the web process when
        # tasks run inline), account changes are audited, log lines name the tenant.
        from organizations import dead_letter, log_context, receivers  # noqa: F401


def _last_app_with_models() -> AppConfig:
    # Django sends post_migrate once per app that has a models module, in
    # INSTALLED_APPS order, after the whole migration plan ran: the last one is the
    # moment every app's permissions and content types exist.
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def _after_last_app(sender: Any, **kwargs: Any) -> None:
    if sender is _last_app_with_models():
        provision_unprovisioned(**kwargs)


def provision_unprovisioned(plan: Any = None, **kwargs: Any) -> None:
    """Organizations created by data migrations (which cannot build Wagtail page trees)
    get their page root, collection and role groups right after ``migrate``."""
    from django.db import connection

    from organizations.pages import root_page_model

    if plan and any(backwards for _migration, backwards in plan):
        return  # a rollback: the tables this needs may be gone
    needed = {"organizations_organization", root_page_model()._meta.db_table, "wagtailcore_page"}
    if not needed <= set(connection.introspection.table_names()):
        return  # a partial migrate: provisioning runs once everything exists
    from organizations.models import Organization
    from organizations.provisioning import organization_provision

    pending = Organization.objects.filter(root_page__isnull=True) | Organization.objects.filter(
        role_groups__isnull=True
    )
    for organization in pending.distinct():
        organization_provision(organization=organization)
