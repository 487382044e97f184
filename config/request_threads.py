"""Worker threads for the sync part of HTTP requests, reused from one request to the next.

Django's ASGI handler enters a fresh ``ThreadSensitiveContext`` per request, and asgiref
gives each one a new single-thread executor: every request started an OS thread and
joined it at the end, and rebuilt what Django keeps per thread (the database wrapper,
for one) on the way. Here each request borrows an idle single-thread executor and gives
it back when it is done, as a WSGI server's thread pool does; asgiref supports this
(``ThreadSensitiveContext(executor=...)`` leaves the executor running on exit).

What one request needs stays as before: all of its thread-sensitive calls (middleware,
view, ``request_finished`` receivers) run on one thread, one at a time. A thread is
shared only over time, never by two requests at once, and Django closes database
connections at the end of every request (they go back to psycopg's pool), so nothing of
one request's state is left for the next but Django's thread-local connection objects,
which is what they are for.
"""

from __future__ import annotations

import itertools
from collections import deque
from concurrent.futures import ThreadPoolExecutor

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
        # Called when the request's handler returns. A request abandoned by its client
        # gets here only after its view returned too: asgiref's sync_to_async waits for
        # the thread when the awaiting task is cancelled. So a lent thread is idle.
        if len(self._idle) < self.keep_idle:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)

    @property
    def idle(self) -> int:
        return len(self._idle)
