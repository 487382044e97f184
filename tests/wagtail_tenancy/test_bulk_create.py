"""The bulk path builds what provisioning builds, in a constant number of statements."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Collection, Page, PageViewRestriction

from dashboards.models import OrganizationPage, default_panels
from organizations.models import AuditEvent, Membership, Organization
from organizations.provisioning import organization_provision
from organizations.roles import Role
from organizations.services import organization_create
from organizations.services.bulk import NewOrganization, organizations_bulk_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _verified(email: str, **extra: object):  # type: ignore[no-untyped-def]
    """An account whose address is verified: the only kind the bulk path makes owner."""
    from allauth.account.models import EmailAddress

    user = UserFactory(email=email, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _rows(prefix: str, count: int, **extra: object) -> list[NewOrganization]:
    return [
        NewOrganization(name=f"{prefix} {n}", slug=f"{prefix}-{n}", **extra)  # type: ignore[arg-type]
        for n in range(count)
    ]


def test_bulk_organizations_need_no_repair_and_the_trees_stay_sound(site_tree) -> None:  # type: ignore[no-untyped-def]
    owner = UserFactory(email="first-owner@example.com")
    before = organization_create(acting_user=owner, name="Before", slug="before")
    result = organizations_bulk_create(rows=_rows("bulk", 7), batch_size=3)
    after = organization_create(acting_user=owner, name="After", slug="after")

    assert len(result.created) == 7
    # Treebeard's own check of both trees, and its own next path after the bulk run.
    assert all(not problems for problems in Page.find_problems())
    assert all(not problems for problems in Collection.find_problems())
    paths = [OrganizationPage.objects.get(organization=o).path for o in result.created]
    before_page = OrganizationPage.objects.get(organization=before)
    after_page = OrganizationPage.objects.get(organization=after)
    assert sorted(paths) == paths
    assert before_page.path < paths[0] < paths[-1] < after_page.path
    assert (
        after_page.get_parent().numchild == Page.objects.child_of(after_page.get_parent()).count()
    )

    for organization in result.created:
        organization.refresh_from_db()
        # Provisioning finds nothing to create or repair: the same end state.
        assert organization_provision(organization=organization) == {
            "created": [],
            "updated": [],
        }
        page = OrganizationPage.objects.get(organization=organization)
        assert page.live
        assert page.members_only
        assert page.url == f"/{organization.slug}/"
        assert [block.block_type for block in page.panels] == [name for name, _ in default_panels()]
        assert PageViewRestriction.objects.filter(page=page).count() == 1
        assert AuditEvent.objects.filter(
            organization=organization, action="organization.created"
        ).exists()


def test_an_owner_from_the_file_can_use_the_organization_and_others_cannot(
    site_tree, client
) -> None:  # type: ignore[no-untyped-def]
    owner = _verified("Owner@Example.com")
    outsider = UserFactory(email="outsider@example.com")
    (organization,) = organizations_bulk_create(
        rows=[NewOrganization(name="Acme", slug="acme", owner_email="owner@example.com")]
    ).created
    assert Membership.objects.get(user=owner, organization=organization).role == Role.OWNER
    owner.profile.refresh_from_db()
    assert owner.profile.default_organization_id == organization.pk

    client.force_login(owner)
    assert client.get("/o/acme/").status_code == 200
    page = OrganizationPage.objects.get(organization=organization)
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.get("/acme/").status_code == 200

    client.force_login(outsider)
    assert client.get("/o/acme/").status_code == 404
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code in (302, 403, 404)
    assert b"Acme" not in client.get("/acme/").content


def test_a_public_bulk_organization_is_found_by_public_search(site_tree, client) -> None:  # type: ignore[no-untyped-def]
    organizations_bulk_create(
        rows=[NewOrganization(name="Zebracorn Works", slug="zebracorn", members_only=False)]
    )
    organizations_bulk_create(rows=[NewOrganization(name="Zebracorn Secret", slug="hidden")])
    body = client.get("/search/?query=zebracorn").content.decode()
    assert "Zebracorn Works" in body
    assert "Zebracorn Secret" not in body


def test_bad_rows_are_all_reported_and_nothing_is_written(site_tree) -> None:  # type: ignore[no-untyped-def]
    organizations_bulk_create(rows=[NewOrganization(name="Taken", slug="taken")])
    before = (Organization.objects.count(), Page.objects.count(), Collection.objects.count())
    rows = [
        NewOrganization(name="", slug="fine-1"),
        NewOrganization(name="Bad", slug="Not A Slug"),
        NewOrganization(name="Admin", slug="admin"),
        NewOrganization(name="Twice", slug="twice"),
        NewOrganization(name="Twice again", slug="twice"),
        NewOrganization(name="Taken", slug="taken"),
        NewOrganization(name="Nobody", slug="nobody", owner_email="ghost@example.com"),
    ]
    with pytest.raises(ValidationError) as caught:
        organizations_bulk_create(rows=rows)
    text = "\n".join(caught.value.messages)
    for expected in (
        "row 1: the name is empty",
        "row 2: 'Not A Slug' is not a slug",
        "row 3: 'admin' is reserved",
        "row 5: 'twice' appears twice",
        "already taken: taken",
        "verified address: ghost@example.com",
    ):
        assert expected in text
    assert (
        Organization.objects.count(),
        Page.objects.count(),
        Collection.objects.count(),
    ) == before

    result = organizations_bulk_create(
        rows=[
            NewOrganization(name="Taken", slug="taken"),
            NewOrganization(name="New", slug="new-one"),
        ],
        skip_existing=True,
    )
    assert [o.slug for o in result.created] == ["new-one"]
    assert result.skipped == ["taken"]


def test_a_batch_costs_the_same_statements_at_any_size(site_tree) -> None:  # type: ignore[no-untyped-def]
    owners = [_verified(f"owner{n}@example.com") for n in range(30)]

    def statements(prefix: str, count: int) -> int:
        rows = [
            NewOrganization(name=f"{prefix} {n}", slug=f"{prefix}-{n}", owner_email=owners[n].email)
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            organizations_bulk_create(rows=rows)
        return len(queries)

    assert statements("small", 3) == statements("large", 30)


def test_the_command_reads_a_csv_file_and_counts(site_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _verified("dana@example.com")
    source = tmp_path / "customers.csv"
    source.write_text(
        "name,slug,owner_email,public\nNorth Ltd,north,dana@example.com,yes\nSouth Ltd,south,,\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("create_organizations", "--csv", str(source), stdout=out)
    assert "Created 2 organization(s)" in out.getvalue()
    assert not OrganizationPage.objects.get(organization__slug="north").members_only
    assert OrganizationPage.objects.get(organization__slug="south").members_only

    call_command("create_organizations", "--count", "4", "--prefix", "load", stdout=out)
    assert Organization.objects.filter(slug__startswith="load-").count() == 4

    with pytest.raises(CommandError, match="already taken"):
        call_command("create_organizations", "--csv", str(source), stdout=out)
    bad = tmp_path / "bad.csv"
    bad.write_text("title\nx\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("create_organizations", "--csv", str(bad), stdout=out)
    with pytest.raises(CommandError, match="No such file"):
        call_command("create_organizations", "--csv", str(tmp_path / "none.csv"), stdout=out)


def test_a_new_organization_costs_the_same_statements_beside_few_or_many(site_tree) -> None:  # type: ignore[no-untyped-def]
    """A name that sorts first used to move every other organization's collection."""

    def statements(name: str, slug: str) -> int:
        owner = UserFactory(email=f"owner-{slug}@example.com")
        with CaptureQueriesContext(connection) as queries:
            organization_create(acting_user=owner, name=name, slug=slug)
        return len(queries)

    organizations_bulk_create(rows=_rows("zz-few", 3))
    few = statements("Aardvark", "aardvark")
    organizations_bulk_create(rows=_rows("zz-many", 40))
    many = statements("Aaa first", "aaa-first")
    assert few == many
    assert all(not problems for problems in Collection.find_problems())


