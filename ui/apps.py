from __future__ import annotations

from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "ui"
    verbose_name = "Portal UI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ui import signals  # noqa: F401
