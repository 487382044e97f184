"""Worker threads for the sync part of HTTP requests, reused from one request to the next.

Django's ASGI handler enters a fresh ``ThreadSensitiveContext`` per request, and asgiref
gives each one a new single-thread executor: every request started an OS thread and
joined it at the end, and rebuilt what Django keeps per thread (the database wrapper,
for one) on the way. Here each request borrows an idle single-thread executor and gives
it back when it is done, as a WSGI server's thread pool does; asgiref supports this
(``ThreadSensitiveContext(executor=...)`` leaves the executor running on exit).

What one request needs stays as before: all of its thread-sensitive calls (middleware,
view, ``request_finished`` receivers) run on one thread, one at a time. A thread is
lent again only after a request that ended normally, when Django has closed its database
connections (they go back to psycopg's pool); the thread of a request that failed or was
cancelled from outside is let go instead. So a thread is never shared by two requests at
once, and nothing of one request is left for the next but Django's thread-local
connection objects, which is what they are for.

With an executor of its own, asgiref refuses (``RuntimeError``) a thread-sensitive call
from a task that outlives its request, where it used to start another thread: work that
must outlive a request belongs in Celery.
"""

from __future__ import annotations

import itertools
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

# Idle threads kept for the next requests. More are started while more requests run at
# once; beyond this many, a finished request's thread is let go.
KEEP_IDLE = 32

_names = itertools.count(1)


class RequestThreads:
    """Single-thread executors lent to one request at a time. Used from the event loop's
    thread only (no lock needed)."""

    def __init__(self, keep_idle: int = KEEP_IDLE) -> None:
        self.keep_idle = keep_idle
        self._idle: deque[ThreadPoolExecutor] = deque()

    def acquire(self) -> ThreadPoolExecutor:
        try:
            # The most recently used thread: its stack and objects are the warmest.
            return self._idle.pop()
        except IndexError:
            return ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"django-request-{next(_names)}"
            )

    def release(self, executor: ThreadPoolExecutor) -> None:
        """Back to the pool after a request that ended normally. A request abandoned by
        its client gets here only once its view has returned: Django's handler then sends
        ``request_finished``, whose receivers (closing the database connection) queue on
        this same one-thread executor behind the view, and waits for them."""
        if len(self._idle) < self.keep_idle:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)

    def discard(self, executor: ThreadPoolExecutor) -> None:
        """Let go of the thread of a request that did not end normally: it may still be
        running that request's code, and it may hold a pooled database connection that
        ``request_finished`` did not close. Its last job closes it."""
        # Connections are per thread: run there, this closes that thread's (back to the pool).
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)

    def shutdown(self) -> None:
        while self._idle:
            self._idle.pop().shutdown(wait=False)

    @property
    def idle(self) -> int:
        return len(self._idle)
