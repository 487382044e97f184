from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from organizations.access import require_capability
from organizations.roles import Capability


def org_view(capability: Capability = Capability.VIEW) -> Callable[..., Any]:
    """For views under ``/o/<org_slug>/``: the middleware has already checked membership
    and suspension; this checks the role's capability and drops the slug argument."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.organization.slug != org_slug:
                raise Http404("No such organization.")
            require_capability(membership, capability)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
