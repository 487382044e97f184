from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services import (
    profile_set_email_notifications,
    profile_update,
    sessions_end_all,
)
from dashboards import notifications, overview_cache, presence
from dashboards import search as portal_search
from dashboards.blocks import PANEL_GENERATION, panel_context
from dashboards.chrome import chrome_key
from dashboards.exports import organization_export_request
from dashboards.first_steps import first_steps
from dashboards.forms import ProfileForm
from dashboards.selectors import overview_page, overview_page_summary, overview_panels
from organizations import access
from organizations.decorators import org_view
from organizations.roles import Capability
from organizations.typing import MemberRequest
from secure_images.avatars import avatar_remove, avatar_upload
from ui import fragments
from ui.context_processors import ui as ui_context


@org_view(Capability.VIEW)
def overview(request: MemberRequest) -> HttpResponse:
    """The organization's live dashboard: its organization page's published panels
    (editors change them in the page editor), rendered complete on load, then kept
    current over ``/ws/live/`` (and still complete and correct without websockets).
    The page header, the first steps and the background jobs stay outside the panels.

    The rendered page is kept for its reader (ui/fragments.py, decision 59) under
    everything it shows: the organization's generation (its page, panels, first steps
    and the editor link are all cached under it: dashboards/overview_cache.py), who is
    online, and the reader's own key (dashboards/chrome.py: organizations, role, account,
    bell, time zone, theme). A load between changes is then two cache round trips."""
    organization = request.organization
    user_id = request.membership.user_id
    # The reader's key without the bell's generation, which is checked with the entry
    # instead: the generations and the page are read in one round trip.
    reader = chrome_key(request, inbox_generation=0)
    key = fragments.reader_key("portal-overview", [reader, sorted(ui_context(request).items())])
    generation_keys = overview_cache.generation_keys(organization.pk, user_id)
    found = cache.get_many([*generation_keys, key] if key else list(generation_keys))
    generation, inbox_generation = overview_cache.generations(found, organization.pk, user_id)
    entry = found.get(key)
    # Who is online matters only to a page with the Members online panel: a kept page
    # without it says so in its checks, and then presence is not read at all.
    kept = fragments.stored_checks(entry)
    shows_presence = not (isinstance(kept, tuple) and len(kept) == 3 and kept[2] is None)
    online = sorted(presence.online_user_ids(organization.pk)) if shows_presence else None
    drawn: dict[str, Any] = {"online": online}

    def render(extra: dict[str, Any]) -> str:
        context = _overview_context(request, generation)
        if not any(block.block_type == "members_online" for block in context["panels"]):
            drawn["online"] = None
        elif drawn["online"] is None:  # the page has gained the panel since it was kept
            drawn["online"] = sorted(presence.online_user_ids(organization.pk))
        # The sidebar and top bar under the bell's generation already read.
        context["portal_chrome_key"] = chrome_key(request, inbox_generation=inbox_generation)
        return render_to_string("dashboards/overview.html", {**context, **extra}, request)

    html = fragments.render_for_reader(
        request,
        key,
        render,
        checks=(generation, inbox_generation, online),
        entry=entry,
        rendered_checks=lambda: (generation, inbox_generation, drawn["online"]),
    )
    return HttpResponse(html)


