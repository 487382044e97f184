"""Every endpoint of /api/v1/ as each role, by session and by token; other
organizations, expired, revoked and read-only tokens; the error shape."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken, Scope
from api.services import token_revoke
from dashboards.announcements import announcement_create
from organizations.roles import Role
from organizations.services import invitation_send
from tests.api.conftest import bearer, document, expired, make_token
from tests.factories import add_member
from tests.tenants import MARKER_A, ROLES

pytestmark = pytest.mark.django_db

_emails = itertools.count(1)
ALL = dict.fromkeys(ROLES, 200)


def _only(ok: int, *roles: str, other: int = 403) -> dict[str, int]:
    return {role: ok if role in roles else other for role in ROLES}


MANAGERS = (Role.OWNER, Role.ADMIN)
EDITORS = (Role.OWNER, Role.ADMIN, Role.EDITOR)
UPLOADERS = (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.MEMBER)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    # builds the path (and a fresh target, for writes) in organization ``t``
    path: Callable[[Any], str]
    expected: dict[str, int]
    body: Callable[[], Any] | None = None
    multipart: bool = False

    @property
    def writes(self) -> bool:
        return self.method != "get"


def _fresh_member(t: Any) -> int:
    user = add_member(t.organization, Role.VIEWER, f"fresh{next(_emails)}@alpha.example")
    return int(user.memberships.get(organization=t.organization).pk)


def _fresh_invitation(t: Any) -> int:
    invitation, _ = invitation_send(
        acting_user=t.users[Role.OWNER],
        organization=t.organization,
        email=f"invitee{next(_emails)}@elsewhere.example",
        role=Role.MEMBER,
    )
    return int(invitation.pk)


def _fresh_document(t: Any) -> str:
    return str(document(t, f"d{next(_emails)}.txt", b"plain text").public_id)


def _fresh_announcement(t: Any) -> int:
    return int(
        announcement_create(
            acting_user=t.users[Role.EDITOR],
            organization=t.organization,
            title="Draft",
            body="<p>Soon</p>",
        ).pk
    )


def _org(t: Any) -> str:
    return f"/api/v1/organizations/{t.organization.slug}"


CASES = [
    Case("me", "get", lambda t: "/api/v1/me", ALL),
    Case("members", "get", lambda t: f"{_org(t)}/members", ALL),
    Case(
        "member role",
        "patch",
        lambda t: f"{_org(t)}/members/{_fresh_member(t)}",
        _only(200, *MANAGERS),
        body=lambda: {"role": "member"},
    ),
    Case(
        "member remove",
        "delete",
        lambda t: f"{_org(t)}/members/{_fresh_member(t)}",
        _only(204, *MANAGERS),
    ),
    Case("invitations", "get", lambda t: f"{_org(t)}/invitations", _only(200, *MANAGERS)),
    Case(
        "invite",
        "post",
        lambda t: f"{_org(t)}/invitations",
        _only(201, *MANAGERS),
        body=lambda: {"email": f"new{next(_emails)}@elsewhere.example", "role": "viewer"},
    ),
    Case(
        "invitation revoke",
        "delete",
        lambda t: f"{_org(t)}/invitations/{_fresh_invitation(t)}",
        _only(204, *MANAGERS),
    ),
    Case("documents", "get", lambda t: f"{_org(t)}/documents", ALL),
    Case("document", "get", lambda t: f"{_org(t)}/documents/{_fresh_document(t)}", ALL),
    Case(
        "download",
        "get",
        lambda t: f"{_org(t)}/documents/{_fresh_document(t)}/download",
        ALL,
    ),
    Case(
        "upload",
        "post",
        lambda t: f"{_org(t)}/documents",
        _only(201, *UPLOADERS),
        body=lambda: {"file": SimpleUploadedFile(f"u{next(_emails)}.txt", b"hello")},
        multipart=True,
    ),
    Case(
        "document delete",
        "delete",
        lambda t: f"{_org(t)}/documents/{_fresh_document(t)}",
        _only(204, *EDITORS),
    ),
    Case("announcements", "get", lambda t: f"{_org(t)}/announcements", ALL),
    Case(
        "announce",
        "post",
        lambda t: f"{_org(t)}/announcements",
        _only(201, *EDITORS),
        body=lambda: {"title": "Hello", "body": "<p>Hi <script>x()</script></p>"},
    ),
    Case(
        "publish",
        "post",
        lambda t: f"{_org(t)}/announcements/{_fresh_announcement(t)}/publish",
        _only(200, *EDITORS),
    ),
    Case("audit log", "get", lambda t: f"{_org(t)}/audit-log", _only(200, *MANAGERS)),
]


def call(client: Client, case: Case, path: str, **extra: Any) -> Any:
    body = case.body() if case.body else None
    if case.multipart:
        return client.post(path, body or {}, **extra)
    if body is None:
        return getattr(client, case.method)(path, **extra)
    return getattr(client, case.method)(path, body, content_type="application/json", **extra)


def _check(response: Any) -> None:
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"}


@pytest.mark.parametrize("how", ["session", "token"])
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_the_portal_would(
    org_a: Any, how: str, role: str
) -> None:
    client = Client(raise_request_exception=False)
    extra: dict[str, Any] = {}
    if how == "session":
        client.force_login(org_a.users[role])
    else:
        extra = bearer(make_token(org_a, role))
    problems = []
    for case in CASES:
        response = call(client, case, case.path(org_a), **extra)
        _check(response)
        if response.status_code != case.expected[role]:
            problems.append(
                f"{case.name}: {response.status_code} (expected {case.expected[role]}) "
                f"{response.content[:200]!r}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("how", ["session", "token", "token of a member of both"])
def test_another_organization_gets_404_and_nothing_of_it(org_a: Any, org_b: Any, how: str) -> None:
    client = Client(raise_request_exception=False)
    extra: dict[str, Any] = {}
    if how == "session":
        client.force_login(org_b.users[Role.OWNER])
    elif how == "token":
        extra = bearer(make_token(org_b, Role.OWNER))
    else:
        # An owner of A too: the token is B's, so A does not exist for it.
        person = org_b.users[Role.ADMIN]
        from organizations.services import membership_add

        membership_add(
            acting_user=None, organization=org_a.organization, user=person, role=Role.OWNER
        )
        extra = bearer(make_token(org_b, user=person))
    before = ApiToken.objects.count(), org_a.organization.memberships.count()
    for case in CASES:
        if case.name == "me":
            continue
        response = call(client, case, case.path(org_a), **extra)
        assert response.status_code == 404, (case.name, response.status_code, response.content)
        assert MARKER_A not in response.content.decode()
        assert "alpha.example" not in response.content.decode()
        _check(response)
    after = ApiToken.objects.count(), org_a.organization.memberships.count()
    assert after[1] >= before[1]  # nothing of A removed (fresh targets were only added)
    me = client.get("/api/v1/me", **extra).json()
    if how != "session":
        assert [o["slug"] for o in me["organizations"]] == ["bravo"]


@pytest.mark.parametrize("kind", ["expired", "revoked", "unknown", "malformed", "disabled"])
def test_unusable_tokens_get_401_everywhere(org_a: Any, kind: str) -> None:
    if kind == "expired":
        token = expired(org_a)
    elif kind == "revoked":
        token = make_token(org_a)
        row = ApiToken.objects.get(prefix=token.split("_")[1])
        token_revoke(acting_user=org_a.users[Role.OWNER], token=row)
    elif kind == "unknown":
        token = make_token(org_a)[:-4] + "AAAA"
    elif kind == "malformed":
        token = "not-a-token"
    else:
        token = make_token(org_a, Role.ADMIN)
        person = org_a.users[Role.ADMIN]
        person.is_active = False
        person.save()
    client = Client(raise_request_exception=False)
    for case in CASES:
        response = call(client, case, case.path(org_a), **bearer(token))
        assert response.status_code == 401, (case.name, response.status_code)
        assert response.json()["error"]["code"] in {"invalid_token", "unauthenticated"}
    for path in ("/api/v1/content/pages/", "/api/v1/content/documents/"):
        response = client.get(path, **bearer(token))
        assert response.status_code == 401
        assert set(response.json()) == {"error"}


def test_anonymous_gets_401(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    for case in CASES:
        response = call(client, case, case.path(org_a))
        assert response.status_code == 401, case.name
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_read_only_token_cannot_write(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    token = make_token(org_a, Role.OWNER, scope=Scope.READ)
    for case in CASES:
        response = call(client, case, case.path(org_a), **bearer(token))
        if case.writes:
            assert response.status_code == 403, case.name
            assert response.json()["error"]["code"] == "read_only_token"
        else:
            assert response.status_code == 200, case.name


def test_session_writes_need_the_csrf_token(org_a: Any) -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(org_a.users[Role.OWNER])
    path = f"/api/v1/organizations/{org_a.organization.slug}/announcements"
    body = {"title": "Hi", "body": "<p>x</p>"}
    refused = client.post(path, body, content_type="application/json")
    assert refused.status_code == 403
    assert set(refused.json()["error"]) == {"code", "message", "details"}
    client.get("/api/v1/me")  # no cookie is set by the API; the portal sets it
    client.get(f"/o/{org_a.organization.slug}/")
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201
    # A bearer token needs none.
    token = make_token(org_a)
    plain = Client(enforce_csrf_checks=True, raise_request_exception=False)
    assert (
        plain.post(path, body, content_type="application/json", **bearer(token)).status_code == 201
    )


def test_errors_have_one_shape_and_their_status(org_a: Any, settings: Any) -> None:
    client = Client(raise_request_exception=False)
    auth = bearer(make_token(org_a))
    org = _org(org_a)
    checks = {
        "unknown path": (client.get("/api/v1/nothing-here", **auth), 404),
        "outside v1": (client.get("/api/v2/", **auth), 404),
        "method": (client.put(f"{org}/members", **auth), 405),
        "bad json": (
            client.post(f"{org}/invitations", "{", content_type="application/json", **auth),
            400,
        ),
        "bad role": (
            client.post(
                f"{org}/invitations",
                {"email": "x@y.example", "role": "emperor"},
                content_type="application/json",
                **auth,
            ),
            400,
        ),
        "already a member": (
            client.post(
                f"{org}/invitations",
                {"email": "viewer@alpha.example", "role": "viewer"},
                content_type="application/json",
                **auth,
            ),
            409,
        ),
        "bad cursor": (client.get(f"{org}/documents?cursor=@@@", **auth), 400),
        "bad limit": (client.get(f"{org}/documents?limit=1000", **auth), 400),
        "json upload": (
            client.post(f"{org}/documents", {}, content_type="application/json", **auth),
            415,
        ),
        "unaccepted type": (
            client.post(
                f"{org}/documents",
                {"file": SimpleUploadedFile("fake.pdf", b"plain words, not a PDF")},
                **auth,
            ),
            415,
        ),
        "no file": (client.post(f"{org}/documents", {"title": "x"}, **auth), 400),
        "missing document": (
            client.get(f"{org}/documents/00000000-0000-0000-0000-000000000000", **auth),
            404,
        ),
    }
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 10
    checks["too large"] = (
        client.post(
            f"{org}/documents", {"file": SimpleUploadedFile("big.txt", b"x" * 100)}, **auth
        ),
        413,
    )
    problems = []
    for name, (response, status) in checks.items():
        if response.status_code != status:
            problems.append(f"{name}: {response.status_code} {response.content[:200]!r}")
            continue
        error = response.json()["error"]
        if set(error) != {"code", "message", "details"} or not error["message"]:
            problems.append(f"{name}: {response.content!r}")
    assert not problems, "\n".join(problems)


def test_a_server_error_is_500_in_the_shape(org_a: Any, monkeypatch: Any) -> None:
    from api.endpoints import people

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(people, "members_of", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"{_org(org_a)}/members", **bearer(make_token(org_a)))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "boom" not in response.content.decode()


def test_rate_limit_per_token_with_retry_after(org_a: Any, settings: Any) -> None:
    settings.API_RATE_LIMIT = "3/m"
    client = Client(raise_request_exception=False)
    first, second = bearer(make_token(org_a)), bearer(make_token(org_a, Role.ADMIN))
    statuses = [client.get("/api/v1/me", **first).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", **first)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert limited.json()["error"]["code"] == "rate_limited"
    # Per token: another token is not limited by the first one's calls.
    assert client.get("/api/v1/me", **second).status_code == 200
    content = client.get("/api/v1/content/pages/", **first)
    assert content.status_code == 429
    assert "Retry-After" in content
    assert content.json()["error"]["code"] == "rate_limited"


def test_last_used_is_recorded_at_most_once_a_minute(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    token = make_token(org_a)
    row = ApiToken.objects.get(prefix=token.split("_")[1])
    assert row.last_used_at is None
    client.get("/api/v1/me", **bearer(token))
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/me", **bearer(token))
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    row.refresh_from_db()
    assert row.last_used_at == first


def test_the_token_is_stored_hashed(org_a: Any) -> None:
    token = make_token(org_a)
    row = ApiToken.objects.get(prefix=token.split("_")[1])
    secret = token.split("_", 2)[2]
    assert secret not in row.secret_hash
    assert len(secret) >= 40


def test_upload_list_cursor_and_download_round_trip(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    auth = bearer(make_token(org_a, Role.MEMBER))
    org = _org(org_a)
    for number in range(5):
        made = client.post(
            f"{org}/documents",
            {"file": SimpleUploadedFile(f"n{number}.txt", f"note {number}".encode())},
            **auth,
        )
        assert made.status_code == 201, made.content
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get(f"{org}/documents?limit=2&mine=true&cursor={cursor}", **auth).json()
        seen += [item["filename"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert seen == [f"n{number}.txt" for number in reversed(range(5))]
    listed = client.get(f"{org}/documents?q=n3", **auth).json()["items"]
    assert [item["filename"] for item in listed] == ["n3.txt"]
    download = client.get(listed[0]["download_url"], **auth)
    assert download.status_code == 200
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert body == b"note 3"


def test_announcements_are_drafted_cleaned_and_published(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    auth = bearer(make_token(org_a, Role.EDITOR))
    org = _org(org_a)
    made = client.post(
        f"{org}/announcements",
        {
            "title": "Picnic",
            "body": '<p onclick="x()">Bring <b>food</b><script>evil()</script></p>',
        },
        content_type="application/json",
        **auth,
    ).json()
    assert made["live"] is False
    assert "script" not in made["body"]
    assert "onclick" not in made["body"]
    member = bearer(make_token(org_a, Role.MEMBER))
    titles = [a["title"] for a in client.get(f"{org}/announcements", **member).json()["items"]]
    assert "Picnic" not in titles
    published = client.post(f"{org}/announcements/{made['id']}/publish", **auth).json()
    assert published["live"] is True
    titles = [a["title"] for a in client.get(f"{org}/announcements", **member).json()["items"]]
    assert "Picnic" in titles
    above = client.post(
        f"{org}/announcements",
        {"title": "Board", "body": "x", "audience": "admin"},
        content_type="application/json",
        **auth,
    )
    assert above.status_code == 400


def test_audit_log_filters(org_a: Any) -> None:
    client = Client(raise_request_exception=False)
    auth = bearer(make_token(org_a, Role.ADMIN))
    org = _org(org_a)
    client.post(
        f"{org}/invitations",
        {"email": "someone@else.example", "role": "viewer"},
        content_type="application/json",
        **auth,
    )
    sent = client.get(f"{org}/audit-log?action=invitation.sent", **auth).json()["items"]
    assert [event["action"] for event in sent] == ["invitation.sent"]
    prefixed = client.get(f"{org}/audit-log?action=membership.", **auth).json()["items"]
    assert prefixed
    assert all(e["action"].startswith("membership.") for e in prefixed)
    by_actor = client.get(f"{org}/audit-log?actor=admin@alpha.example", **auth).json()["items"]
    assert by_actor
    assert all(e["actor"] == "admin@alpha.example" for e in by_actor)
    page = client.get(f"{org}/audit-log?limit=1", **auth).json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
