from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


def catalog_allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return settings.DEBUG or bool(user and user.is_authenticated and user.is_staff)


def catalog_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The component catalog and its demo endpoints: staff, or anyone in DEBUG. Others
    get a 404, as if it did not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not catalog_allowed(request):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
