"""Portal screens for organizations, members and invitations.

Views stay thin: they parse input with forms, call a service, and turn its
``ValidationError`` into form errors (status 400) or its ``PermissionDenied`` into 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from organizations import services
from organizations.access import access_invitation, access_member
from organizations.adapters import INVITATION_SESSION_KEY
from organizations.decorators import org_view
from organizations.forms import (
    InviteForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    RoleForm,
    TransferOwnershipForm,
)
from organizations.roles import Capability, Role, can_manage_member, grantable_roles
from organizations.selectors import members_of, memberships_for_user, pending_invitations_of
from organizations.typing import MemberRequest


def _apply_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _members_url(request: MemberRequest) -> str:
    return reverse("organizations:members", kwargs={"org_slug": request.organization.slug})


@login_required
def portal_entry(request: HttpRequest) -> HttpResponse:
    """``/portal/``: the last organization used, else the first one, else create one."""
    organization = getattr(request, "organization", None)
    if organization is not None and organization.is_active:
        return redirect(organization.get_absolute_url())
    memberships = [m for m in memberships_for_user(request.user) if m.organization.is_active]
    if memberships:
        return redirect(memberships[0].organization.get_absolute_url())
    return redirect("organizations:create")


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                acting_user=request.user,
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"] or None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"{organization.name} is ready.")
            return redirect(organization.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "organizations/create.html", {"form": form}, status=status)


@org_view(Capability.VIEW)
def members(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    invite_form = InviteForm(actor_role=membership.role)
    return _render_members(request, invite_form)


def _render_members(
    request: MemberRequest, invite_form: InviteForm, status: int = 200
) -> HttpResponse:
    organization = request.organization
    membership = request.membership
    members = list(members_of(organization))
    rows = []
    for member in members:
        rows.append(
            {
                "membership": member,
                "manageable": member.pk != membership.pk
                and can_manage_member(membership.role, member.role),
            }
        )
    context: dict[str, Any] = {
        "rows": rows,
        "invite_form": invite_form,
        "invitations": pending_invitations_of(organization)
        if grantable_roles(membership.role)
        else [],
        "role_choices": grantable_roles(membership.role),
        "owner_count": sum(1 for member in members if member.role == Role.OWNER),
    }
    return render(request, "organizations/members.html", context, status=status)


@org_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def invite(request: MemberRequest) -> HttpResponse:
    """The invite form posts here; its errors render on the members page, whose address
    the browser keeps (a reload of the invite address leads there too)."""
    if request.method == "GET":
        return redirect(f"{_members_url(request)}#invite-title")
    membership = request.membership
    form = InviteForm(request.POST, actor_role=membership.role)
    if form.is_valid():
        try:
            invitation, _token = services.invitation_send(
                acting_user=request.user,
                organization=request.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect(_members_url(request))
    response = _render_members(request, form, status=400)
    if request.htmx:
        response["HX-Replace-Url"] = _members_url(request)
    return response


def _post_action(request: MemberRequest, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_members_url(request), status=303)
    messages.success(request, success)
    return redirect(_members_url(request))


@org_view(Capability.MANAGE_MEMBERS)
@require_POST
def member_set_role(request: MemberRequest, pk: int) -> HttpResponse:
    target = access_member(request.organization, pk)
    form = RoleForm(request.POST, actor_role=request.membership.role)
    if not form.is_valid():
        messages.error(request, "You cannot grant that role.")
        return HttpResponseRedirect(_members_url(request), status=303)
    role = form.cleaned_data["role"]
    return _post_action(
        request,
        lambda: services.membership_set_role(
            acting_user=request.user, membership=target, role=role
        ),
        f"{target.user.email} is now {Role(role).label.lower()}.",
    )


@org_view(Capability.MANAGE_MEMBERS)
@require_POST
def member_remove(request: MemberRequest, pk: int) -> HttpResponse:
    target = access_member(request.organization, pk)
    return _post_action(
        request,
        lambda: services.membership_remove(acting_user=request.user, membership=target),
        f"{target.user.email} was removed.",
    )


@org_view(Capability.VIEW)
@require_POST
def leave(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    try:
        services.membership_remove(acting_user=request.user, membership=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_members_url(request), status=303)
    request.session.pop("organization_id", None)
    messages.success(request, f"You left {organization.name}.")
    return redirect("portal")


@org_view(Capability.TRANSFER_OWNERSHIP)
@require_http_methods(["GET", "POST"])
def transfer_ownership(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    form = TransferOwnershipForm(
        request.POST or None,
        organization=organization,
        actor=request.membership,
    )
    if request.method == "POST" and form.is_valid():
        try:
            new_owner = services.ownership_transfer(
                acting_user=request.user,
                organization=organization,
                new_owner=form.cleaned_data["new_owner"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"{new_owner.user.email} now owns {organization.name}.")
            return redirect(_members_url(request))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "organizations/transfer.html", {"form": form}, status=status)


@org_view(Capability.MANAGE_MEMBERS)
@require_POST
def invitation_resend(request: MemberRequest, pk: int) -> HttpResponse:
    invitation = access_invitation(request.organization, pk)
    return _post_action(
        request,
        lambda: services.invitation_resend(acting_user=request.user, invitation=invitation),
        f"Invitation to {invitation.email} sent again.",
    )


@org_view(Capability.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    invitation = access_invitation(request.organization, pk)
    return _post_action(
        request,
        lambda: services.invitation_revoke(acting_user=request.user, invitation=invitation),
        f"Invitation to {invitation.email} withdrawn.",
    )


@org_view(Capability.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def organization_settings(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    form = OrganizationSettingsForm.for_organization(
        organization, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                # Moderation first: the update may switch on a two-factor requirement
                # that the acting person has yet to meet.
                if form.cleaned_data["moderation_enabled"] != organization.moderation_enabled:
                    services.organization_set_moderation(
                        acting_user=request.user,
                        organization=organization,
                        enabled=form.cleaned_data["moderation_enabled"],
                    )
                services.organization_update(
                    acting_user=request.user,
                    organization=organization,
                    name=form.cleaned_data["name"],
                    slug=form.cleaned_data["slug"],
                    require_mfa=form.cleaned_data["require_mfa"],
                )
        except ValidationError as exc:
            organization.refresh_from_db()
            _apply_errors(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("organizations:settings", org_slug=organization.slug)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "organizations/settings.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Works for a signed-in user, an existing user who must sign in, and a new user."""
    try:
        invitation = services.invitation_for_token(token)
    except ValidationError as exc:
        return render(
            request,
            "organizations/invitation_invalid.html",
            {"reason": exc.messages[0]},
            status=400,
        )
    if not request.user.is_authenticated:
        from allauth.account.adapter import get_adapter
        from django.contrib.auth import get_user_model

        request.session[INVITATION_SESSION_KEY] = token
        # The link arrived by email, which proves the address: signing up with it needs
        # no second verification round trip.
        get_adapter(request).stash_verified_email(request, invitation.email)
        here = reverse("invitation_accept", kwargs={"token": token})
        if get_user_model().objects.filter(email__iexact=invitation.email).exists():
            return redirect(f"{reverse('account_login')}?{REDIRECT_FIELD_NAME}={here}")
        return redirect(f"{reverse('account_signup')}?email={invitation.email}")
    if request.method == "POST":
        try:
            membership = services.invitation_accept(user=request.user, token=token)
        except ValidationError as exc:
            return render(
                request,
                "organizations/invitation_invalid.html",
                {"reason": exc.messages[0]},
                status=400,
            )
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect(membership.organization.get_absolute_url())
    return render(request, "organizations/invitation_accept.html", {"invitation": invitation})
