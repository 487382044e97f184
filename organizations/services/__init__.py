"""Every write to organizations, memberships and invitations.

Each function is keyword-only, atomic, checks what the acting user may do, writes an
AuditEvent and sends side effects (email, events) only after the transaction commits.
Errors are ``ValidationError`` (bad input, with a message fit for a form) or
``PermissionDenied`` (the acting user may not do this).
"""

from organizations.services.common import hash_token, membership_changed, organization_changed
from organizations.services.invitations import (
    INVITATION_TTL,
    InvitationError,
    invitation_accept,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    invitation_send,
    invitations_expire,
)
from organizations.services.memberships import (
    membership_add,
    membership_remove,
    membership_set_role,
    ownership_transfer,
)
from organizations.services.organizations import (
    RESERVED_SLUGS,
    operators_organization,
    organization_create,
    organization_set_active,
    organization_set_moderation,
    organization_set_quota,
    organization_update,
    personal_organization_create,
)

__all__ = [
    "INVITATION_TTL",
    "RESERVED_SLUGS",
    "InvitationError",
    "hash_token",
    "invitation_accept",
    "invitation_for_token",
    "invitation_resend",
    "invitation_revoke",
    "invitation_send",
    "invitations_expire",
    "membership_add",
    "membership_changed",
    "membership_remove",
    "membership_set_role",
    "operators_organization",
    "organization_changed",
    "organization_create",
    "organization_set_active",
    "organization_set_moderation",
    "organization_set_quota",
    "organization_update",
    "ownership_transfer",
    "personal_organization_create",
]
