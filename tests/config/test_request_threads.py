"""The ASGI handler runs each request's sync part on a worker thread borrowed for that
request (config/request_threads.py): reused afterwards, never shared by two requests at
once, and still usable after a request was abandoned mid-view."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.asgi import OrgPortalASGIHandler
from config.request_threads import RequestThreads
from tests.conftest import asgi_http_scope

pytestmark = pytest.mark.django_db(transaction=True)

# What the views below saw, for the test to read.
seen: list[dict[str, Any]] = []
gate = threading.Event()
barrier = threading.Barrier(2, timeout=10)


def where(request: HttpRequest) -> HttpResponse:
    seen.append(
        {
            "thread": threading.current_thread().name,
            "db_open_at_start": connection.connection is not None,
        }
    )
    with connection.cursor() as cursor:  # the request uses the database, as most do
        cursor.execute("SELECT 1")
    return HttpResponse(threading.current_thread().name)


def together(request: HttpRequest) -> HttpResponse:
    # Returns only when two requests are inside this view at the same time.
    barrier.wait()
    return HttpResponse(threading.current_thread().name)


def slow(request: HttpRequest) -> HttpResponse:
    seen.append({"thread": threading.current_thread().name, "slow": "started"})
    gate.wait(10)
    seen.append({"thread": threading.current_thread().name, "slow": "finished"})
    return HttpResponse("late")


urlpatterns = [
    path("threads/where/", where),
    path("threads/together/", together),
    path("threads/slow/", slow),
]


@pytest.fixture
def handler(settings: Any) -> Iterator[OrgPortalASGIHandler]:
    settings.ROOT_URLCONF = __name__
    seen.clear()
    gate.clear()
    barrier.reset()
    handler = OrgPortalASGIHandler()
    yield handler
    gate.set()  # nothing stays blocked in a view
    handler.request_threads.shutdown()


async def _request(
    handler: OrgPortalASGIHandler, url: str, disconnect: asyncio.Event | None = None
) -> tuple[int | None, bytes]:
    sent: list[dict[str, Any]] = []
    requested = False
    disconnect = disconnect or asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handler(asgi_http_scope(url), receive, send)
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def test_requests_one_after_another_reuse_one_thread(
    handler: OrgPortalASGIHandler,
) -> None:
    answers = [await _request(handler, "/threads/where/") for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    names = {body for _, body in answers}
    assert len(names) == 1
    assert names != {threading.current_thread().name.encode()}  # not the event loop's
    # Django closed the database connection at the end of each request (back to the pool):
    # the next request on the same thread starts without one.
    assert [entry["db_open_at_start"] for entry in seen] == [False, False, False]
    assert handler.request_threads.idle == 1


async def test_requests_at_the_same_time_get_threads_of_their_own(
    handler: OrgPortalASGIHandler,
) -> None:
    # Each view waits for the other: on one shared thread this would never return.
    answers = await asyncio.wait_for(
        asyncio.gather(
            _request(handler, "/threads/together/"), _request(handler, "/threads/together/")
        ),
        timeout=15,
    )
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] != answers[1][1]
    assert handler.request_threads.idle == 2


async def test_an_abandoned_request_keeps_its_thread_until_its_view_returns(
    handler: OrgPortalASGIHandler,
) -> None:
    hang_up = asyncio.Event()
    first = asyncio.create_task(_request(handler, "/threads/slow/", hang_up))
    for _ in range(500):  # until the view runs
        if seen:
            break
        await asyncio.sleep(0.01)
    hang_up.set()  # the client goes away while the view is still running
    await asyncio.sleep(0.3)
    # The handler waits for the view (a thread cannot be interrupted), so the thread is
    # not lent to anyone else meanwhile.
    assert not first.done()
    assert handler.request_threads.idle == 0
    gate.set()
    status, _ = await asyncio.wait_for(first, timeout=10)
    assert status is None  # nothing was sent to a client that left
    assert [entry.get("slow") for entry in seen] == ["started", "finished"]
    # Then the thread serves the next request as usual.
    status, body = await asyncio.wait_for(_request(handler, "/threads/where/"), timeout=10)
    assert status == 200
    assert body.decode() == seen[0]["thread"]


def slow_with_database(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:  # holds a pooled connection from here on
        cursor.execute("SELECT 1")
    seen.append({"thread": threading.current_thread().name, "slow": "started"})
    gate.wait(10)
    seen.append({"thread": threading.current_thread().name, "slow": "finished"})
    return HttpResponse("late")


urlpatterns.append(path("threads/slow-db/", slow_with_database))


async def test_a_request_cancelled_from_outside_does_not_lend_its_thread_again(
    handler: OrgPortalASGIHandler,
) -> None:
    # The server cancelling the whole request (shutdown, a timeout around the app): the
    # view is still running and request_finished never ran, so the thread must not be
    # lent to the next request, and its database connection must still be given back.
    checked_out_before = _checked_out()
    request = asyncio.create_task(_request(handler, "/threads/slow-db/"))
    for _ in range(500):
        if seen:
            break
        await asyncio.sleep(0.01)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert handler.request_threads.idle == 0
    # Another request meanwhile gets another thread and is not held up.
    status, body = await asyncio.wait_for(_request(handler, "/threads/where/"), timeout=10)
    assert status == 200
    assert body.decode() != seen[0]["thread"]
    gate.set()
    for _ in range(500):  # the abandoned view ends, then its thread closes its connection
        if not any(thread.name == seen[0]["thread"] for thread in threading.enumerate()):
            break
        await asyncio.sleep(0.01)
    assert not any(thread.name == seen[0]["thread"] for thread in threading.enumerate())
    assert [entry.get("slow") for entry in seen if "slow" in entry] == ["started", "finished"]
    assert _checked_out() == checked_out_before  # its connection is back in the pool


def _checked_out() -> int:
    # Connections of psycopg's pool (shared by all threads of this process) in use now.
    pool = connection.pool
    assert pool is not None, "the test settings use PostgreSQL with psycopg's pool"
    stats = pool.get_stats()
    return int(stats["pool_size"] - stats["pool_available"])


def test_idle_threads_beyond_the_limit_are_let_go() -> None:
    threads = RequestThreads(keep_idle=1)
    first, second = threads.acquire(), threads.acquire()
    assert first is not second
    first.submit(lambda: None).result()
    second.submit(lambda: None).result()
    threads.release(first)
    threads.release(second)  # over the limit: shut down
    assert threads.idle == 1
    assert threads.acquire() is first
    with pytest.raises(RuntimeError):
        second.submit(lambda: None)
