"""Resolve the organization of each request and apply the access rule to ``/o/<slug>/``.

The organization always comes from the URL (``/o/<slug>/...``) checked against the
person's memberships, or from the session / profile for pages outside an organization;
never from a header or form field a client controls. The person's memberships are
loaded once, with everything the rule needs (organizations/access.py): one query.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from organizations import access
from organizations.access import Denial
from organizations.context import RequestFacts, organization_context, request_context
from organizations.models import Membership
from organizations.typing import OrgRequest

# Paths that never need the organization resolved up front: the document and image
# serve views derive it from the file's row, the rest touch no tenant data.
CONTEXT_FREE_PREFIXES = ("/documents/", "/images/", "/static/", "/health/", "/robots.txt")
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


def _current_membership(request: HttpRequest, slug: str | None) -> Membership | None:
    """The membership the request is about: the URL's organization, else the one the
    session remembers, the profile's default, or the first by name."""
    memberships = access.all_memberships(request.user)
    if slug is not None:
        return next((m for m in memberships if m.organization.slug == slug), None)
    usable = [m for m in memberships if access.decide(request.user, m)]
    if not usable:
        return None
    remembered = request.session.get(SESSION_KEY)
    profile = getattr(request.user, "profile", None)
    default = getattr(profile, "default_organization_id", None)
    for wanted in (remembered, default):
        found = next((m for m in usable if wanted and m.organization_id == wanted), None)
        if found is not None:
            return found
    return min(usable, key=lambda m: m.organization.name.casefold())


class OrganizationMiddleware:
    """Sets ``request.organization`` and ``request.membership`` (or None), binds the
    organization into the logging/task context for the request, and guards every
    ``/o/<slug>/`` URL with the access rule: sign-in first, then membership (404, the
    same answer as for an organization that does not exist), then suspension (a clear
    403 page), then the organization's two-factor requirement."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = org_slug_from_path(request.path_info)
        membership = None
        if not request.path_info.startswith(CONTEXT_FREE_PREFIXES):
            membership = _current_membership(request, slug)
        typed: OrgRequest = request  # type: ignore[assignment]
        typed.org_slug = slug
        typed.membership = membership
        typed.organization = membership.organization if membership else None
        facts = RequestFacts(ip=client_ip(request), request_id=getattr(request, "request_id", None))
        organization_id = membership.organization_id if membership else None
        with request_context(facts), organization_context(organization_id):
            if slug is not None:
                refusal = self._refusal(request, membership)
                if refusal is not None:
                    return refusal
                assert membership is not None
                if request.session.get(SESSION_KEY) != membership.organization_id:
                    request.session[SESSION_KEY] = membership.organization_id
            return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest, membership: Membership | None) -> HttpResponse | None:
        decision = access.decide(request.user, membership)
        if decision.denial is None:
            return None
        if decision.denial in (Denial.ANONYMOUS, Denial.INACTIVE_USER):
            return redirect_to_login(request.get_full_path())
        if decision.denial is Denial.SUSPENDED:
            assert membership is not None
            return render(
                request,
                "organizations/suspended.html",
                {"suspended_organization": membership.organization},
                status=403,
            )
        if decision.denial is Denial.MFA_REQUIRED:
            assert membership is not None
            return mfa_setup_redirect(request, membership.organization.name)
        raise Http404("No such organization.")


def mfa_setup_redirect(request: HttpRequest, organization_name: str) -> HttpResponse:
    """Where a member held back only by an organization's two-factor requirement goes."""
    messages.warning(
        request, f"{organization_name} requires two-factor authentication. Set it up to continue."
    )
    target = reverse("mfa_activate_totp")
    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
