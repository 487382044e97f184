"""The broker Redis dies while a worker holds an unacknowledged task, and comes back.

The worker reconnects and carries on (it does not exit), the interrupted task runs to its
end after the outage, and a task sent after the outage runs too.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.processes import (
    BrokerRedis,
    Process,
    celery_client,
    process_env,
    wait_until,
    worker_process,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _napped(worker: Process, marker: str) -> bool:
    return any(
        "nap_done" in line and f"marker={marker}" in line for line in worker.log().splitlines()
    )


def test_worker_rides_out_a_broker_outage(tmp_path: Path) -> None:
    broker = BrokerRedis(tmp_path / "broker")
    broker.start()
    env = process_env(tmp_path, broker.url, CELERY_VISIBILITY_TIMEOUT="10")
    worker = worker_process(env, tmp_path / "worker.log", "outage")
    client = celery_client(broker.url)
    try:
        worker.start()
        wait_until(lambda: "ready." in worker.log(), 60, "the worker starts")
        client.send_task("tests.nap", args=[3, "held-during-outage"], queue="default")
        wait_until(lambda: "task_started" in worker.log(), 20, "the worker takes the task")
        broker.kill()
        time.sleep(4)  # the task finishes while the broker is away; its ack cannot be sent
        broker.start()
        assert worker.alive(), worker.log()[-4000:]
        client.send_task("tests.nap", args=[0, "sent-after-outage"], queue="default")
        wait_until(lambda: _napped(worker, "sent-after-outage"), 60, "a later task runs")
        # The interrupted task is not lost: it ran before its ack failed, or it is
        # delivered again (it is idempotent) once its visibility timeout passes.
        wait_until(lambda: _napped(worker, "held-during-outage"), 60, "the held task runs")
        assert worker.alive(), worker.log()[-4000:]
        assert "Unrecoverable error" not in worker.log()
    finally:
        worker.kill()
        broker.kill()
        client.close()
