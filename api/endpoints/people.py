"""The caller, an organization's members and its invitations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from api.context import organization_access, token_of
from api.errors import ApiError
from api.schemas import (
    ErrorOut,
    InvitationIn,
    InvitationListOut,
    InvitationOut,
    MemberListOut,
    MemberOut,
    MeOut,
    RoleIn,
)
from organizations import access, services
from organizations.roles import Capability
from organizations.selectors import members_of, pending_invitations_of

router = Router(tags=["people"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    429: ErrorOut,
}


def person_name(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return str(profile.name) if profile is not None else str(user.get_full_name())


def _member(membership: Any) -> dict[str, Any]:
    user = membership.user
    return {
        "id": membership.pk,
        "user": {"id": user.pk, "email": user.email, "name": person_name(user)},
        "role": membership.role,
        "joined_at": membership.created_at,
    }


def _invitation(invitation: Any) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, url_name="me")
def me(request: HttpRequest) -> dict[str, Any]:
    """The caller and the organizations the access rule lets them into, with their role.
    A token sees only its own organization."""
    user = request.user
    memberships = [m for m in access.all_memberships(user) if access.decide(user, m)]
    token = token_of(request)
    return {
        "id": user.pk,
        "email": user.email,  # type: ignore[union-attr]
        "name": person_name(user),
        "organizations": [
            {
                "slug": m.organization.slug,
                "name": m.organization.name,
                "role": m.role,
                "is_active": m.organization.is_active,
            }
            for m in sorted(memberships, key=lambda m: m.organization.name.casefold())
        ],
        "token": None
        if token is None
        else {
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.scope,
            "organization": token.organization.slug,
            "expires_at": token.expires_at,
        },
    }


@router.get(
    "/organizations/{org_slug}/members",
    response={200: MemberListOut, **ERRORS},
    url_name="members",
)
def members_list(request: HttpRequest, org_slug: str) -> dict[str, Any]:
    """Everyone in the organization, with their role (every member may read this)."""
    membership = organization_access(request, org_slug)
    return {"items": [_member(m) for m in members_of(membership.organization)]}


@router.patch(
    "/organizations/{org_slug}/members/{int:pk}",
    response={200: MemberOut, **ERRORS},
    url_name="member",
)
def member_set_role(request: HttpRequest, org_slug: str, pk: int, body: RoleIn) -> dict[str, Any]:
    """Change a member's role, with the portal's rules: nobody grants or changes a role
    above their own, and an organization keeps an owner."""
    membership = organization_access(request, org_slug, Capability.MANAGE_MEMBERS, write=True)
    target = access.access_member(membership.organization, pk)
    updated = services.membership_set_role(
        acting_user=request.user, membership=target, role=body.role
    )
    return _member(updated)


@router.delete(
    "/organizations/{org_slug}/members/{int:pk}",
    response={204: None, **ERRORS},
    url_name="member",
)
def member_remove(request: HttpRequest, org_slug: str, pk: int) -> Status[None]:
    """Remove a member (or, with your own id, leave the organization)."""
    membership = organization_access(request, org_slug, write=True)
    target = access.access_member(membership.organization, pk)
    if target.pk != membership.pk:
        organization_access(request, org_slug, Capability.MANAGE_MEMBERS)
    services.membership_remove(acting_user=request.user, membership=target)
    return Status(204, None)


@router.get(
    "/organizations/{org_slug}/invitations",
    response={200: InvitationListOut, **ERRORS},
    url_name="invitations",
)
def invitations_list(request: HttpRequest, org_slug: str) -> dict[str, Any]:
    """Open invitations (people who manage members)."""
    membership = organization_access(request, org_slug, Capability.MANAGE_MEMBERS)
    rows = pending_invitations_of(membership.organization)
    return {"items": [_invitation(invitation) for invitation in rows]}


@router.post(
    "/organizations/{org_slug}/invitations",
    response={201: InvitationOut, **ERRORS},
    url_name="invitations",
)
def invitation_create(
    request: HttpRequest, org_slug: str, body: InvitationIn
) -> Status[dict[str, Any]]:
    """Invite someone by email, with a role no higher than yours; the invitation email
    goes out as from the portal."""
    membership = organization_access(request, org_slug, Capability.MANAGE_MEMBERS, write=True)
    invitation, _token = services.invitation_send(
        acting_user=request.user,
        organization=membership.organization,
        email=body.email,
        role=body.role,
    )
    return Status(201, _invitation(invitation))


@router.delete(
    "/organizations/{org_slug}/invitations/{int:pk}",
    response={204: None, **ERRORS},
    url_name="invitation",
)
def invitation_revoke(request: HttpRequest, org_slug: str, pk: int) -> Status[None]:
    """Withdraw an open invitation."""
    membership = organization_access(request, org_slug, Capability.MANAGE_MEMBERS, write=True)
    invitation = access.access_invitation(membership.organization, pk)
    if invitation.status != "pending":
        raise ApiError(409, "This invitation is already closed.")
    services.invitation_revoke(acting_user=request.user, invitation=invitation)
    return Status(204, None)
