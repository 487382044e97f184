from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dashboards.exports import organization_export_request
from dashboards.selectors import dashboard_state, quick_links
from organizations.decorators import org_view
from organizations.roles import Capability
from organizations.typing import MemberRequest


@org_view(Capability.VIEW)
def overview(request: MemberRequest) -> HttpResponse:
    """The organization's live dashboard: rendered complete on load, then kept current
    over ``/ws/live/`` (and still complete and correct without websockets)."""
    organization = request.organization
    membership = request.membership
    context = dashboard_state(organization.pk, membership.role)
    context["quick_links"] = quick_links(organization.pk)
    return render(request, "dashboards/overview.html", context)


@org_view(Capability.MANAGE_ORGANIZATION)
@require_POST
def export(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    organization_export_request(acting_user=request.user, organization=organization)
    messages.success(
        request,
        "The export has started. Its progress shows on the dashboard; the zip appears in "
        "Documents (visible to owners and admins) when it is ready.",
    )
    return HttpResponseRedirect(organization.get_absolute_url(), status=303)
