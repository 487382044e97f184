"""Many organizations at once: onboarding a customer list, or a load-test database.

``organization_create`` provisions one organization through Wagtail's own page and tree
methods: about 170 statements, most of them Wagtail's page creation and first
publication. Here every kind of row is written for a whole batch in one statement: the
organizations, their collections and root pages (tree paths reserved in one run after
the last sibling, ``organizations.tree``), the role groups with their model, page and
collection permissions, the members-only view restrictions, the owners' memberships and
the audit events. The end state is what provisioning builds: ``organization_provision``
finds nothing to repair on a bulk-created organization (a test holds both to that).

What the bulk path leaves out, on purpose: no page revision and no page log entry for
the root pages (they are live with their initial content, as a page loaded from a
fixture; the first edit starts the history), and no live events (nobody can be looking
at an organization that did not exist).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from modelsearch.backends import get_search_backends
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    PageViewRestriction,
)
from wagtail.search import index

from accounts.backends import forget_user
from accounts.models import Profile
from organizations.models import AuditEvent, Membership, Organization, RoleGroup
from organizations.pages import AbstractOrganizationPage, root_page_model
from organizations.provisioning import (
    every_role_permission,
    group_name,
    home_page,
    wanted_permissions,
)
from organizations.roles import Role
from organizations.services.common import organization_changed
from organizations.services.organizations import RESERVED_SLUGS
from organizations.tree import next_child_paths

BATCH_SIZE = 500
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class NewOrganization:
    name: str
    slug: str
    owner_email: str = ""
    members_only: bool = True
    # Filled by the checks: the root page's slug (``<slug>-org`` where a page of the site
    # already has the organization's slug, as organization_create does).
    page_slug: str = ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME, MAX_SLUG = 120, 60


@dataclass
class BulkResult:
    created: list[Organization]
    skipped: list[str]


def organizations_bulk_create(
    *,
    rows: Sequence[NewOrganization],
    skip_existing: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Create the organizations of ``rows``; every row is checked before anything is
    written (a ``ValidationError`` lists the bad rows by number). Each batch commits on
    its own: after an interruption, ``skip_existing`` continues where it stopped."""
    rows, skipped, owners = _validated(rows, skip_existing=skip_existing)
    created: list[Organization] = []
    for start in range(0, len(rows), batch_size):
        created += _create_batch(rows[start : start + batch_size], owners)
        if progress is not None:
            progress(len(created))
    return BulkResult(created=created, skipped=skipped)


def _validated(
    rows: Sequence[NewOrganization], *, skip_existing: bool
) -> tuple[list[NewOrganization], list[str], dict[str, Any]]:
    """The rows to create (with their page slugs), the slugs skipped as existing, and the
    owners' accounts by address; or a ValidationError listing every bad row."""
    errors: list[str] = []
    seen: set[str] = set()
    clean: list[NewOrganization] = []
    for number, row in enumerate(rows, start=1):
        name, slug = row.name.strip(), row.slug.strip()
        email = row.owner_email.strip().lower()
        if not name:
            errors.append(f"row {number}: the name is empty")
        elif len(name) > MAX_NAME or _CONTROL.search(name):
            errors.append(
                f"row {number}: the name is longer than {MAX_NAME} or has control characters"
            )
        if not slug or slugify(slug) != slug.lower() or slug != slug.lower():
            errors.append(f"row {number}: {slug!r} is not a slug (lowercase letters, numbers, -)")
        elif len(slug) > MAX_SLUG:
            errors.append(f"row {number}: {slug!r} is longer than {MAX_SLUG} characters")
        elif slug in RESERVED_SLUGS:
            errors.append(f"row {number}: {slug!r} is reserved")
        elif slug in seen:
            errors.append(f"row {number}: {slug!r} appears twice")
        if _CONTROL.search(email):
            errors.append(f"row {number}: the owner's address has control characters")
        seen.add(slug)
        clean.append(
            NewOrganization(name=name, slug=slug, owner_email=email, members_only=row.members_only)
        )
    existing = _slugs_taken(Organization.objects.all(), [row.slug for row in clean])
    if existing and not skip_existing:
        taken = sorted(existing)
        errors.append(
            f"{len(taken)} slug(s) already taken: {', '.join(taken[:MAX_ERRORS_SHOWN])}"
            + (" …" if len(taken) > MAX_ERRORS_SHOWN else "")
            + " (use skip-existing to leave them out)"
        )
    emails = {row.owner_email for row in clean if row.owner_email}
    known = _users_by_email(emails)
    unknown = sorted(emails - set(known))
    if unknown:
        errors.append(
            f"{len(unknown)} owner(s) have no active account with a verified address: "
            f"{', '.join(unknown[:MAX_ERRORS_SHOWN])}"
            + (" …" if len(unknown) > MAX_ERRORS_SHOWN else "")
        )
    kept = [row for row in clean if row.slug not in existing]
    kept = _with_page_slugs(kept, errors)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(f"… and {len(errors) - len(shown)} more")
        raise ValidationError(shown)
    return kept, sorted(existing), known


