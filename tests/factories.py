from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create: bool, extracted: object, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "organizations.Organization"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "organizations.Membership"

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "member"


def make_org(name: str, slug: str, *, owner_email: str | None = None):  # type: ignore[no-untyped-def]
    """An organization created through the real service (provisioned, audited)."""
    from organizations.services import organization_create

    owner = UserFactory(email=owner_email or f"owner@{slug}.example")
    return organization_create(acting_user=owner, name=name, slug=slug), owner


def add_member(organization, role: str, email: str | None = None):  # type: ignore[no-untyped-def]
    from organizations.services import membership_add

    user = UserFactory(email=email) if email else UserFactory()
    membership_add(acting_user=None, organization=organization, user=user, role=role)
    return user
