"""The core's answers to signals of the apps it builds on."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.signals import account_changed
from organizations.audit import audit_record


@receiver(account_changed, dispatch_uid="organizations.audit_account_change")
def audit_account_change(
    sender: Any, *, action: str, user: Any, target: Any, details: dict[str, Any], **kwargs: Any
) -> None:
    """Account changes belong to no organization: audited with none."""
    audit_record(action=action, actor=user, organization=None, target=target, details=details)