def _slugs_taken(queryset: QuerySet[Any], slugs: list[str]) -> set[str]:
    """Which of ``slugs`` rows of ``queryset`` have, asked in chunks (a file may hold
    tens of thousands)."""
    taken: set[str] = set()
    for start in range(0, len(slugs), 5000):
        chunk = slugs[start : start + 5000]
        taken |= set(queryset.filter(slug__in=chunk).values_list("slug", flat=True))
    return taken


def _with_page_slugs(rows: list[NewOrganization], errors: list[str]) -> list[NewOrganization]:
    """Each root page's slug, unique among the site's pages and the file's rows: its own
    where free, else ``<slug>-org`` where that is free (two pages of one slug under the
    home page would make Wagtail's routing fail)."""
    candidates = [row.slug for row in rows] + [f"{row.slug}-org" for row in rows]
    taken = _slugs_taken(Page.objects.child_of(home_page()), candidates) if candidates else set()
    own = {row.slug for row in rows if row.slug not in taken}
    used = taken | own
    placed = []
    for row in rows:
        page_slug = row.slug
        if row.slug not in own:
            page_slug = f"{row.slug}-org"
            if page_slug in used or len(page_slug) > 255:
                errors.append(f"{row.slug!r}: a page of the site already has this address")
                continue
            used.add(page_slug)
        placed.append(dataclasses.replace(row, page_slug=page_slug))
    return placed


def _users_by_email(emails: set[str]) -> dict[str, Any]:
    """Owners by address: active accounts whose address is verified (an unverified
    sign-up with a customer's address must not become its owner)."""
    if not emails:
        return {}
    addresses = (
        EmailAddress.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails, verified=True, user__is_active=True)
        .select_related("user")
    )
    return {address.email_lower: address.user for address in addresses}


def insert_page_rows(pages: Sequence[Page]) -> None:
    """Write new pages of one type whose tree fields (``path``, ``depth``, ``numchild``,
    ``url_path``) are set: Django's ``bulk_create`` refuses models with a concrete
    parent, so the ``Page`` rows go in with it and the page type's own rows with one
    ``executemany`` of the values each field prepares for the database. The caller
    updates the parents' ``numchild``."""
    model = type(pages[0])
    if list(model._meta.parents) != [Page]:
        raise TypeError(f"{model.__name__} must inherit from Page directly")
    base_fields = [field for field in Page._meta.concrete_fields if not field.primary_key]
    bases = Page.objects.bulk_create(
        Page(**{field.attname: getattr(page, field.attname) for field in base_fields})
        for page in pages
    )
    for page, base in zip(pages, bases, strict=True):
        page.pk = page.id = base.pk
        page.page_ptr_id = base.pk
        page._state.adding = False
        page._state.db = connection.alias
    fields = model._meta.local_concrete_fields
    quote = connection.ops.quote_name
    # Table and column names come from the model's metadata, quoted; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [
                    field.get_db_prep_save(getattr(page, field.attname), connection)
                    for field in fields
                ]
                for page in pages
            ],
        )


def _create_batch(rows: Sequence[NewOrganization], owners: dict[str, Any]) -> list[Organization]:
    count = len(rows)
    now = timezone.now()
    with transaction.atomic():
        # The two parents are locked: nobody else appends a sibling between reading the
        # last child's path and inserting after it.
        home = Page.objects.select_for_update().get(pk=home_page().pk)
        collection_root = Collection.objects.select_for_update().get(
            pk=Collection.get_first_root_node().pk
        )
        organizations = Organization.objects.bulk_create(
            Organization(name=row.name, slug=row.slug) for row in rows
        )

        collections = Collection.objects.bulk_create(
            Collection(name=organization.name, path=path, depth=collection_root.depth + 1)
            for organization, path in zip(
                organizations, next_child_paths(collection_root, count), strict=True
            )
        )
        Collection.objects.filter(pk=collection_root.pk).update(numchild=F("numchild") + count)
        for organization, collection in zip(organizations, collections, strict=True):
            organization.collection = collection
        Organization.objects.bulk_update(organizations, ["collection"])

        model = root_page_model()
        content_type = ContentType.objects.get_for_model(model)
        pages = []
        for organization, row, path in zip(
            organizations, rows, next_child_paths(home, count), strict=True
        ):
            slug = row.page_slug or row.slug
            page = model(
                title=organization.name,
                draft_title=organization.name,
                slug=slug,
                organization=organization,
                members_only=row.members_only,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                path=path,
                depth=home.depth + 1,
                numchild=0,
                url_path=f"{home.url_path}{slug}/",
                locale_id=home.locale_id,
                content_type=content_type,
            )
            page.set_initial_content()
            pages.append(page)
        insert_page_rows(pages)
        Page.objects.filter(pk=home.pk).update(numchild=F("numchild") + count)

        groups = _create_groups(organizations)
        _grant_permissions(organizations, pages, groups)
        _restrict_views(organizations, pages, rows, groups)
        _add_owners(organizations, rows, owners, groups)
        AuditEvent.objects.bulk_create(
            AuditEvent(
                organization=organization,
                action="organization.created",
                target_type=organization._meta.label_lower,
                target_id=str(organization.pk),
                target_repr=str(organization)[:255],
                details={
                    "name": organization.name,
                    "slug": organization.slug,
                    "personal": False,
                    "bulk": True,
                    "owner": row.owner_email,
                },
            )
            for organization, row in zip(organizations, rows, strict=True)
        )
        if index.class_is_indexed(model):
            for backend in get_search_backends(with_auto_update=True):
                backend.add_bulk(model, pages)
        ids = [organization.pk for organization in organizations]
        transaction.on_commit(
            lambda: [
                organization_changed.send(sender=Organization, organization_id=pk, change="created")
                for pk in ids
            ]
        )
    return organizations


