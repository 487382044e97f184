"""The access rule's contract: every case through every entry point, the same answer.

Cases: each role, a person in two organizations (low role here), a suspended
organization, a two-factor requirement not met, an inactive account, another
organization, anonymous. Entry points: the rule itself, its queryset form, the portal
middleware, document downloads, the organization's pages, the activity feed, the Wagtail
admin's document and page policies and listing, the upload service and the live socket.
For each case the expected answers come from the rule's definition, written out below,
not from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtail.permissions import policy_registry

from organizations import access
from organizations.audit import audit_record
from organizations.models import Organization
from organizations.pages import root_page_model
from organizations.roles import Capability, Role
from organizations.services import membership_add
from secure_documents.models import SecureDocument
from secure_documents.services import document_create
from tests.secure_documents.conftest import make_document
from tests.secure_documents.helpers import read_body
from tests.tenants import Tenant

CEILING_MARKER = "CEILING-ONLY-5512"


@dataclass(frozen=True)
class Case:
    name: str
    view: bool  # may view the organization (portal, pages, plain documents, socket)
    ceiling: bool  # may also view an object for admins and above
    edit: bool  # may edit content (Wagtail admin)
    upload: bool  # may upload documents
    person: Callable[[Tenant, Tenant], Any]


def _role(role: str) -> Callable[[Tenant, Tenant], Any]:
    return lambda a, b: a.users[role]


def _in_both(a: Tenant, b: Tenant) -> Any:
    person = b.users[Role.OWNER]
    membership_add(acting_user=None, organization=a.organization, user=person, role=Role.VIEWER)
    return person


def _suspended(a: Tenant, b: Tenant) -> Any:
    Organization.objects.filter(pk=a.organization.pk).update(is_active=False)
    return a.users[Role.OWNER]


def _mfa_missing(a: Tenant, b: Tenant) -> Any:
    Organization.objects.filter(pk=a.organization.pk).update(require_mfa=True)
    return a.users[Role.OWNER]


def _inactive(a: Tenant, b: Tenant) -> Any:
    owner = a.users[Role.OWNER]
    owner.is_active = False
    owner.save()
    return owner


CASES = [
    Case("owner", True, True, True, True, _role(Role.OWNER)),
    Case("admin", True, True, True, True, _role(Role.ADMIN)),
    Case("editor", True, False, True, True, _role(Role.EDITOR)),
    Case("member", True, False, False, True, _role(Role.MEMBER)),
    Case("viewer", True, False, False, False, _role(Role.VIEWER)),
    Case("viewer here, owner elsewhere", True, False, False, False, _in_both),
    Case("owner of a suspended organization", False, False, False, False, _suspended),
    Case("owner without the required second factor", False, False, False, False, _mfa_missing),
    Case("inactive owner", False, False, False, False, _inactive),
    Case(
        "owner of another organization", False, False, False, False, lambda a, b: b.users["owner"]
    ),
    Case("anonymous", False, False, False, False, lambda a, b: None),
]


@dataclass
class World:
    a: Tenant
    b: Tenant
    person: Any
    plain: SecureDocument
    restricted: SecureDocument


def _world(org_a: Tenant, org_b: Tenant, case: Case) -> World:
    plain = make_document(org_a, "plain.txt", b"plain document")
    restricted = make_document(org_a, "restricted.txt", b"for admins only")
    SecureDocument.objects.filter(pk=restricted.pk).update(
        min_role=Role.ADMIN, title=CEILING_MARKER
    )
    restricted.refresh_from_db()
    # An admin-only event in the activity feed (as an export writes one).
    audit_record(
        action="document.uploaded",
        actor=org_a.users[Role.ADMIN],
        organization=org_a.organization,
        target=restricted,
    )
    person = case.person(org_a, org_b)
    return World(org_a, org_b, person, plain, restricted)


def _client(person: Any) -> Client:
    client = Client(raise_request_exception=False)
    if person is not None:
        client.force_login(person)
    return client


def _user(person: Any) -> Any:
    if person is None:
        return AnonymousUser()
    return type(person).objects.get(pk=person.pk)  # fresh: nothing cached on the object


def answers(world: World) -> dict[str, bool]:
    """Every entry point's answer for the world's person."""
    org = world.a.organization
    user = _user(world.person)
    client = _client(world.person)
    root = root_page_model().objects.get(organization=org)
    policy = policy_registry.get_by_type(SecureDocument)
    visible = set(
        access.filter_visible(
            SecureDocument.objects.filter(organization=org), user, min_role_field="min_role"
        ).values_list("pk", flat=True)
    )
    editable = set(
        policy.instances_user_has_any_permission_for(user, ["change"]).values_list("pk", flat=True)
    )
    overview = client.get(f"/o/{org.slug}/")
    admin_listing = client.get("/admin/documents/")
    listing_body = admin_listing.content.decode() if admin_listing.status_code == 200 else ""

    def downloads(document: SecureDocument) -> bool:
        response = client.get(document.url)
        read_body(response)
        return response.status_code == 200

    def uploads() -> bool:
        try:
            document_create(
                acting_user=user,
                organization=Organization.objects.get(pk=org.pk),
                uploaded_file=SimpleUploadedFile("new.txt", b"new"),
            )
        except PermissionDenied:
            return False
        return True

    return {
        "rule: view": access.check(user, org.pk).allowed,
        "rule: ceiling": access.check(user, org.pk, min_role=Role.ADMIN).allowed,
        "rule: edit": access.check(user, org.pk, Capability.EDIT_CONTENT).allowed,
        "rule: upload": access.check(user, org.pk, Capability.UPLOAD_DOCUMENTS).allowed,
        "queryset: plain": world.plain.pk in visible,
        "queryset: ceiling": world.restricted.pk in visible,
        "portal overview": overview.status_code == 200,
        "feed shows the admin-only event": overview.status_code == 200
        and CEILING_MARKER in overview.content.decode(),
        "download: plain": downloads(world.plain),
        "download: ceiling": downloads(world.restricted),
        "organization pages": client.get(root.url).status_code == 200,
        "admin policy: plain": world.plain.pk in editable,
        "admin policy: ceiling": world.restricted.pk in editable,
        "admin listing: plain": "plain" in listing_body,
        "admin listing: ceiling": CEILING_MARKER in listing_body,
        "admin page policy": root.permissions_for_user(user).can_edit(),
        "upload service": uploads(),
        "live socket": _socket_accepted(world.person, org.slug),
    }


def expected(case: Case) -> dict[str, bool]:
    return {
        "rule: view": case.view,
        "rule: ceiling": case.ceiling,
        "rule: edit": case.edit,
        "rule: upload": case.upload,
        "queryset: plain": case.view,
        "queryset: ceiling": case.ceiling,
        "portal overview": case.view,
        "feed shows the admin-only event": case.ceiling,
        "download: plain": case.view,
        "download: ceiling": case.ceiling,
        "organization pages": case.view,
        "admin policy: plain": case.edit,
        "admin policy: ceiling": case.edit and case.ceiling,
        "admin listing: plain": case.edit,
        "admin listing: ceiling": case.edit and case.ceiling,
        "admin page policy": case.edit,
        "upload service": case.upload,
        "live socket": case.view,
    }


def _socket_accepted(person: Any, slug: str) -> bool:
    from config.asgi import application

    headers = [(b"origin", b"http://testserver")]
    if person is not None:
        client = Client()
        client.force_login(person)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))

    async def connect() -> bool:
        communicator = WebsocketCommunicator(application, f"/ws/live/?org={slug}", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        if connected:
            await communicator.disconnect()
        return connected

    return async_to_sync(connect)()


@pytest.mark.django_db(transaction=True)  # the socket's consumer reads from its own thread
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_entry_point_gives_the_rules_answer(org_a: Tenant, org_b: Tenant, case: Case) -> None:
    world = _world(org_a, org_b, case)
    got = answers(world)
    want = expected(case)
    assert got.keys() == want.keys()
    wrong = {point: got[point] for point in want if got[point] != want[point]}
    assert not wrong, f"{case.name}: these entry points disagree with the rule: {wrong}"


def test_the_cases_cover_every_role() -> None:
    covered = {case.name for case in CASES}
    assert {str(role) for role in Role} <= covered
