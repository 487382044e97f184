from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from organizations.decorators import org_view
from organizations.roles import Capability
from organizations.selectors import organization_counts, recent_audit_events


@org_view(Capability.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    context = {
        "counts": organization_counts(organization),
        "events": recent_audit_events(organization, limit=10),
    }
    return render(request, "dashboards/overview.html", context)
