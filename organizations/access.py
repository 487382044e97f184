"""The access rule: who may see or do what in an organization. Nothing else decides it.

One definition, two forms built from the same parts:

- ``decide(user, membership, capability, min_role=...)`` answers for one organization
  (middleware, serving, sockets, services, API, policies);
- ``visible_q(user, capability, ...)`` is the same rule as a query condition over rows
  that carry an organization (and optionally a role ceiling), for lists (choosers,
  listings, feeds, search); it leads with an indexed ``organization_id IN (...)``.

The rule, in order: the person is signed in and active; they are a member of the
organization; the organization is active (not suspended); their role reaches the
object's role ceiling (``min_role``); if the organization requires two-factor
authentication, they have set it up; their role has the capability.
``tests/organizations/test_access_contract.py`` runs every case through every entry
point.

Lookups of one object give the same 404 for "does not exist" and "not yours" (no
existence oracle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from organizations.models import Invitation, Membership, Organization
from organizations.roles import RANK, Capability, has_capability, rank

# The authenticator kinds that count as two-factor authentication for an organization
# that requires it (recovery codes alone do not).
MFA_AUTHENTICATOR_TYPES = ("totp", "webauthn")
# Cached on the user object for the rest of the request (or socket connection).
_GRANTS_ATTR = "_orgportal_access_grants"


class Denial(StrEnum):
    """Why access was refused; entry points map each to their own answer."""

    ANONYMOUS = "anonymous"  # sign in first
    INACTIVE_USER = "inactive_user"
    NOT_MEMBER = "not_member"  # 404: the same as a missing organization
    SUSPENDED = "suspended"  # the organization is switched off
    MFA_REQUIRED = "mfa_required"  # the organization requires two-factor authentication
    ROLE = "role"  # the role lacks the capability
    CEILING = "ceiling"  # the object is for higher roles only: treat as missing


@dataclass(frozen=True)
class Decision:
    denial: Denial | None
    role: str | None = None

    @property
    def allowed(self) -> bool:
        return self.denial is None

    def __bool__(self) -> bool:
        return self.allowed


def is_operator(user: Any) -> bool:
    """Platform operators (active superusers): the admin's operator-only screens."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def reaches(role: str | None, min_role: str | None) -> bool:
    """Whether ``role`` reaches an object's role ceiling ('' or None: no ceiling)."""
    return not min_role or rank(role) >= rank(min_role)


def ceilings_within(role: str) -> list[str]:
    """The ceiling values an object may carry and still be seen by ``role``."""
    return ["", *[value for value in RANK if rank(value) <= rank(role)]]


def mfa_expression(user_field: str = "user_id") -> Exists:
    """Whether the person has a second factor, as a subquery on a row with ``user_field``."""
    from allauth.mfa.models import Authenticator

    return Exists(
        Authenticator.objects.filter(user_id=OuterRef(user_field), type__in=MFA_AUTHENTICATOR_TYPES)
    )


def with_membership_facts(
    queryset: QuerySet[Any], user: Any, *, organization_field: str = "organization"
) -> QuerySet[Any]:
    """Rows of ``queryset`` with what ``decide`` needs about ``user`` and the row's
    organization, in the same query: the organization, the person's role there and
    whether they have a second factor. ``membership_from`` reads them back."""
    from allauth.mfa.models import Authenticator

    role = Membership.objects.filter(
        user_id=user.pk, organization_id=OuterRef(f"{organization_field}_id")
    ).values("role")[:1]
    second_factor = Authenticator.objects.filter(user_id=user.pk, type__in=MFA_AUTHENTICATOR_TYPES)
    return queryset.select_related(organization_field).annotate(
        access_role=Subquery(role), access_has_mfa=Exists(second_factor)
    )


def membership_from(
    row: Any, user: Any, *, organization_field: str = "organization"
) -> Membership | None:
    """The membership described by ``with_membership_facts``'s annotations, or None."""
    role = getattr(row, "access_role", None)
    if role is None or not getattr(user, "is_authenticated", False):
        return None
    membership = Membership(
        user_id=user.pk, organization=getattr(row, organization_field), role=role
    )
    membership.has_mfa = bool(row.access_has_mfa)  # type: ignore[attr-defined]
    return membership


def has_mfa(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type__in=MFA_AUTHENTICATOR_TYPES).exists()


