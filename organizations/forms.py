from __future__ import annotations

from typing import Any

from django import forms

from organizations.models import Membership, Organization
from organizations.roles import Role, grantable_roles


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        required=False,
        help_text="The organization's address: /o/<slug>/. Leave empty to derive it from the name.",
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(max_length=60, help_text="Changing it changes every link: /o/<slug>/.")
    require_mfa = forms.BooleanField(
        required=False,
        label="Require two-factor authentication",
        help_text="Members without it are asked to set it up before they can enter.",
    )
    moderation_enabled = forms.BooleanField(
        required=False,
        label="Approve pages before they are published",
        help_text="Editors submit pages for approval; admins and owners approve and "
        "publish them in the admin. Switching it off cancels pages waiting for approval "
        "(they stay drafts).",
    )

    @classmethod
    def for_organization(
        cls, organization: Organization, data: Any = None
    ) -> OrganizationSettingsForm:
        return cls(
            data,
            initial={
                "name": organization.name,
                "slug": organization.slug,
                "require_mfa": organization.require_mfa,
                "moderation_enabled": organization.moderation_enabled,
            },
        )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, actor_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = grantable_roles(actor_role)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, actor_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = grantable_roles(actor_role)


class TransferOwnershipForm(forms.Form):
    new_owner = forms.ModelChoiceField(queryset=Membership.objects.none(), label="New owner")

    def __init__(
        self, *args: Any, organization: Organization, actor: Membership, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["new_owner"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only members of this organization can be chosen: a forged id fails validation.
        field.queryset = (
            Membership.objects.filter(organization=organization)
            .exclude(pk=actor.pk)
            .select_related("user")
        )
        field.label_from_instance = lambda obj: f"{obj.user.email} ({obj.get_role_display()})"  # type: ignore[method-assign]