def test_owners_need_an_active_account_with_a_verified_address(site_tree) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="squatter@example.com")  # signed up, never verified
    _verified("gone@example.com", is_active=False)
    for email in ("squatter@example.com", "gone@example.com"):
        with pytest.raises(ValidationError, match="no active account with a verified address"):
            organizations_bulk_create(
                rows=[NewOrganization(name="Acme", slug="acme", owner_email=email)]
            )
    assert not Organization.objects.filter(slug="acme").exists()


def test_page_addresses_never_clash_and_odd_input_is_refused_before_writing(
    site_tree, client
) -> None:  # type: ignore[no-untyped-def]
    from home.models import ContentPage, HomePage

    home = HomePage.objects.get()
    home.add_child(instance=ContentPage(title="Acme page", slug="acme")).save_revision().publish()
    home.add_child(instance=ContentPage(title="Both", slug="both")).save_revision().publish()
    home.add_child(
        instance=ContentPage(title="Both org", slug="both-org")
    ).save_revision().publish()
    with pytest.raises(ValidationError) as caught:
        organizations_bulk_create(
            rows=[
                NewOrganization(name="Both", slug="both"),
                NewOrganization(name="Long", slug="x" * 61),
                NewOrganization(name="Nul\x00name", slug="nul"),
            ]
        )
    text = "\n".join(caught.value.messages)
    assert "'both': a page of the site already has this address" in text
    assert "longer than 60" in text
    assert "control characters" in text
    assert not Organization.objects.filter(slug__in=["both", "nul"]).exists()

    # A row whose page address is taken falls back to "<slug>-org", unless another
    # row of the file has that slug: then it is refused, nothing written.
    with pytest.raises(ValidationError, match="'acme': a page of the site"):
        organizations_bulk_create(
            rows=[
                NewOrganization(name="Acme", slug="acme"),
                NewOrganization(name="Acme Org", slug="acme-org"),
            ]
        )
    assert not Organization.objects.filter(slug__in=["acme", "acme-org"]).exists()
    (acme,) = organizations_bulk_create(
        rows=[NewOrganization(name="Acme", slug="acme", members_only=False)]
    ).created
    assert OrganizationPage.objects.get(organization=acme).slug == "acme-org"
    assert client.get("/acme-org/").status_code == 200
    assert client.get("/acme/").status_code == 200  # the content page, as before


def test_collections_are_not_moved_in_the_admin(site_tree, client) -> None:  # type: ignore[no-untyped-def]
    first, second = organizations_bulk_create(rows=_rows("mover", 2)).created
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = f"/admin/collections/{first.collection_id}/"
    response = client.post(url, {"name": "Renamed", "parent": second.collection_id})
    assert response.status_code == 303
    first.refresh_from_db()
    assert first.collection is not None
    assert first.collection.get_parent() == Collection.get_first_root_node()
    # Renaming without moving still works.
    root = Collection.get_first_root_node()
    response = client.post(url, {"name": "Renamed", "parent": root.pk})
    assert response.status_code == 302
    first.collection.refresh_from_db()
    assert first.collection.name == "Renamed"