def _create_groups(organizations: list[Organization]) -> dict[tuple[int, str], Group]:
    names = {
        (organization.pk, role): group_name(organization, role)
        for organization in organizations
        for role in Role.values
    }
    # Groups left behind under these names (a restored backup) are reused, as
    # provisioning does.
    named = {group.name: group for group in Group.objects.filter(name__in=names.values())}
    for group in Group.objects.bulk_create(
        Group(name=name) for name in names.values() if name not in named
    ):
        named[group.name] = group
    RoleGroup.objects.bulk_create(
        RoleGroup(organization_id=organization_id, role=role, group=named[name])
        for (organization_id, role), name in names.items()
    )
    return {key: named[name] for key, name in names.items()}


def _grant_permissions(
    organizations: list[Organization],
    pages: list[AbstractOrganizationPage],
    groups: dict[tuple[int, str], Group],
) -> None:
    permissions = every_role_permission()
    through = Group.permissions.through
    model_rows, page_rows, collection_rows = [], [], []
    for organization, page in zip(organizations, pages, strict=True):
        assert organization.collection_id is not None
        for role in Role.values:
            group_id = groups[(organization.pk, role)].pk
            wanted = wanted_permissions(
                organization, role, page.pk, organization.collection_id, permissions
            )
            model_rows += [through(group_id=group_id, permission_id=pk) for pk in wanted.model]
            page_rows += [
                GroupPagePermission(group_id=group_id, page_id=page_id, permission_id=pk)
                for page_id, pk in wanted.page
            ]
            collection_rows += [
                GroupCollectionPermission(
                    group_id=group_id, collection_id=collection_id, permission_id=pk
                )
                for collection_id, pk in wanted.collection
            ]
    through.objects.bulk_create(model_rows)
    GroupPagePermission.objects.bulk_create(page_rows)
    GroupCollectionPermission.objects.bulk_create(collection_rows)


def _restrict_views(
    organizations: list[Organization],
    pages: list[AbstractOrganizationPage],
    rows: Sequence[NewOrganization],
    groups: dict[tuple[int, str], Group],
) -> None:
    """Members-only roots are restricted to the organization's groups, as
    ``provisioning.sync_view_restriction`` does for one page."""
    restricted = [
        (organization, page)
        for organization, page, row in zip(organizations, pages, rows, strict=True)
        if row.members_only
    ]
    restrictions = PageViewRestriction.objects.bulk_create(
        PageViewRestriction(page=page, restriction_type=PageViewRestriction.GROUPS)
        for _, page in restricted
    )
    through = PageViewRestriction.groups.through
    through.objects.bulk_create(
        through(pageviewrestriction_id=restriction.pk, group_id=groups[(organization.pk, role)].pk)
        for (organization, _), restriction in zip(restricted, restrictions, strict=True)
        for role in Role.values
    )


def _add_owners(
    organizations: list[Organization],
    rows: Sequence[NewOrganization],
    owners: dict[str, Any],
    groups: dict[tuple[int, str], Group],
) -> None:
    pairs = [
        (organization, owners[row.owner_email])
        for organization, row in zip(organizations, rows, strict=True)
        if row.owner_email
    ]
    if not pairs:
        return
    memberships = Membership.objects.bulk_create(
        Membership(user=user, organization=organization, role=Role.OWNER)
        for organization, user in pairs
    )
    through = Group.user_set.through
    through.objects.bulk_create(
        through(user_id=user.pk, group_id=groups[(organization.pk, Role.OWNER)].pk)
        for organization, user in pairs
    )
    # As organization_create: the first organization becomes the owner's default.
    first: dict[int, Organization] = {}
    for organization, user in pairs:
        first.setdefault(user.pk, organization)
    profiles = list(Profile.objects.filter(user_id__in=first, default_organization__isnull=True))
    for profile in profiles:
        profile.default_organization = first[profile.user_id]
    Profile.objects.bulk_update(profiles, ["default_organization"])
    # bulk_update sends no post_save: drop the cached accounts the profile rides on.
    changed = [profile.user_id for profile in profiles]

    def forget_all() -> None:
        for user_id in changed:
            forget_user(user_id)

    transaction.on_commit(forget_all)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=organization,
            action="membership.joined",
            target_type=membership._meta.label_lower,
            target_id=str(membership.pk),
            target_repr=str(membership)[:255],
            details={"user": user.email, "role": Role.OWNER, "bulk": True},
        )
        for (organization, user), membership in zip(pairs, memberships, strict=True)
    )
