"""Writes for API tokens: create and revoke, checked by the access rule and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, Scope
from api.tokens import new_secret
from organizations import access
from organizations.audit import audit_record
from organizations.models import Organization
from organizations.roles import Capability, Role, has_capability

MAX_TOKENS_PER_PERSON = 20


@transaction.atomic
def token_create(
    *,
    acting_user: Any,
    organization: Organization,
    name: str,
    scope: str = Scope.READ,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A token for the acting person in ``organization``; returns it and its plaintext,
    which is never stored and cannot be shown again."""
    access.require(acting_user, organization, Capability.VIEW)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Use at most 100 characters."})
    if scope not in Scope.values:
        raise ValidationError({"scope": "Choose read or read and write."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    usable = ApiToken.objects.usable().filter(user=acting_user, organization=organization)
    if usable.count() >= MAX_TOKENS_PER_PERSON:
        raise ValidationError(
            f"You have {MAX_TOKENS_PER_PERSON} active tokens here: revoke one first."
        )
    secret = new_secret()
    token = ApiToken.objects.create(
        user=acting_user,
        organization=organization,
        name=name,
        prefix=secret.prefix,
        secret_hash=secret.secret_hash,
        scope=scope,
        expires_at=expires_at,
    )
    audit_record(
        action="api_token.created",
        actor=acting_user,
        organization=organization,
        target=token,
        details={"name": name, "scope": scope, "prefix": secret.prefix},
        min_role=Role.ADMIN,  # people's tokens are their admins' business, not the feed's
    )
    return token, secret.plaintext


@transaction.atomic
def token_revoke(*, acting_user: Any, token: ApiToken) -> ApiToken:
    """People revoke their own tokens; the organization's admins revoke anyone's."""
    role = access.require(acting_user, token.organization_id)
    own = token.user_id == getattr(acting_user, "pk", None)
    if not own and not has_capability(role, Capability.MANAGE_MEMBERS):
        raise PermissionDenied("You cannot revoke this token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="api_token.revoked",
            actor=acting_user,
            organization=token.organization_id,
            target=token,
            details={"name": token.name, "prefix": token.prefix},
            min_role=Role.ADMIN,
        )
    return token
