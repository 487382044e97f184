"""Resolve the organization of each request and enforce who may reach it.

The organization always comes from the URL (``/o/<slug>/...``) checked against the
user's memberships, or from the session / profile for pages outside an organization;
never from a header or form field a client controls.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from organizations.access import has_mfa
from organizations.context import RequestFacts, organization_context, request_context
from organizations.models import Membership

# Paths that never need the organization resolved up front: the document serve view
# derives it from the document (one query for the whole download), the rest touch no
# tenant data. Saves a membership query on every download.
CONTEXT_FREE_PREFIXES = ("/documents/", "/static/", "/health/", "/robots.txt", "/favicon")
ORG_URL = re.compile(r"^/o/(?P<slug>[-a-zA-Z0-9_]+)(?:/|$)")
SESSION_KEY = "organization_id"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting ``TRUSTED_PROXY_COUNT`` proxies in front of us."""
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    candidate = request.META.get("REMOTE_ADDR")
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


def org_slug_from_path(path: str) -> str | None:
    match = ORG_URL.match(path)
    return match.group("slug") if match else None


def _membership_for_request(request: HttpRequest, slug: str | None) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=user)
    if slug is not None:
        return memberships.filter(organization__slug=slug).first()
    remembered = request.session.get(SESSION_KEY)
    if remembered:
        found = memberships.filter(organization_id=remembered).first()
        if found:
            return found
    profile = getattr(user, "profile", None)
    if profile is not None and profile.default_organization_id:
        found = memberships.filter(organization_id=profile.default_organization_id).first()
        if found:
            return found
    return memberships.order_by("organization__name").first()


class OrganizationMiddleware:
    """Sets ``request.organization`` and ``request.membership`` (or None) and binds the
    organization into the logging/task context for the duration of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = org_slug_from_path(request.path_info)
        if request.path_info.startswith(CONTEXT_FREE_PREFIXES):
            membership = None
        else:
            membership = _membership_for_request(request, slug)
        request.org_slug = slug  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.organization = membership.organization if membership else None  # type: ignore[attr-defined]
        if (
            slug is not None
            and membership is not None
            and membership.organization.is_active
            and request.session.get(SESSION_KEY) != membership.organization_id
        ):
            request.session[SESSION_KEY] = membership.organization_id
        facts = RequestFacts(ip=client_ip(request), request_id=getattr(request, "request_id", None))
        organization_id = membership.organization_id if membership else None
        with request_context(facts), organization_context(organization_id):
            return self.get_response(request)


class OrganizationSecurityMiddleware:
    """Guards every ``/o/<slug>/`` URL: sign-in first, then membership (404 otherwise,
    the same answer as for an organization that does not exist), then the organization
    must be active (a clear 403 page), then its MFA requirement."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = getattr(request, "org_slug", None)
        if slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            raise Http404("No such organization.")
        organization = membership.organization
        if not organization.is_active:
            return render(
                request,
                "organizations/suspended.html",
                {"suspended_organization": organization},
                status=403,
            )
        if organization.require_mfa and not has_mfa(request.user):
            messages.warning(
                request,
                f"{organization.name} requires two-factor authentication. Set it up to continue.",
            )
            target = reverse("mfa_activate_totp")
            return HttpResponseRedirect(f"{target}?next={request.get_full_path()}")
        return self.get_response(request)
