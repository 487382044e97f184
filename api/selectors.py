from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from api.models import ApiToken
from organizations.models import Membership
from organizations.roles import Capability, has_capability


def tokens_for(membership: Membership) -> QuerySet[ApiToken]:
    """The tokens a person sees on the tokens screen: their own, and everyone's in the
    organization for those who manage its members (to revoke a leaver's)."""
    rows = ApiToken.objects.filter(organization_id=membership.organization_id)
    if not has_capability(membership.role, Capability.MANAGE_MEMBERS):
        rows = rows.filter(user_id=membership.user_id)
    return rows.select_related("user").order_by("revoked_at", "-created_at", "-pk")


def token_of(membership: Membership, pk: Any) -> ApiToken:
    from django.http import Http404

    try:
        return tokens_for(membership).get(pk=int(str(pk)))
    except (ApiToken.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
