"""Operator actions on organizations, behind the platform screens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from organizations import services
from organizations.models import Organization

INDEX_URL = "platform_organizations:index"


def _operators_only(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def organization_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    _operators_only(request)
    organization = get_object_or_404(Organization, pk=pk)
    if request.method == "POST":
        services.organization_set_active(
            acting_user=request.user, organization=organization, active=not organization.is_active
        )
        state = "activated" if organization.is_active else "suspended"
        messages.success(request, f"{organization.name} was {state}.")
        return redirect(INDEX_URL)
    return TemplateResponse(
        request, "operators/confirm_set_active.html", {"organization": organization}
    )


class QuotaForm(forms.Form):
    quota_mb = forms.IntegerField(min_value=1, max_value=10_000_000, label="Storage quota (MB)")


@require_http_methods(["GET", "POST"])
def organization_quota(request: HttpRequest, pk: int) -> HttpResponse:
    _operators_only(request)
    organization = get_object_or_404(Organization, pk=pk)
    form = QuotaForm(
        request.POST or None,
        initial={"quota_mb": organization.storage_quota_bytes // (1024 * 1024)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_set_quota(
                acting_user=request.user,
                organization=organization,
                quota_bytes=form.cleaned_data["quota_mb"] * 1024 * 1024,
            )
        except ValidationError as exc:
            form.add_error("quota_mb", exc.messages)
        else:
            messages.success(request, f"Quota of {organization.name} saved.")
            return redirect(INDEX_URL)
    status = 400 if form.is_bound and form.errors else 200
    return TemplateResponse(
        request,
        "operators/quota.html",
        {"organization": organization, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def failed_task_retry(request: HttpRequest, pk: int) -> HttpResponse:
    from organizations.dead_letter import retry_failed_task
    from organizations.models import FailedTask

    _operators_only(request)
    failed = get_object_or_404(FailedTask, pk=pk)
    if request.method == "POST":
        new_id = retry_failed_task(failed, acting_user=request.user)
        messages.success(request, f"{failed.task_name} sent again as {new_id}.")
        return redirect("platform_failed_tasks:index")
    return TemplateResponse(request, "operators/confirm_retry.html", {"failed": failed})
