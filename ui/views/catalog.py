"""The component catalog (``/components/``) and the demo endpoints its examples use."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from ui import catalog, demo
from ui.access import catalog_view
from ui.forms import field_to_validate, render_field
from ui.htmx import messages_as_toasts, toast, wants_fragment
from ui.tables import render_table_page

PREFIXES = ("light-", "dark-")
TABS = (("overview", "Overview"), ("activity", "Activity"), ("billing", "Billing"))
TAB_TEXT = {
    "overview": "The overview panel, rendered by the server.",
    "activity": "Activity: a second panel, loaded when its tab is chosen.",
    "billing": "Billing: each tab is a link with its own URL.",
}


def _tabs(request: HttpRequest) -> tuple[list[tuple[str, str, str]], str]:
    base = reverse("ui:catalog")
    tabs = [(slug, label, f"{base}?tab={slug}") for slug, label in TABS]
    active = request.GET.get("tab", "overview")
    return tabs, active if active in TAB_TEXT else "overview"


def _table_context(request: HttpRequest, per_page: int, prefix: str = "") -> dict[str, Any]:
    table, filterset = demo.build_permission_table(request, per_page=per_page)
    if prefix:
        filterset.form.auto_id = f"{prefix}%s"
    return {"table": table, "filter": filterset}


@catalog_view
def catalog_index(request: HttpRequest) -> HttpResponse:
    target = request.htmx.target if request.htmx else None  # type: ignore[attr-defined]
    tabs, active = _tabs(request)
    context: dict[str, Any] = {
        "entries": [
            {
                "entry": entry,
                "docs": [(name, catalog.documentation(name)) for name in entry.templates],
                "usage": catalog.usage(entry.slug),
            }
            for entry in catalog.ENTRIES
        ],
        "prefixes": PREFIXES,
        "tabs": tabs,
        "active_tab": active,
        "tab_text": TAB_TEXT[active],
        "demo_forms": {prefix: demo.DemoForm(auto_id=f"{prefix}%s") for prefix in PREFIXES},
        "demo_tables": {prefix: _table_context(request, 5, prefix) for prefix in PREFIXES},
        "page_obj": Paginator(range(1, 241), 10).get_page(request.GET.get("page")),
        "crumbs": [("Portal", reverse("portal")), ("Components", "")],
    }
    for prefix in PREFIXES:
        if target == f"{prefix}permissions-results" and wants_fragment(request, target):
            return render_table_page(
                request,
                "ui/catalog/index.html",
                {**context, **context["demo_tables"][prefix]},
                table_id=f"{prefix}permissions",
                label="Permissions",
            )
        if target == f"{prefix}tabs" and wants_fragment(request, target):
            response = render(request, "ui/catalog/examples/tabs.html", {**context, "p": prefix})
            patch_vary_headers(response, ("HX-Request", "HX-Target"))
            return response
    response = render(request, "ui/catalog/index.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@catalog_view
def demo_table(request: HttpRequest) -> HttpResponse:
    """The data table alone on a portal page (bookmarkable; the browser tests use it)."""
    return render_table_page(
        request,
        "ui/catalog/demo_table.html",
        _table_context(request, 10),
        table_id="permissions",
        label="Permissions",
    )


@catalog_view
def demo_modal(request: HttpRequest) -> HttpResponse:
    template = (
        "ui/catalog/demo_modal.html#content"
        if wants_fragment(request, "modal-body")
        else "ui/catalog/demo_modal.html"
    )
    response = render(request, template)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@catalog_view
@require_http_methods(["GET", "POST"])
def demo_form(request: HttpRequest) -> HttpResponse:
    form = demo.DemoForm(request.POST or None)
    name = field_to_validate(request, form)
    if name:
        return render_field(request, form, name)
    if request.method == "POST" and form.is_valid():
        messages.success(request, f"Saved {form.cleaned_data['name']}.")
        return redirect("ui:demo_form")
    status = 400 if form.is_bound else 200
    return render(request, "ui/catalog/demo_form.html", {"form": form}, status=status)


@catalog_view
@require_http_methods(["GET", "POST"])
def demo_upload(request: HttpRequest) -> HttpResponse:
    """Receives files for real (reads and hashes them) and keeps nothing. One file per
    request from upload.js (``X-Upload: file``), any number from a plain form post."""
    files = request.FILES.getlist("file") if request.method == "POST" else []
    if request.headers.get("X-Upload") == "file":
        if len(files) != 1:
            result = demo.UploadResult(name="", ok=False, message="Send exactly one file.")
        else:
            result = demo.receive_upload(files[0])
        return render(
            request,
            "components/upload_result.html",
            {"result": result},
            status=201 if result.ok else 400,
        )
    results = [demo.receive_upload(upload) for upload in files]
    status = 400 if request.method == "POST" and not results else 200
    if request.method == "POST" and not results:
        messages.error(request, "Choose at least one file.")
    return render(
        request, "ui/catalog/demo_upload.html", {"upload_results": results}, status=status
    )


@catalog_view
def demo_error(request: HttpRequest, status: int) -> HttpResponse:
    """Answers with the status asked for, to show what a failed HTMX request looks like."""
    status = status if 400 <= status <= 599 else 500
    return HttpResponse(f"Demo error {status}", status=status, content_type="text/plain")


@catalog_view
@require_POST
def demo_toast(request: HttpRequest) -> HttpResponse:
    level = request.POST.get("level", "success")
    messages.add_message(
        request,
        {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}.get(
            level, messages.INFO
        ),
        f"A {level} toast, sent by the server with HX-Trigger.",
    )
    if request.htmx:  # type: ignore[attr-defined]
        return messages_as_toasts(request, HttpResponse(status=204))
    return redirect(f"{reverse('ui:catalog')}#component-toast")


@catalog_view
def demo_lazy(request: HttpRequest) -> HttpResponse:
    """A fragment loaded later (accordion body, skeleton replacement)."""
    response = render(request, "ui/catalog/demo_lazy.html")
    if request.GET.get("toast"):
        toast(response, "Loaded.", "info")
    return response
