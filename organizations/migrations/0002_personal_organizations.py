from __future__ import annotations

import uuid

from django.db import migrations
from django.utils.text import slugify


def create_personal_organizations(apps, schema_editor):
    """Every user belongs somewhere: users without a membership get a personal organization."""
    User = apps.get_model("accounts", "User")
    Profile = apps.get_model("accounts", "Profile")
    Organization = apps.get_model("organizations", "Organization")
    Membership = apps.get_model("organizations", "Membership")
    AuditEvent = apps.get_model("organizations", "AuditEvent")

    for user in User.objects.filter(memberships__isnull=True):
        local = user.email.split("@", 1)[0]
        root = (slugify(local) or "org")[:50]
        slug, counter = root, 2
        while Organization.objects.filter(slug=slug).exists():
            slug, counter = f"{root}-{counter}", counter + 1
        organization = Organization.objects.create(
            name=f"{local}'s organization", slug=slug, public_id=uuid.uuid4(), is_personal=True
        )
        Membership.objects.create(user=user, organization=organization, role="owner")
        profile, _ = Profile.objects.get_or_create(user=user)
        if profile.default_organization_id is None:
            profile.default_organization = organization
            profile.save(update_fields=["default_organization"])
        AuditEvent.objects.create(
            organization=organization,
            action="organization.created",
            target_type="organizations.organization",
            target_id=str(organization.pk),
            target_repr=organization.name,
            details={"personal": True, "by": "migration"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
        ("accounts", "0002_profile"),
    ]
    operations = [
        migrations.RunPython(create_personal_organizations, migrations.RunPython.noop),
    ]
