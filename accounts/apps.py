from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import signals  # connects the receivers decorated there

        signals.connect_admin_theme()
        signals.connect_admin_avatar_guard()
