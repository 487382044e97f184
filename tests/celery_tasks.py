"""Tasks that exist for tests only: the test worker loads them with ``--include``."""

from __future__ import annotations

from typing import Any

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)


@shared_task(name="tests.ping")
def ping() -> dict[str, Any]:
    """Answer with the logging context the task runs in (proves request-id propagation)."""
    context = structlog.contextvars.get_contextvars()
    logger.info("ping")
    return {"pong": True, "request_id": context.get("request_id")}


@shared_task(name="tests.nap", acks_late=True, reject_on_worker_lost=True)
def nap(seconds: float, marker: str) -> str:
    """Sleep (holding an unacknowledged message), then write ``marker`` to the log."""
    import time

    time.sleep(seconds)
    logger.info("nap_done", marker=marker)
    return marker


@shared_task(name="tests.fail")
def fail(marker: str) -> None:
    """Fail for good (no retry): the dead-letter recorder's business."""
    raise RuntimeError(marker)