def memberships_with_facts(user: Any) -> QuerySet[Membership]:
    """The person's memberships with their organization and ``has_mfa``: everything the
    rule needs, in one query."""
    return (
        Membership.objects.filter(user_id=user.pk)
        .select_related("organization")
        .annotate(has_mfa=mfa_expression())
    )


def decide(
    user: Any,
    membership: Membership | None,
    capability: Capability = Capability.VIEW,
    *,
    min_role: str = "",
) -> Decision:
    """The rule for one organization. ``membership`` is the person's membership of it
    (None: not a member), with its organization loaded; ``has_mfa`` is read from the
    membership's annotation (``memberships_with_facts``) or looked up when absent."""
    if not getattr(user, "is_authenticated", False):
        return Decision(Denial.ANONYMOUS)
    if not user.is_active:
        return Decision(Denial.INACTIVE_USER)
    if membership is None or membership.user_id != user.pk:
        return Decision(Denial.NOT_MEMBER)
    organization = membership.organization
    if not organization.is_active:
        return Decision(Denial.SUSPENDED, membership.role)
    # An object above the person's role does not exist for them: said before anything
    # that would tell them it does (the two-factor prompt, a role refusal).
    if not reaches(membership.role, min_role):
        return Decision(Denial.CEILING, membership.role)
    if organization.require_mfa and not _membership_has_mfa(membership, user):
        return Decision(Denial.MFA_REQUIRED, membership.role)
    if not has_capability(membership.role, capability):
        return Decision(Denial.ROLE, membership.role)
    return Decision(None, membership.role)


def _membership_has_mfa(membership: Membership, user: Any) -> bool:
    known = getattr(membership, "has_mfa", None)
    if known is None:
        known = has_mfa(user)
        membership.has_mfa = known  # type: ignore[attr-defined]
    return bool(known)


