from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboards.selectors import dashboard_state
from organizations.decorators import org_view
from organizations.roles import Capability


@org_view(Capability.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    """The organization's live dashboard: rendered complete on load, then kept current
    over ``/ws/live/`` (and still complete and correct without websockets)."""
    organization = request.organization  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    context = dashboard_state(organization.pk, membership.role)
    return render(request, "dashboards/overview.html", context)
