"""The serve view: members only, safe headers, ranges, conditional requests, audit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import AuditEvent, Organization
from organizations.roles import Role
from secure_documents.models import ProcessingStatus, SecureDocument
from tests.secure_documents.conftest import make_document
from tests.secure_documents.files import PDF
from tests.secure_documents.helpers import read_body
from tests.tenants import MARKER_A

pytestmark = pytest.mark.django_db
BODY = b"Alpha secret ZEBRA-ALPHA-7731 " * 100


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.MEMBER, Role.VIEWER])
def test_every_member_role_downloads(client, org_a, doc_a, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    response = client.get(doc_a.url)
    assert response.status_code == 200
    assert read_body(response) == BODY
    assert response["Content-Length"] == str(len(BODY))


def test_security_headers(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(doc_a.url)
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-report.txt"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"].startswith("private")
    assert response["ETag"] == f'"{doc_a.sha256}-{len(BODY)}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "text/plain"


def test_clean_pdf_is_inline_everything_else_attachment(client, org_a) -> None:  # type: ignore[no-untyped-def]
    pdf = make_document(org_a, "clean.pdf", PDF)
    pending = make_document(org_a, "pending.pdf", PDF, status=ProcessingStatus.PENDING)
    client.force_login(org_a.users[Role.MEMBER])
    assert client.get(pdf.url)["Content-Disposition"].startswith("inline")
    assert client.get(pending.url)["Content-Disposition"].startswith("attachment")


def _probes(url: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("get", {}),
        ("head", {}),
        ("get", {"Range": "bytes=0-9"}),
        ("get", {"Range": "bytes=99999999-"}),
        ("get", {"If-None-Match": "*"}),
        ("get", {"If-None-Match": '"anything"'}),
    ]


def _assert_same_404(client, url: str, reference_url: str) -> None:  # type: ignore[no-untyped-def]
    for method, headers in _probes(url):
        response = getattr(client, method)(url, headers=headers)
        missing = getattr(client, method)(reference_url, headers=headers)
        assert response.status_code == missing.status_code == 404, (method, headers)
        body = read_body(response)
        assert MARKER_A.encode() not in body
        assert "ETag" not in response
        assert "Content-Range" not in response


def test_other_organization_gets_the_same_404_as_a_missing_document(
    client, org_a, org_b, doc_a
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_b.users[Role.OWNER])
    _assert_same_404(client, doc_a.url, f"/documents/{doc_a.pk + 1000}/alpha-report.txt")


def test_anonymous_gets_404(client, doc_a) -> None:  # type: ignore[no-untyped-def]
    _assert_same_404(client, doc_a.url, f"/documents/{doc_a.pk + 1000}/alpha-report.txt")


def test_wrong_filename_is_404(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    assert client.get(f"/documents/{doc_a.pk}/other.txt").status_code == 404
    # A NUL byte cannot even be sent to PostgreSQL: still the same 404, never a 500.
    for name in ("alpha-report.txt%00", "alpha%00-report.txt"):
        assert client.get(f"/documents/{doc_a.pk}/{name}").status_code == 404
        ranged = client.get(f"/documents/{doc_a.pk}/{name}", headers={"Range": "bytes=0-1"})
        assert ranged.status_code == 404


def test_rejected_documents_are_never_served(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    SecureDocument.objects.filter(pk=doc_a.pk).update(status=ProcessingStatus.REJECTED)
    client.force_login(org_a.users[Role.OWNER])
    assert client.get(doc_a.url).status_code == 404
    assert client.head(doc_a.url).status_code == 404


def test_suspended_organization_is_404(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=org_a.organization.pk).update(is_active=False)
    client.force_login(org_a.users[Role.OWNER])
    assert client.get(doc_a.url).status_code == 404


def test_head_has_headers_and_no_body(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.head(doc_a.url)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(BODY))
    assert read_body(response) == b""


@pytest.mark.parametrize(
    ("header", "status", "expected", "content_range"),
    [
        ("bytes=0-9", 206, BODY[:10], f"bytes 0-9/{len(BODY)}"),
        ("bytes=10-", 206, BODY[10:], f"bytes 10-{len(BODY) - 1}/{len(BODY)}"),
        ("bytes=-5", 206, BODY[-5:], f"bytes {len(BODY) - 5}-{len(BODY) - 1}/{len(BODY)}"),
        ("bytes=0-999999", 206, BODY, f"bytes 0-{len(BODY) - 1}/{len(BODY)}"),
        ("bytes=0-1,5-6", 200, BODY, None),
        ("items=0-1", 200, BODY, None),
        (f"bytes={len(BODY)}-", 416, b"", f"bytes */{len(BODY)}"),
        ("bytes=9-3", 416, b"", f"bytes */{len(BODY)}"),
    ],
)
def test_single_ranges(client, org_a, doc_a, header, status, expected, content_range) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(doc_a.url, headers={"Range": header})
    assert response.status_code == status
    assert read_body(response) == expected
    assert response.get("Content-Range") == content_range


def test_if_range_with_a_stale_etag_sends_everything(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    fresh = client.get(doc_a.url, headers={"Range": "bytes=0-9", "If-Range": doc_a.etag})
    stale = client.get(doc_a.url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert fresh.status_code == 206
    assert stale.status_code == 200


def test_etag_revalidation_for_members(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(doc_a.url, headers={"If-None-Match": doc_a.etag})
    assert response.status_code == 304


def test_every_download_is_audited(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    client.get(doc_a.url)
    client.get(doc_a.url, headers={"Range": "bytes=0-9"})
    events = AuditEvent.objects.filter(action="document.downloaded", target_id=str(doc_a.pk))
    assert events.count() == 2
    assert {e.actor_id for e in events} == {org_a.users[Role.MEMBER].pk}
    assert {e.organization_id for e in events} == {org_a.organization.pk}
    assert {tuple(sorted(e.details)) for e in events} == {(), ("range",)}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # The document with the access rule's facts, then the audit row (the signed-in
        # user comes from the cache: accounts/backends.py).
        ({}, 2),
        ({"Range": "bytes=0-9"}, 2),
        ({"If-None-Match": '"stale"'}, 2),
    ],
)
def test_a_download_takes_at_most_two_queries(client, org_a, doc_a, headers, expected) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    client.get(doc_a.url)  # warm the session cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(doc_a.url, headers=headers)
        read_body(response)
    assert response.status_code in {200, 206}
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == expected <= 2, [sql[:150] for sql in statements]


def test_both_audit_paths_write_the_same_row(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    """A plain GET is audited by the check's own SQL statement, a Range request through
    the ORM service: the rows must not differ except in the range."""
    client.force_login(org_a.users[Role.MEMBER])
    headers = {"X-Request-ID": "audit-path-check"}
    client.get(doc_a.url, headers=headers, REMOTE_ADDR="203.0.113.9")
    client.get(doc_a.url, headers={**headers, "Range": "bytes=0-9"}, REMOTE_ADDR="203.0.113.9")
    fields = (
        "organization_id",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "ip",
        "request_id",
    )
    downloads = AuditEvent.objects.filter(action="document.downloaded", target_id=str(doc_a.pk))
    plain, ranged = downloads.order_by("pk")
    assert [getattr(plain, f) for f in fields] == [getattr(ranged, f) for f in fields]
    assert plain.target_type == "secure_documents.securedocument"
    assert plain.target_repr == doc_a.title
    assert plain.ip == "203.0.113.9"
    assert plain.details == {}
    assert ranged.details == {"range": "0-9"}
    assert plain.created_at <= ranged.created_at


def test_refused_downloads_write_no_audit_row(client, org_a, org_b, doc_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    assert client.get(f"/documents/{doc_a.pk}/other.txt").status_code == 404
    assert client.get(doc_a.url, headers={"If-None-Match": doc_a.etag}).status_code == 304
    assert client.get(doc_a.url, headers={"Range": "bytes=999999-"}).status_code == 416
    client.force_login(org_b.users[Role.OWNER])
    assert client.get(doc_a.url).status_code == 404
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.VIEWER, 404), (Role.MEMBER, 404), (Role.ADMIN, 200), (Role.OWNER, 200)],
)
def test_documents_for_a_higher_role_are_404_below_it(client, org_a, doc_a, role, status) -> None:  # type: ignore[no-untyped-def]
    SecureDocument.objects.filter(pk=doc_a.pk).update(min_role=Role.ADMIN)
    client.force_login(org_a.users[role])
    for headers in ({}, {"Range": "bytes=0-9"}):
        response = client.get(doc_a.url, headers=headers)
        assert response.status_code in ({200, 206} if status == 200 else {404})
        if status == 404:
            assert MARKER_A.encode() not in read_body(response)


def test_accel_mode_hands_the_transfer_to_nginx(client, org_a, doc_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_SERVE_MODE = "accel"
    client.force_login(org_a.users[Role.MEMBER])
    response = client.get(doc_a.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected/{doc_a.file.name}"
    assert response["Content-Disposition"].startswith("attachment")
    assert read_body(response) == b""
    client.force_login(org_a.users[Role.MEMBER])
    other = client.get(f"/documents/{doc_a.pk + 99}/x.txt")
    assert other.status_code == 404
    assert "X-Accel-Redirect" not in other


def test_a_document_whose_file_is_gone_is_404_not_500(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    doc_a.file.storage.delete(doc_a.file.name)
    client.force_login(org_a.users[Role.MEMBER])
    for headers in ({}, {"Range": "bytes=0-9"}):
        response = client.get(doc_a.url, headers=headers)
        assert response.status_code == 404


def test_an_organization_requiring_mfa_serves_only_members_who_set_it_up(  # type: ignore[no-untyped-def]
    client, org_a, org_b, doc_a
) -> None:
    from allauth.mfa.models import Authenticator

    Organization.objects.filter(pk=org_a.organization.pk).update(require_mfa=True)
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    for method, headers in (("get", {}), ("get", {"Range": "bytes=0-9"}), ("head", {})):
        response = getattr(client, method)(doc_a.url, headers=headers)
        assert response.status_code == 302, (method, headers)
        assert response["Location"].startswith("/accounts/2fa/totp/activate")
        assert "next=%2Fdocuments%2F" in response["Location"]
        assert MARKER_A.encode() not in read_body(response)
    # Recovery codes alone are not a second factor.
    Authenticator.objects.create(user=member, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert client.get(doc_a.url).status_code == 302
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    response = client.get(doc_a.url)
    assert response.status_code == 200
    assert read_body(response) == BODY
    # Nobody outside the organization learns of the requirement: still the plain 404.
    client.force_login(org_b.users[Role.OWNER])
    assert client.get(doc_a.url).status_code == 404
    # Nor a member below the document's role.
    SecureDocument.objects.filter(pk=doc_a.pk).update(min_role=Role.ADMIN)
    client.force_login(org_a.users[Role.VIEWER])
    assert client.get(doc_a.url).status_code == 404


def _downloads() -> int:
    return AuditEvent.objects.filter(action="document.downloaded").count()


def test_a_session_that_no_longer_verifies_gets_the_404_and_no_audit_row(  # type: ignore[no-untyped-def]
    client, org_a, doc_a
) -> None:
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    assert client.get(doc_a.url).status_code == 200
    # A password changed elsewhere: this session's auth hash no longer matches.
    member.set_password("a-new-password-for-this-test")
    member.save()
    for headers in ({}, {"Range": "bytes=0-9"}):
        response = client.get(doc_a.url, headers=headers)
        assert response.status_code == 404
        assert MARKER_A.encode() not in read_body(response)
    assert _downloads() == 1
    # Django's own check ran on the way to the 404: the session is signed out.
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_gets_the_404(client, org_a, doc_a) -> None:  # type: ignore[no-untyped-def]
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    assert client.get(doc_a.url).status_code == 404
    assert _downloads() == 0


def test_a_session_signed_with_a_fallback_key_is_verified_by_django_then_rotated(  # type: ignore[no-untyped-def]
    client, org_a, doc_a, settings
) -> None:
    client.force_login(org_a.users[Role.MEMBER])
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test-" + "x" * 20
    # Django's check accepts the fallback and re-signs the session...
    assert client.get(doc_a.url).status_code == 200
    # ...after which a download is the usual two queries.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(doc_a.url)
        read_body(response)
    assert response.status_code == 200
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 2
    assert _downloads() == 2
