from __future__ import annotations

from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dashboards import exports, receivers  # noqa: F401  (registers the export task)

        receivers.connect_password_signals()
        receivers.connect_wagtail_signals()