def _overview_context(request: MemberRequest, generation: int) -> dict[str, Any]:
    organization = request.organization
    user = request.user
    computes: dict[str, Any] = {"page": lambda: overview_page_summary(organization.pk)}
    # Who can take the first steps (invite, upload, publish) sees them until done.
    manages = access.check(user, organization, Capability.MANAGE_MEMBERS).allowed
    if manages:
        computes["first-steps"] = lambda: first_steps(organization.pk, organization.slug)
    # The editor link: the access rule first, so others cost no permission lookup.
    edits = access.check(user, organization, Capability.EDIT_CONTENT)
    if edits:
        computes[f"can-edit:{user.pk}:{edits.role}"] = lambda: _wagtail_may_edit(
            organization.pk, user
        )
    values = overview_cache.organization_values(organization.pk, generation, computes)
    page = values["page"]
    # The panels' role is the access rule's decision (announcements above it never show).
    context: dict[str, Any] = panel_context(organization, user)
    # The task-progress panel is the fixed "Background jobs" card here (for those who
    # manage the organization): placed in the stream too, it would show twice.
    context["panels"] = [block for block in overview_panels(page) if block.block_type != "tasks"]
    context[PANEL_GENERATION] = generation
    context["overview_page"] = page
    may_edit = edits and values[f"can-edit:{user.pk}:{edits.role}"] == "yes"
    context["edit_url"] = (
        reverse("wagtailadmin_pages:edit", args=[page["pk"]]) if may_edit and page["pk"] else ""
    )
    if manages:
        context["first_steps"] = values["first-steps"]
    return context


def _wagtail_may_edit(organization_id: int, user: Any) -> str:
    """Whether Wagtail's page permissions (which the access rule scopes:
    organizations/permissions.py) let ``user`` edit the organization page, as "yes" or
    "no" for the cache: kept per person and role for the organization's generation (a
    role change moves it on); the editor itself checks again."""
    page = overview_page(organization_id)
    return "yes" if page is not None and page.permissions_for_user(user).can_edit() else "no"


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


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """``/accounts/profile/``: the person's own display name, picture, time zone and
    default organization."""
    user = request.user
    current = user.profile  # type: ignore[union-attr]
    initial = {
        "display_name": current.display_name,
        "default_organization": current.default_organization_id,
        "time_zone": current.time_zone,
    }
    bound = request.method == "POST"
    form = ProfileForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        initial=initial,
        user=user,
    )
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            # The picture first: a refused one leaves everything as it was.
            upload = data.get("avatar")
            if upload is not None:
                avatar_upload(
                    acting_user=user,
                    name=getattr(upload, "raw_name", None) or upload.name,
                    file=upload,
                    size=upload.size,
                )
            elif data.get("remove_avatar"):
                avatar_remove(acting_user=user)
        except ValidationError as exc:
            form.add_error("avatar", exc.messages)
        else:
            try:
                profile_update(
                    acting_user=user,
                    display_name=data["display_name"],
                    default_organization=data["default_organization"],
                    time_zone=data.get("time_zone") or "",
                )
                profile_set_email_notifications(acting_user=user, choices=form.email_preferences())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Your profile is saved.")
                return HttpResponseRedirect(request.path, status=303)
    status = 400 if form.is_bound else 200
    return render(request, "dashboards/profile.html", {"form": form}, status=status)


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """Every session of the person ends, this one last: for a lost or shared device."""
    ended = sessions_end_all(request=request)
    messages.success(
        request, f"You are signed out everywhere ({ended} session{'s' if ended != 1 else ''})."
    )
    return HttpResponseRedirect(reverse("account_login"), status=303)


@login_required
@require_http_methods(["GET"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a notification: marked read, then on to what it is about."""
    note = notifications.visible(request.user).filter(pk=pk).first()
    if note is None:
        raise Http404
    notifications.mark_read(acting_user=request.user, notification_id=note.pk)
    target = note.url if note.url.startswith("/") and not note.url.startswith("//") else ""
    return HttpResponseRedirect(target or reverse("portal"))


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications.mark_read(acting_user=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "dashboards/notifications_read.html", notifications.inbox(request.user)
        )
    return HttpResponseRedirect(reverse("portal"), status=303)


@org_view(Capability.VIEW)
@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    """``/o/<slug>/search/?query=``: what this person may see in this organization."""
    organization = request.organization  # type: ignore[attr-defined]
    results = portal_search.search(request.user, organization, request.GET.get("query", ""))
    return render(
        request, "dashboards/search.html", {"results": results, "search_query": results.query}
    )
