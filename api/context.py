"""The access rule's answer for one API request, mapped to the API's status codes.

Every organization endpoint starts here: ``organization_access`` asks the rule
(organizations/access.py) for the capability, with the person of the session or of the
token (a token's person is bound to the token's organization, api/auth.py). Someone who
is not a member gets the same 404 as for an organization that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from api.errors import ApiError
from organizations import access
from organizations.access import DENIAL_MESSAGES, Decision, Denial
from organizations.models import Membership
from organizations.roles import Capability


def token_of(request: HttpRequest) -> Any:
    return getattr(request, "api_token", None)


def require_write(request: HttpRequest) -> None:
    token = token_of(request)
    if token is not None and not token.can_write:
        raise ApiError(403, "This token may only read.", code="read_only_token")


def raise_for(decision: Decision) -> None:
    denial = decision.denial
    if denial is None:
        return
    if denial in (Denial.ANONYMOUS, Denial.INACTIVE_USER):
        raise ApiError(401, DENIAL_MESSAGES[denial])
    if denial in (Denial.NOT_MEMBER, Denial.CEILING):
        raise ApiError(404)
    if denial is Denial.SUSPENDED:
        raise ApiError(403, DENIAL_MESSAGES[denial], code="suspended")
    if denial is Denial.MFA_REQUIRED:
        raise ApiError(403, DENIAL_MESSAGES[denial], code="mfa_required")
    raise ApiError(403, DENIAL_MESSAGES[denial], code="role")


def organization_access(
    request: HttpRequest,
    org_slug: str,
    capability: Capability = Capability.VIEW,
    *,
    write: bool = False,
) -> Membership:
    """The caller's membership of ``org_slug`` if the rule allows ``capability`` (and,
    for ``write``, the token may write); otherwise the error that says why: 404 first,
    so nothing tells an outsider what exists."""
    user = request.user
    membership = access.membership_for(user, slug=org_slug)
    raise_for(access.decide(user, membership))
    assert membership is not None
    if write:
        require_write(request)
    if capability is not Capability.VIEW:
        raise_for(access.decide(user, membership, capability))
    return membership
