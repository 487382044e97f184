"""Tenant-safe lookups for documents: one answer for missing, foreign, rejected, unreadable."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Q
from django.http import Http404

from accounts.session import SessionClaim, session_hash_pads
from organizations.access import MFA_AUTHENTICATOR_TYPES, has_mfa_expression
from organizations.context import current_request
from organizations.models import Organization
from organizations.roles import CAPABILITIES, RANK, Capability, rank
from secure_documents.models import ProcessingStatus, SecureDocument

VIEW_ROLES = [role for role, caps in CAPABILITIES.items() if Capability.VIEW in caps]
# What a download response needs (model field names).
SERVE_FIELDS = (
    "id",
    "title",
    "file",
    "file_size",
    "file_hash",
    "sha256",
    "content_type",
    "status",
    "active_content",
    "organization",
    "collection",
    "min_role",
)


@dataclass(frozen=True)
class DownloadGrant:
    document: SecureDocument
    recorded: bool  # the audit row was written by the same statement


def grant_download(
    *, user: Any, document_id: int, filename: str, record: bool
) -> DownloadGrant | None:
    """The permission check for a download and, when ``record``, its audit row: ONE SQL
    statement, or None (the caller answers 404) for a document that does not exist, is
    another organization's, was rejected, is for a higher role, or has another name.

    This is the hottest path of the portal. Through the ORM it was a three-table query
    compiled afresh on every request plus a model save for the audit row: measured on the
    small-file benchmark, compiling and saving cost more CPU than the rest of the request
    (docs/benchmarks.md, "Small files"). The statement below is built once; the check,
    the insert and the commit are one round trip. Callers pass ``record=False`` when the
    response may turn out not to be a download (a conditional or Range request, answered
    304 or 416) and record it themselves once they know.
    """
    if not getattr(user, "is_authenticated", False) or "\x00" in filename:
        # PostgreSQL text cannot hold NUL; no stored name contains one.
        return None
    # One lookup: ``django.db.connection`` resolves the thread's connection again on
    # every attribute read.
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        # The embedded SQLite default (`make run`) has no data-modifying CTEs.
        return _grant_with_orm(user=user, document_id=document_id, filename=filename, record=record)
    return _grant_in_one_statement(
        conn,
        verify_session=False,
        values={"user_id": user.pk},
        document_id=document_id,
        filename=filename,
        record=record,
    )


def grant_download_for_session(
    *, claim: SessionClaim, document_id: int, filename: str, record: bool
) -> DownloadGrant | None:
    """``grant_download`` for the user a session names, before anything loaded that user:
    the session is verified in the same statement (accounts/session.py), so a download
    costs one round trip to PostgreSQL, not two. None also when this statement cannot
    tell (SQLite, a session that does not verify with the current key): the
    caller then loads ``request.user`` and calls ``grant_download``."""
    if "\x00" in filename:
        return None
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return None
    inner, outer = session_hash_pads()
    return _grant_in_one_statement(
        conn,
        verify_session=True,
        values={
            "user_id": claim.user_id,
            "hmac_inner": inner,
            "hmac_outer": outer,
            "session_hash": claim.session_hash,
        },
        document_id=document_id,
        filename=filename,
        record=record,
    )


def _grant_in_one_statement(
    conn: Any,
    *,
    verify_session: bool,
    values: dict[str, Any],
    document_id: int,
    filename: str,
    record: bool,
) -> DownloadGrant | None:
    sql, order = _grant_statement(verify_session)
    facts = current_request.get()
    values.update(
        document_id=document_id,
        filename=filename,
        ip=facts.ip,
        request_id=facts.request_id or "",
        record=record,
    )
    row = _fetch_prepared(conn, sql, tuple(values[name] for name in order))
    if row is None:
        return None
    document = SecureDocument.from_db(conn.alias, _serve_attnames(), row[:-1])
    return DownloadGrant(document=document, recorded=bool(row[-1]))


def _fetch_prepared(conn: Any, sql: bytes, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Run ``sql`` with server-side parameter binding, so that psycopg prepares it on each
    pooled connection after a few runs (planning the statement cost PostgreSQL more CPU
    than running it). Django's own cursors bind client-side, which cannot be prepared;
    this one still goes through Django's cursor wrapper (query logging, execute
    wrappers)."""
    import psycopg

    conn.ensure_connection()
    raw = psycopg.Cursor(conn.connection)
    wrap = conn.make_debug_cursor if conn.queries_logged else conn.make_cursor
    with wrap(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _grant_with_orm(
    *, user: Any, document_id: int, filename: str, record: bool
) -> DownloadGrant | None:
    """The same check and audit row as the statement below, through the ORM."""
    from secure_documents.services import document_record_download

    document = (
        _viewable(user.pk, document_id)
        .filter(Q(organization__require_mfa=False) | Q(has_mfa=True))
        .only(*SERVE_FIELDS)
        .first()
    )
    if document is None or document.filename != filename or _below_min_role(user.pk, document):
        return None
    if record:
        document_record_download(user=user, document=document)
    return DownloadGrant(document=document, recorded=record)


def organization_requiring_mfa(*, user: Any, document_id: int) -> Organization | None:
    """For a refused download: the document's organization when the refusal is only its
    two-factor requirement (the user is a member who may view it but has not set up
    two-factor authentication), so the view can say so instead of a bare 404. None in
    every other case, so nobody else learns anything about the document."""
    if not getattr(user, "is_authenticated", False):
        return None
    document = (
        _viewable(user.pk, document_id)
        .filter(organization__require_mfa=True, has_mfa=False)
        .select_related("organization")
        .only("id", "min_role", "organization__name", "organization__slug")
        .first()
    )
    if document is None or _below_min_role(user.pk, document):
        return None
    return document.organization


def _viewable(user_id: int, document_id: int) -> Any:
    """The document, if ``user_id`` is a member of its (active) organization with a role
    that may view documents, annotated with ``has_mfa``; min_role is checked apart."""
    return (
        SecureDocument.objects.filter(
            pk=document_id,
            organization__is_active=True,
            organization__memberships__user_id=user_id,
            organization__memberships__role__in=VIEW_ROLES,
        )
        .exclude(status=ProcessingStatus.REJECTED)
        .annotate(has_mfa=has_mfa_expression(user_id))
    )


def _below_min_role(user_id: int, document: SecureDocument) -> bool:
    return bool(document.min_role) and rank(_role_of(user_id, document.organization_id)) < rank(
        document.min_role
    )


def _role_of(user_id: int, organization_id: int) -> str:
    from organizations.models import Membership

    return (
        Membership.objects.filter(user_id=user_id, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
        or ""
    )


DOWNLOAD_ACTION = "document.downloaded"
# Roles from lowest to highest: a document's min_role compares by position.
RANKED_ROLES = sorted(RANK, key=RANK.__getitem__)


def _serve_fields() -> list[Any]:
    # In concrete-field order, as Model.from_db expects for a partial row.
    wanted = {SecureDocument._meta.get_field(name).attname for name in SERVE_FIELDS}
    return [f for f in SecureDocument._meta.concrete_fields if f.attname in wanted]


@functools.cache
def _serve_attnames() -> tuple[str, ...]:
    return tuple(f.attname for f in _serve_fields())


def _literal(value: str) -> str:
    # For the code's own constants (role names, status, action) only: written into the
    # statement so that a download binds only request values, not twelve parameters
    # (converting them, arrays above all, was a fifth of the statement's client-side cost).
    if not _LITERAL_SAFE.fullmatch(value):
        raise ValueError(f"not a plain constant: {value!r}")
    return f"'{value}'"


_LITERAL_SAFE = re.compile(r"[a-z0-9_.]+")


@functools.cache
def _grant_statement(verify_session: bool) -> tuple[bytes, tuple[str, ...]]:
    """The check and the audit row as one statement, encoded once (psycopg then finds its
    converted form and its prepared name without encoding and hashing a new copy), and
    the names of its parameters in placeholder order.

    With ``verify_session`` the statement also does what loading ``request.user`` would:
    the user must be active and the session's auth hash must be the HMAC of the user's
    password hash (HMAC-SHA256 from PostgreSQL's own ``sha256``; accounts/session.py)."""
    from allauth.mfa.models import Authenticator

    from accounts.models import User
    from organizations.models import AuditEvent, Membership

    quote = connection.ops.quote_name
    columns = ", ".join(f"d.{quote(f.column)}" for f in _serve_fields())
    returned = ", ".join(f"doc.{quote(f.column)}" for f in _serve_fields())
    view_roles = ", ".join(_literal(str(role)) for role in VIEW_ROLES)
    ranked = "ARRAY[" + ", ".join(_literal(str(role)) for role in RANKED_ROLES) + "]::text[]"
    rejected = _literal(ProcessingStatus.REJECTED.value)
    mfa_types = ", ".join(_literal(kind) for kind in MFA_AUTHENTICATOR_TYPES)
    session_join = (
        f"""
            JOIN {quote(User._meta.db_table)} u
              ON u.id = m.user_id AND u.is_active
             AND encode(sha256(%(hmac_outer)s::bytea
                               || sha256(%(hmac_inner)s::bytea || convert_to(u.password, 'UTF8'))),
                        'hex') = %(session_hash)s"""
        if verify_session
        else ""
    )
    # Only quoted identifiers from model metadata and checked constants are formatted in;
    # request values are parameters.
    sql = f"""
        WITH doc AS (
            SELECT {columns}
            FROM {quote(SecureDocument._meta.db_table)} d
            JOIN {quote(Organization._meta.db_table)} o ON o.id = d.organization_id
            JOIN {quote(Membership._meta.db_table)} m
              ON m.organization_id = d.organization_id AND m.user_id = %(user_id)s{session_join}
            WHERE d.id = %(document_id)s
              AND o.is_active
              AND m.role IN ({view_roles})
              AND d.status <> {rejected}
              AND (
                d.min_role = ''
                OR coalesce(array_position({ranked}, m.role::text), 0)
                   >= coalesce(array_position({ranked}, d.min_role::text), 0)
              )
              AND (
                NOT o.require_mfa
                OR EXISTS (
                  SELECT 1 FROM {quote(Authenticator._meta.db_table)} a
                  WHERE a.user_id = %(user_id)s AND a.type IN ({mfa_types})
                )
              )
              -- os.path.basename(file) == filename: stored paths are <org>/<doc>/<name>
              AND right(d.file, char_length(%(filename)s) + 1) = '/' || %(filename)s
        ), audit AS (
            INSERT INTO {quote(AuditEvent._meta.db_table)}
                (organization_id, actor_id, action, target_type, target_id, target_repr,
                 details, ip, request_id, created_at)
            SELECT organization_id, %(user_id)s, {_literal(DOWNLOAD_ACTION)},
                   {_literal(SecureDocument._meta.label_lower)}, id::text,
                   left(title, 255), '{{}}'::jsonb, %(ip)s::inet, %(request_id)s,
                   statement_timestamp()
            FROM doc
            WHERE %(record)s
            RETURNING 1
        )
        SELECT {returned}, (SELECT count(*) FROM audit) FROM doc
    """  # noqa: S608
    # Positional placeholders: psycopg then binds a tuple, with no mapping to reorder.
    order = tuple(_PLACEHOLDER.findall(sql))
    return _PLACEHOLDER.sub("%s", sql).encode(), order


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def access_document(organization: Organization, public_id: Any) -> SecureDocument:
    """A document of ``organization`` by its public id (portal screens), else 404."""
    document = (
        SecureDocument.objects.filter(organization=organization, public_id=public_id)
        .select_related("organization", "uploaded_by_user")
        .first()
    )
    if document is None:
        raise Http404
    return document
