"""Rules every Celery task in the project follows, in one place.

``tenant_task`` is for tasks that touch one organization's data: the organization id is
a required argument and is checked again inside the worker (the organization must
still exist; suspended ones are skipped unless the task says otherwise), and it is bound
to the logging context for the task's duration. Reliability defaults: retries with
exponential backoff and jitter, soft and hard time limits, and for idempotent tasks
``acks_late`` with ``reject_on_worker_lost`` so a killed worker's task runs again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)

RELIABLE_DEFAULTS: dict[str, Any] = {
    "retry_backoff": True,
    "retry_backoff_max": 300,  # below the visibility timeout (settings)
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 300,
    "time_limit": 360,
}
IDEMPOTENT_DEFAULTS: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}


def tenant_task(
    *, name: str, idempotent: bool = True, allow_suspended: bool = False, **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    def decorator(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def run(self: Any, *args: Any, organization_id: int, **kwargs: Any) -> Any:
            from organizations.context import organization_context
            from organizations.models import Organization

            active = (
                Organization.objects.filter(pk=organization_id)
                .values_list("is_active", flat=True)
                .first()
            )
            if active is None or (not active and not allow_suspended):
                logger.info(
                    "task_skipped_organization_unavailable",
                    task=name,
                    organization_id=organization_id,
                )
                return None
            with organization_context(organization_id):
                return func(self, *args, organization_id=organization_id, **kwargs)

        settings = {**RELIABLE_DEFAULTS, **(IDEMPOTENT_DEFAULTS if idempotent else {}), **options}
        return shared_task(bind=True, name=name, **settings)(run)

    return decorator
