"""The organization root page: each organization's subtree in Wagtail's page tree.

The core defines what every root page has (the organization, its privacy) and where
the subtree is; the concrete page type, with the content and panels a product wants on
it, lives in a feature app and is named by ``ORGANIZATION_ROOT_PAGE_MODEL`` (as Wagtail
names its document and image models), so this app imports none of them.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page, PagePermissionTester

if TYPE_CHECKING:
    from django.db.models import QuerySet

# Depth of an organization root: the tree root (1), the site's home page (2), then here.
ROOT_DEPTH = 3


class AbstractOrganizationPage(Page):
    """An organization's home in the page tree; created and renamed only by provisioning."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.PROTECT, related_name="root_page"
    )
    members_only = models.BooleanField(
        default=True,
        help_text="Only members of the organization can see its pages. Untick to publish "
        "them to everyone.",
    )

    settings_panels = [FieldPanel("members_only"), *Page.settings_panels]
    promote_panels: list[Any] = []
    is_creatable = False  # only organizations.provisioning creates these

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        from organizations.provisioning import sync_view_restriction

        sync_view_restriction(self)

    def permissions_for_user(self, user: Any) -> PagePermissionTester:
        return RootPagePermissionTester(user, self)


class RootPagePermissionTester(PagePermissionTester):
    """An organization's root page is provisioned infrastructure: its members edit and
    publish it, but only operators delete, move, copy or unpublish it or change its
    privacy (which follows the organization's members-only setting)."""

    def _operator(self) -> bool:
        from organizations.access import is_operator

        return is_operator(self.user)

    def can_delete(self, ignore_bulk: bool = False) -> bool:
        return self._operator() and super().can_delete(ignore_bulk)

    def can_unpublish(self) -> bool:
        return self._operator() and super().can_unpublish()

    def can_move(self) -> bool:
        return self._operator() and super().can_move()

    def can_copy(self) -> bool:
        return self._operator() and super().can_copy()

    def can_set_view_restrictions(self) -> bool:
        return self._operator() and super().can_set_view_restrictions()


@cache
def root_page_model() -> type[AbstractOrganizationPage]:
    model = apps.get_model(settings.ORGANIZATION_ROOT_PAGE_MODEL)
    if not issubclass(model, AbstractOrganizationPage):
        raise TypeError(
            f"ORGANIZATION_ROOT_PAGE_MODEL {settings.ORGANIZATION_ROOT_PAGE_MODEL} must "
            "subclass organizations.pages.AbstractOrganizationPage"
        )
    return model


def root_pages() -> QuerySet[Any]:
    return root_page_model().objects.all()


def root_path_of(page: Page) -> str | None:
    """The tree path of the organization root above (or at) ``page``, if any."""
    if page.depth < ROOT_DEPTH:
        return None
    return page.path[: Page.steplen * ROOT_DEPTH]
