"""Answer a request whose form data a view cannot read with 400, not 500.

Wagtail's editors read form data in places no form validates first: formset and
StreamField bookkeeping fields (``panels-count``, ``form-TOTAL_FORMS``) straight from
``request.POST``; the rich-text editor's JSON (``json.loads`` of the posted value); a
chooser's id, which is looked up again to redraw the form after an error. A truncated,
hand-made or garbled POST then raises deep inside that machinery. It is bad input, not a
server fault, and it is raised while the data is read, before anything is saved: the
person gets a 400 page saying nothing was saved, and the log gets a warning naming the
path. Django's documented ``process_exception`` hook is the one place that sees it for
every view without replacing Wagtail's.

Only the three shapes above count, and only for requests that send data (not GET): any
other exception is still a server error, reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType

import structlog
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDictKeyError

logger = structlog.get_logger(__name__)

_FIELD_CONVERSIONS = frozenset({"get_prep_value", "to_python"})


def _innermost(traceback: TracebackType | None) -> TracebackType | None:
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback


def _raised_converting_a_field_value(exception: BaseException) -> bool:
    """A model field refused a value as its type (``Field 'id' expected a number``)."""
    frame = _innermost(exception.__traceback__)
    if frame is None:
        return False
    code = frame.tb_frame.f_code
    return code.co_name in _FIELD_CONVERSIONS and "django/db/models/fields" in code.co_filename


def is_malformed_input(exception: BaseException) -> bool:
    if isinstance(exception, MultiValueDictKeyError | json.JSONDecodeError):
        return True
    return isinstance(exception, ValueError | TypeError) and _raised_converting_a_field_value(
        exception
    )


class MalformedRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.method in ("GET", "HEAD") or not is_malformed_input(exception):
            return None
        logger.warning(
            "request.malformed",
            path=request.path,
            error=type(exception).__name__,
            detail=str(exception)[:200],
        )
        return render(request, "400.html", status=400)
