"""django-structlog's request logging, without loading the user to log its id.

django-structlog binds ``user_id`` when a request starts by reading ``request.user``: a
database query on every request, before the view, whether or not the view needs the user.
Here the id comes from the session while the user is not loaded (what the session claims;
a request that uses the user verifies it, and the finishing log line then carries the
loaded user's id). The download view relies on this to check the session and the
document in one statement (accounts/session.py).
"""

from __future__ import annotations

import structlog
from django.http import HttpRequest
from django_structlog.middlewares import RequestMiddleware

from accounts.session import session_user_id


class RequestLogMiddleware(RequestMiddleware):
    @staticmethod
    def bind_user_id(request: HttpRequest) -> None:
        if not hasattr(request, "user"):
            return
        structlog.contextvars.bind_contextvars(user_id=session_user_id(request))