def membership_for(
    user: Any, *, organization_id: int | None = None, slug: str | None = None
) -> Membership | None:
    """The person's membership of one organization with the rule's facts, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    grants = _cached_memberships(user)
    if grants is not None:
        for membership in grants:
            if membership.organization_id == organization_id or (
                slug is not None and membership.organization.slug == slug
            ):
                return membership
        return None
    memberships = memberships_with_facts(user)
    if organization_id is not None:
        return memberships.filter(organization_id=organization_id).first()
    if slug is not None:
        return memberships.filter(organization__slug=slug).first()
    return None


def check(
    user: Any,
    organization: Organization | int,
    capability: Capability = Capability.VIEW,
    *,
    min_role: str = "",
) -> Decision:
    organization_id = organization if isinstance(organization, int) else organization.pk
    membership = membership_for(user, organization_id=organization_id)
    return decide(user, membership, capability, min_role=min_role)


def require(
    user: Any,
    organization: Organization | int,
    capability: Capability = Capability.VIEW,
    *,
    min_role: str = "",
) -> str:
    """``check`` for services: PermissionDenied with a reason, else the person's role.
    An object whose ceiling is out of reach is reported as missing (404)."""
    return require_membership(user, organization, capability, min_role=min_role).role


def require_membership(
    user: Any,
    organization: Organization | int,
    capability: Capability = Capability.VIEW,
    *,
    min_role: str = "",
) -> Membership:
    """``require`` for services that act as the membership (a role change is judged
    against the actor's own role): the allowed person's membership, else as ``require``."""
    organization_id = organization if isinstance(organization, int) else organization.pk
    membership = membership_for(user, organization_id=organization_id)
    decision = decide(user, membership, capability, min_role=min_role)
    if decision.denial is Denial.CEILING:
        raise Http404
    if not decision.allowed:
        raise PermissionDenied(DENIAL_MESSAGES[decision.denial])  # type: ignore[index]
    assert membership is not None
    return membership


DENIAL_MESSAGES: Mapping[Denial, str] = {
    Denial.ANONYMOUS: "Sign in to continue.",
    Denial.INACTIVE_USER: "This account is disabled.",
    Denial.NOT_MEMBER: "You are not a member of this organization.",
    Denial.SUSPENDED: "This organization is suspended.",
    Denial.MFA_REQUIRED: "This organization requires two-factor authentication.",
    Denial.ROLE: "Your role in this organization does not allow this.",
    Denial.CEILING: "Not found.",
}


# --- the rule over many organizations ------------------------------------------------------


def _cached_memberships(user: Any) -> list[Membership] | None:
    return getattr(user, _GRANTS_ATTR, None)


def all_memberships(user: Any) -> list[Membership]:
    """Every membership of the person with the rule's facts, loaded once per user object
    (a request's or a socket's)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = _cached_memberships(user)
    if cached is None:
        cached = list(memberships_with_facts(user))
        setattr(user, _GRANTS_ATTR, cached)
    return cached


def grants(user: Any, capability: Capability = Capability.VIEW) -> dict[int, str]:
    """Organization id -> role, for every organization where the rule allows
    ``capability`` (before any object's ceiling)."""
    return {
        membership.organization_id: membership.role
        for membership in all_memberships(user)
        if decide(user, membership, capability)
    }


def organization_ids(user: Any, capability: Capability = Capability.VIEW) -> frozenset[int]:
    return frozenset(grants(user, capability))


def may_see_person(viewer: Any, person_id: int | None) -> bool:
    """Whether ``viewer`` may see what a person shows of themselves to their colleagues
    (their picture): themselves, operators, and anyone who shares an organization with
    them that the rule lets the viewer view. Suspended organizations, disabled accounts
    and a missing second factor count as not sharing."""
    if person_id is None or not getattr(viewer, "is_authenticated", False):
        return False
    if not viewer.is_active:
        return False
    if viewer.pk == person_id or is_operator(viewer):
        return True
    shared = organization_ids(viewer)
    return bool(shared) and (
        Membership.objects.filter(user_id=person_id, organization_id__in=shared).exists()
    )


def visible_q(
    user: Any,
    capability: Capability = Capability.VIEW,
    *,
    organization_field: str = "organization_id",
    min_role_field: str | None = None,
) -> Q:
    """``decide`` as a condition on rows: the row's organization is one where the rule
    allows ``capability`` and, with ``min_role_field``, the person's role there reaches
    the row's ceiling. One clause per role the person holds (five at most), each led by
    an indexed ``organization_id IN (...)``."""
    by_role: dict[str, list[int]] = {}
    for organization_id, role in grants(user, capability).items():
        by_role.setdefault(role, []).append(organization_id)
    if not by_role:
        return Q(pk__in=[])
    condition = Q()
    for role, ids in sorted(by_role.items()):
        clause = Q(**{f"{organization_field}__in": sorted(ids)})
        if min_role_field is not None:
            clause &= Q(**{f"{min_role_field}__in": ceilings_within(role)})
        condition |= clause
    return condition


def filter_visible(
    queryset: QuerySet[Any],
    user: Any,
    capability: Capability = Capability.VIEW,
    *,
    organization_field: str = "organization_id",
    min_role_field: str | None = None,
) -> QuerySet[Any]:
    return queryset.filter(
        visible_q(
            user,
            capability,
            organization_field=organization_field,
            min_role_field=min_role_field,
        )
    )


# --- tenant-safe lookups --------------------------------------------------------------------


def access_member(organization: Organization, membership_id: object) -> Membership:
    try:
        return Membership.objects.select_related("user", "organization").get(
            organization=organization, pk=int(str(membership_id))
        )
    except (Membership.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def access_invitation(organization: Organization, invitation_id: object) -> Invitation:
    try:
        return Invitation.objects.select_related("organization").get(
            organization=organization, pk=int(str(invitation_id))
        )
    except (Invitation.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def require_capability(membership: Membership | None, capability: Capability) -> None:
    """For views that already passed the rule for the organization (middleware): the
    capability of the person's role."""
    if membership is None or not has_capability(membership.role, capability):
        raise PermissionDenied(DENIAL_MESSAGES[Denial.ROLE])


# --- a request bound to one organization ---------------------------------------------------


def bind_to_organization(user: Any, organization_id: int) -> Membership | None:
    """Make ``user`` (an object for one request) a member of ``organization_id`` only, as
    far as this rule is concerned: every later ``check``, ``require``, ``grants`` and
    ``visible_q`` on the same object sees that one membership (or none). API tokens are
    bound to the organization they were made for, so a token never reaches another
    organization of its owner. Returns the membership, with the rule's facts, or None."""
    membership = memberships_with_facts(user).filter(organization_id=organization_id).first()
    setattr(user, _GRANTS_ATTR, [membership] if membership is not None else [])
    return membership
