"""Creating, changing, suspending organizations and their quotas."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from organizations.audit import audit_record
from organizations.models import Membership, Organization
from organizations.roles import (
    Capability,
    Role,
)
from organizations.services.common import (
    _lock_organization,
    _on_commit_membership,
    _on_commit_organization,
    _require,
)

# The platform operators' own organization (``operators_organization``) has this slug.
OPERATORS_SLUG = "operators"
RESERVED_SLUGS = frozenset(
    {"new", "switch", "admin", "api", "static", "media", "invitations", OPERATORS_SLUG}
)


def _unique_slug(base: str) -> str:
    root = (slugify(base) or "org")[:50].strip("-") or "org"
    if root in RESERVED_SLUGS:
        root = f"{root}-org"
    slug, counter = root, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{root}-{counter}"
        counter += 1
    return slug


def _validate_slug(slug: str, *, exclude_pk: int | None = None) -> str:
    cleaned = slugify(slug)
    if not cleaned or cleaned != slug.lower():
        raise ValidationError({"slug": "Use only lowercase letters, numbers and hyphens."})
    if cleaned in RESERVED_SLUGS:
        raise ValidationError({"slug": "This address is reserved; choose another."})
    clash = Organization.objects.filter(slug=cleaned)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"slug": "This address is already taken."})
    return cleaned


@transaction.atomic
def organization_create(
    *, acting_user: Any, name: str, slug: str | None = None, personal: bool = False
) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the organization a name."})
    final_slug = _validate_slug(slug) if slug else _unique_slug(name)
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                name=name[:120], slug=final_slug, is_personal=personal
            )
    except IntegrityError as exc:  # a concurrent create took the slug
        raise ValidationError({"slug": "This address is already taken."}) from exc
    membership = Membership.objects.create(
        user=acting_user, organization=organization, role=Role.OWNER
    )
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.created",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"name": organization.name, "slug": organization.slug, "personal": personal},
    )
    profile = getattr(acting_user, "profile", None)
    if profile is not None and profile.default_organization_id is None:
        profile.default_organization = organization
        profile.save(update_fields=["default_organization"])
    _on_commit_organization(organization, "created")
    _on_commit_membership(membership, "joined")
    return organization


def operators_organization() -> Organization:
    """The platform operators' own organization, created on first use: files that
    belonged to no organization are kept in its collection. It has no members (operators
    reach everything in the admin) and its pages are members-only, so its files are
    served to operators alone. Its slug is reserved: no one else can take it."""
    from organizations.provisioning import organization_provision

    with transaction.atomic():
        organization, created = Organization.objects.get_or_create(
            slug=OPERATORS_SLUG, defaults={"name": "Operators"}
        )
        if created:
            audit_record(
                action="organization.created",
                actor=None,
                organization=organization,
                target=organization,
                details={"name": organization.name, "slug": organization.slug, "operators": True},
            )
    organization_provision(organization=organization)
    organization.refresh_from_db()
    return organization


def personal_organization_create(*, user: Any) -> Organization:
    local = user.email.split("@", 1)[0]
    return organization_create(
        acting_user=user, name=f"{local}'s organization", slug=None, personal=True
    )


@transaction.atomic
def organization_update(
    *,
    acting_user: Any,
    organization: Organization,
    name: str,
    slug: str,
    require_mfa: bool,
) -> Organization:
    _require(acting_user, organization, Capability.MANAGE_ORGANIZATION)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the organization a name."})
    new_slug = _validate_slug(slug, exclude_pk=organization.pk)
    before = {
        "name": organization.name,
        "slug": organization.slug,
        "require_mfa": organization.require_mfa,
    }
    organization.name, organization.slug, organization.require_mfa = name, new_slug, require_mfa
    try:
        with transaction.atomic():
            organization.save(update_fields=["name", "slug", "require_mfa", "updated_at"])
    except IntegrityError as exc:
        raise ValidationError({"slug": "This address is already taken."}) from exc
    after = {"name": name, "slug": new_slug, "require_mfa": require_mfa}
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.updated",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"changed": changed},
    )
    _on_commit_organization(organization, "updated")
    return organization


@transaction.atomic
def organization_set_active(
    *, acting_user: Any, organization: Organization, active: bool
) -> Organization:
    """Suspend or reactivate an organization (operators only)."""
    if not getattr(acting_user, "is_superuser", False):
        raise PermissionDenied("Only platform operators can suspend organizations.")
    if organization.is_active == active:
        return organization
    organization.is_active = active
    organization.save(update_fields=["is_active", "updated_at"])
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.activated" if active else "organization.suspended",
        actor=acting_user,
        organization=organization,
        target=organization,
    )
    _on_commit_organization(organization, "activated" if active else "suspended")
    return organization


@transaction.atomic
def organization_set_quota(
    *, acting_user: Any, organization: Organization, quota_bytes: int
) -> Organization:
    if not getattr(acting_user, "is_superuser", False):
        raise PermissionDenied("Only platform operators can change quotas.")
    if quota_bytes <= 0:
        raise ValidationError("The quota must be positive.")
    previous = organization.storage_quota_bytes
    organization.storage_quota_bytes = quota_bytes
    organization.save(update_fields=["storage_quota_bytes", "updated_at"])
    audit_record(
        action="organization.quota_changed",
        actor=acting_user,
        organization=organization,
        target=organization,
        details={"from": previous, "to": quota_bytes},
    )
    return organization


@transaction.atomic
def organization_set_moderation(
    *, acting_user: Any, organization: Organization, enabled: bool
) -> Organization:
    """Switch the organization's moderation workflow on or off (its admins and owners).

    On: editors lose the page permission to publish and submit pages to the
    organization's workflow, whose one task its admins and owners approve. Off: the
    workflow is unassigned, pages waiting for approval are cancelled (they stay drafts)
    and editors publish again."""
    _require(acting_user, organization, Capability.MANAGE_ORGANIZATION)
    _lock_organization(organization)
    organization.refresh_from_db(fields=["moderation_enabled"])
    if organization.moderation_enabled == enabled:
        return organization
    organization.moderation_enabled = enabled
    organization.save(update_fields=["moderation_enabled", "updated_at"])
    from organizations.provisioning import organization_provision

    organization_provision(organization=organization)
    audit_record(
        action="organization.moderation_enabled" if enabled else "organization.moderation_disabled",
        actor=acting_user,
        organization=organization,
        target=organization,
    )
    _on_commit_organization(organization, "updated")
    return organization
