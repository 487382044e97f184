from __future__ import annotations

from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # exports registers the export task; receivers connect on import.
        from dashboards import exports, overview_invalidation, receivers  # noqa: F401

        overview_invalidation.connect()
        receivers.connect_password_signals()
        receivers.connect_wagtail_signals()
