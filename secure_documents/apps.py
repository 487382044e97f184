from __future__ import annotations

from django.apps import AppConfig


class SecureDocumentsConfig(AppConfig):
    name = "secure_documents"
    default_auto_field = "django.db.models.BigAutoField"
