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
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page, PagePermissionTester, PageViewRestriction, get_page_models

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from wagtail.query import PageQuerySet

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
        # The roots published to everyone: public search and the sitemap start here
        # (``public_pages``), reading as many rows as there are public organizations.
        indexes = [
            models.Index(
                fields=["organization"],
                condition=Q(members_only=False),
                name="%(app_label)s_published_root",
            )
        ]

    def set_initial_content(self) -> None:
        """Fill what a new organization's page starts with (the concrete page type's
        defaults). Called before the first save, and by the bulk path, which writes the
        rows without calling ``save``."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self.set_initial_content()
        super().save(*args, **kwargs)
        # Saves of a few named fields (Wagtail's revision bookkeeping, for one) cannot
        # change who may see the pages; every other save brings the restriction in line.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "members_only" not in update_fields:
            return
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


def _ancestor_paths(path: str) -> list[str]:
    return [path[:end] for end in range(Page.steplen, len(path) + 1, Page.steplen)]


def public_pages(site_root: Page) -> PageQuerySet:
    """Live pages of ``site_root``'s tree that anyone may see.

    Wagtail's ``public()`` adds one ``path LIKE`` per view restriction, and every
    members-only organization has one: its cost grows with the number of organizations.
    Here the public area is found first, each part through an index, and only the view
    restrictions inside it are excluded:

    - the site root itself;
    - the subtrees of its children that are not organization roots (a partial index of
      the page types at depth 3, organizations/migrations/0008);
    - the subtrees of the organization roots published to everyone, of active
      organizations (a partial index on ``members_only``).

    Two small queries, then one whose conditions are path prefixes of the public area.
    """
    pages = Page.objects.live()
    if site_root.depth != ROOT_DEPTH - 1:
        # A site rooted elsewhere than the organizations' parent (not used by the
        # platform): Wagtail's own rule.
        return pages.descendant_of(site_root, inclusive=True).public()
    root_model = root_page_model()
    other_types = [
        content_type.pk
        for model, content_type in ContentType.objects.get_for_models(*get_page_models()).items()
        if not issubclass(model, root_model)
    ]
    published_roots = (
        root_model.objects.filter(
            members_only=False, organization__is_active=True, path__startswith=site_root.path
        )
        .values_list("path", flat=True)
        .order_by()
    )
    other_children = (
        Page.objects.filter(
            depth=ROOT_DEPTH, content_type_id__in=other_types, path__startswith=site_root.path
        )
        .values_list("path", flat=True)
        .order_by()
    )
    areas = sorted(published_roots.union(other_children, all=True))
    inside_areas = Q(path=site_root.path)
    restriction_scope = Q(page__path__in=_ancestor_paths(site_root.path))
    for path in areas:
        inside_areas |= Q(path__startswith=path)
        restriction_scope |= Q(page__path__startswith=path)
    restricted = Q()
    for path in PageViewRestriction.objects.filter(restriction_scope).values_list(
        "page__path", flat=True
    ):
        restricted |= Q(path__startswith=path)
    pages = pages.filter(inside_areas)
    return pages.exclude(restricted) if restricted else pages
