from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from organizations import services
from organizations.models import AuditEvent, Invitation, Membership, Organization
from organizations.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_organization_create_makes_owner_and_audits() -> None:
    user = UserFactory()
    organization = services.organization_create(acting_user=user, name="Initech")
    assert organization.slug == "initech"
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    assert AuditEvent.objects.filter(
        organization=organization, action="organization.created", actor=user
    ).exists()
    user.profile.refresh_from_db()
    assert user.profile.default_organization == organization


def test_duplicate_slug_is_a_form_error_and_leaves_nothing() -> None:
    user = UserFactory()
    services.organization_create(acting_user=user, name="One", slug="taken")
    before = (Organization.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.organization_create(acting_user=user, name="Two", slug="taken")
    assert "already taken" in str(exc.value.message_dict["slug"])
    after = (Organization.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    assert before == after


def test_derived_slugs_are_unique_and_avoid_reserved_words() -> None:
    user = UserFactory()
    first = services.organization_create(acting_user=user, name="Same Name")
    second = services.organization_create(acting_user=user, name="Same Name")
    reserved = services.organization_create(acting_user=user, name="New")
    assert first.slug == "same-name"
    assert second.slug == "same-name-2"
    assert reserved.slug == "new-org"


@pytest.mark.parametrize("slug", ["Bad Slug", "new", "../x", ""])
def test_invalid_slugs_on_update(org_a, slug: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        services.organization_update(
            acting_user=org_a.users[Role.OWNER],
            organization=org_a.organization,
            name="Alpha",
            slug=slug,
            require_mfa=False,
        )
    org_a.organization.refresh_from_db()
    assert org_a.organization.slug == "alpha"


def test_update_requires_manage_organization(org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.organization_update(
            acting_user=org_a.users[Role.EDITOR],
            organization=org_a.organization,
            name="Hijacked",
            slug="alpha",
            require_mfa=False,
        )


def test_update_by_admin_is_audited_with_changes(org_a) -> None:  # type: ignore[no-untyped-def]
    services.organization_update(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        name="Alpha Renamed",
        slug="alpha-renamed",
        require_mfa=True,
    )
    event = AuditEvent.objects.filter(action="organization.updated").latest("created_at")
    assert event.details["changed"]["slug"] == ["alpha", "alpha-renamed"]


def _membership(tenant, role):  # type: ignore[no-untyped-def]
    return Membership.objects.get(organization=tenant.organization, user=tenant.users[role])


def test_admin_cannot_grant_owner(org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        services.membership_set_role(
            acting_user=org_a.users[Role.ADMIN],
            membership=_membership(org_a, Role.MEMBER),
            role=Role.OWNER,
        )
    assert _membership(org_a, Role.MEMBER).role == Role.MEMBER


def test_admin_cannot_demote_owner(org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.membership_set_role(
            acting_user=org_a.users[Role.ADMIN],
            membership=_membership(org_a, Role.OWNER),
            role=Role.VIEWER,
        )


def test_editor_cannot_change_roles(org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.membership_set_role(
            acting_user=org_a.users[Role.EDITOR],
            membership=_membership(org_a, Role.VIEWER),
            role=Role.MEMBER,
        )


def test_member_of_other_org_cannot_act(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.membership_set_role(
            acting_user=org_b.users[Role.OWNER],
            membership=_membership(org_a, Role.VIEWER),
            role=Role.ADMIN,
        )


def test_last_owner_cannot_be_demoted_or_removed_or_leave(org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    with pytest.raises(ValidationError):
        services.membership_set_role(
            acting_user=owner, membership=_membership(org_a, Role.OWNER), role=Role.ADMIN
        )
    with pytest.raises(ValidationError):
        services.membership_remove(acting_user=owner, membership=_membership(org_a, Role.OWNER))
    assert _membership(org_a, Role.OWNER).role == Role.OWNER


def test_second_owner_allows_demotion(org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    services.membership_set_role(
        acting_user=owner, membership=_membership(org_a, Role.ADMIN), role=Role.OWNER
    )
    services.membership_set_role(
        acting_user=owner, membership=_membership(org_a, Role.OWNER), role=Role.ADMIN
    )
    assert _membership(org_a, Role.OWNER).role == Role.ADMIN


def test_remove_and_leave_are_audited(org_a) -> None:  # type: ignore[no-untyped-def]
    services.membership_remove(
        acting_user=org_a.users[Role.ADMIN], membership=_membership(org_a, Role.VIEWER)
    )
    services.membership_remove(
        acting_user=org_a.users[Role.MEMBER], membership=_membership(org_a, Role.MEMBER)
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"membership.removed", "membership.left"} <= actions


def test_ownership_transfer(org_a) -> None:  # type: ignore[no-untyped-def]
    services.ownership_transfer(
        acting_user=org_a.users[Role.OWNER],
        organization=org_a.organization,
        new_owner=_membership(org_a, Role.EDITOR),
    )
    assert _membership(org_a, Role.EDITOR).role == Role.OWNER
    assert _membership(org_a, Role.OWNER).role == Role.ADMIN


def test_only_owner_transfers_and_only_inside_org(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.ownership_transfer(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            new_owner=_membership(org_a, Role.EDITOR),
        )
    with pytest.raises(ValidationError):
        services.ownership_transfer(
            acting_user=org_a.users[Role.OWNER],
            organization=org_a.organization,
            new_owner=_membership(org_b, Role.EDITOR),
        )


# --- invitations ----------------------------------------------------------------------


def test_invitation_send_stores_only_a_hash_and_emails_after_commit(
    org_a, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_send(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            email="New.Person@Example.com",
            role=Role.EDITOR,
        )
    assert invitation.email == "new.person@example.com"
    assert invitation.token_hash == services.hash_token(token)
    assert token not in invitation.token_hash
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.person@example.com"]


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", Role.MEMBER, "email"),
        ("member@alpha.example", Role.MEMBER, "email"),
        ("x@example.com", Role.OWNER, "role"),
        ("x@example.com", "superhero", "role"),
    ],
)
def test_invitation_bad_input(org_a, email: str, role: str, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.invitation_send(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            email=email,
            role=role,
        )
    assert field in exc.value.message_dict
    assert not Invitation.objects.exists()


def test_duplicate_open_invitation_is_refused(org_a) -> None:  # type: ignore[no-untyped-def]
    kwargs = {
        "acting_user": org_a.users[Role.ADMIN],
        "organization": org_a.organization,
        "email": "x@example.com",
        "role": Role.MEMBER,
    }
    services.invitation_send(**kwargs)
    with pytest.raises(ValidationError):
        services.invitation_send(**kwargs)
    assert Invitation.objects.count() == 1


def test_expired_invitation_can_be_replaced(org_a) -> None:  # type: ignore[no-untyped-def]
    kwargs = {
        "acting_user": org_a.users[Role.ADMIN],
        "organization": org_a.organization,
        "email": "x@example.com",
        "role": Role.MEMBER,
    }
    old, _ = services.invitation_send(**kwargs)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    services.invitation_send(**kwargs)
    old.refresh_from_db()
    assert old.status == "expired"


def test_accept_joins_with_the_invited_role(org_a) -> None:  # type: ignore[no-untyped-def]
    _, token = services.invitation_send(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        email="joiner@example.com",
        role=Role.EDITOR,
    )
    joiner = UserFactory(email="joiner@example.com")
    membership = services.invitation_accept(user=joiner, token=token)
    assert membership.role == Role.EDITOR
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(user=joiner, token=token)
    assert exc.value.code == "used"


def _token(org_a, email="joiner@example.com"):  # type: ignore[no-untyped-def]
    invitation, token = services.invitation_send(
        acting_user=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        email=email,
        role=Role.MEMBER,
    )
    return invitation, token


@pytest.mark.parametrize("case", ["tampered", "expired", "revoked", "wrong_user", "resent"])
def test_bad_tokens_change_nothing(org_a, case: str) -> None:  # type: ignore[no-untyped-def]
    invitation, token = _token(org_a)
    user = UserFactory(email="joiner@example.com")
    expected = {
        "tampered": "invalid",
        "expired": "expired",
        "revoked": "revoked",
        "wrong_user": "wrong_user",
        "resent": "invalid",
    }[case]
    if case == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    elif case == "revoked":
        services.invitation_revoke(acting_user=org_a.users[Role.ADMIN], invitation=invitation)
    elif case == "wrong_user":
        user = UserFactory(email="someone.else@example.com")
    elif case == "resent":
        services.invitation_resend(acting_user=org_a.users[Role.ADMIN], invitation=invitation)
    members_before = Membership.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(user=user, token=token)
    assert exc.value.code == expected
    assert Membership.objects.count() == members_before
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_expiry_job_closes_and_audits(org_a) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = _token(org_a)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.invitations_expire() == 1
    assert services.invitations_expire() == 0
    assert AuditEvent.objects.filter(action="invitation.expired").count() == 1


def test_audit_event_carries_request_facts(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.context import RequestFacts, request_context

    with request_context(RequestFacts(ip="203.0.113.9", request_id="req-audit-123456")):
        _token(org_a, "audited@example.com")
    event = AuditEvent.objects.get(action="invitation.sent")
    assert event.ip == "203.0.113.9"
    assert event.request_id == "req-audit-123456"
