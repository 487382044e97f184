from __future__ import annotations

from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    """Platform screens for operators (superusers): organizations, audit log, failed
    tasks. The top layer: it may read every app, and no app depends on it."""

    name = "operators"
    verbose_name = "Platform operations"
