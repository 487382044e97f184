"""Demo organizations and people (idempotent): used by ``manage.py load_demo_data``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from organizations.models import Membership, Organization
from organizations.roles import Role
from organizations.services import membership_add, organization_create

DEMO_ORGANIZATIONS = [("Acme Research", "acme"), ("Globex Studios", "globex")]
# Acme has one person of every role; Dana belongs to both organizations; the demo
# operator (admin@example.com, created by load_demo_data) also owns Acme, so signing in
# as the operator lands on an organization.
DEMO_PEOPLE = [
    ("owner@acme.example", "acme", Role.OWNER),
    ("admin@example.com", "acme", Role.OWNER),
    ("admin@acme.example", "acme", Role.ADMIN),
    ("editor@acme.example", "acme", Role.EDITOR),
    ("member@acme.example", "acme", Role.MEMBER),
    ("viewer@acme.example", "acme", Role.VIEWER),
    ("owner@globex.example", "globex", Role.OWNER),
    ("dana@both.example", "acme", Role.EDITOR),
    ("dana@both.example", "globex", Role.MEMBER),
]


@transaction.atomic
def load(*, stdout: Any, admin: Any, password: str) -> None:
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    created_people = []
    for email, _slug, _role in DEMO_PEOPLE:
        user, created = user_model.objects.get_or_create(email=email)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            created_people.append(email)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    owners = {slug: email for email, slug, role in DEMO_PEOPLE if role == Role.OWNER}
    for name, slug in DEMO_ORGANIZATIONS:
        if not Organization.objects.filter(slug=slug).exists():
            organization_create(
                acting_user=user_model.objects.get(email=owners[slug]), name=name, slug=slug
            )
    for email, slug, role in DEMO_PEOPLE:
        organization = Organization.objects.get(slug=slug)
        user = user_model.objects.get(email=email)
        if not Membership.objects.filter(user=user, organization=organization).exists():
            membership_add(acting_user=admin, organization=organization, user=user, role=role)
    if created_people:
        stdout.write(
            "Demo people (password shown only this once: "
            + password
            + "):\n  "
            + "\n  ".join(
                f"{email:<24} {role.label.lower():<7} in {slug}"
                for email, slug, role in DEMO_PEOPLE
            )
            + "\n"
        )
