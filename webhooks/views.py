"""The organization settings' webhook screens, for owners and admins.

Every view passes the access rule twice: ``org_view`` (the middleware's membership check,
then the role's capability: other organizations get 404, lower roles 403) and the
service it calls. Endpoints are looked up inside the request's organization only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from organizations.decorators import org_view
from organizations.roles import Capability
from organizations.typing import MemberRequest
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookEndpoint

MANAGE = Capability.MANAGE_ORGANIZATION


def _apply_errors(form: EndpointForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _detail(endpoint: WebhookEndpoint) -> HttpResponse:
    return redirect("webhooks:detail", org_slug=endpoint.organization.slug, pk=endpoint.pk)


def _secret_page(
    request: MemberRequest, endpoint: WebhookEndpoint, secret: str, *, new: bool
) -> HttpResponse:
    # Shown once: nothing may keep a copy of this page.
    response = render(
        request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "new": new}
    )
    response["Cache-Control"] = "no-store"
    return response


@org_view(MANAGE)
@require_http_methods(["GET"])
def endpoint_list(request: MemberRequest) -> HttpResponse:
    endpoints = list(selectors.endpoints_of(request.organization))
    return render(request, "webhooks/list.html", {"endpoints": endpoints})


@org_view(MANAGE)
@require_http_methods(["GET", "POST"])
@never_cache
def endpoint_create(request: MemberRequest) -> HttpResponse:
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                acting_user=request.user,
                organization=request.organization,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _secret_page(request, endpoint, secret, new=True)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "webhooks/form.html", {"form": form, "endpoint": None}, status=status)


@org_view(MANAGE)
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: MemberRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_for(request.organization, pk)
    initial: dict[str, Any] = {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(
                acting_user=request.user,
                endpoint=endpoint,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return _detail(endpoint)
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "form": form,
        "endpoint": endpoint,
        "deliveries": selectors.deliveries_of(endpoint),
        "max_attempts": settings.WEBHOOKS_MAX_ATTEMPTS,
    }
    return render(request, "webhooks/form.html", context, status=status)


@org_view(MANAGE)
@require_POST
def endpoint_rotate(request: MemberRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_for(request.organization, pk)
    secret = services.endpoint_rotate_secret(acting_user=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret, new=False)


@org_view(MANAGE)
@require_POST
def endpoint_test(request: MemberRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_for(request.organization, pk)
    services.send_test(acting_user=request.user, endpoint=endpoint)
    messages.success(request, "Test event queued: it appears in the delivery log below.")
    return _detail(endpoint)


@org_view(MANAGE)
@require_POST
def endpoint_enable(request: MemberRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_for(request.organization, pk)
    services.endpoint_enable(acting_user=request.user, endpoint=endpoint)
    messages.success(request, f"{endpoint.name} is switched on again.")
    return _detail(endpoint)


@org_view(MANAGE)
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: MemberRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_for(request.organization, pk)
    if request.method == "POST":
        services.endpoint_delete(acting_user=request.user, endpoint=endpoint)
        messages.success(request, f"Webhook {endpoint.name} deleted.")
        return redirect("webhooks:list", org_slug=request.organization.slug)
    return render(request, "webhooks/delete.html", {"endpoint": endpoint})
