"""Request ids follow a request into the Celery tasks it enqueues (real worker, real Redis)."""

from __future__ import annotations

import structlog

from tests.celery_tasks import ping


def test_ping_runs_inline_without_a_broker() -> None:
    assert ping.delay().get(timeout=5)["pong"] is True


def test_request_id_reaches_a_task_run_by_a_real_worker(celery_worker) -> None:  # type: ignore[no-untyped-def]
    structlog.contextvars.bind_contextvars(request_id="req-propagation-0001")
    try:
        result = ping.delay()
        outcome = result.get(timeout=30)
    finally:
        structlog.contextvars.clear_contextvars()
    assert outcome == {"pong": True, "request_id": "req-propagation-0001"}
    assert "req-propagation-0001" in celery_worker.log()
