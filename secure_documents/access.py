"""Tenant-safe lookups for documents: one answer for missing, foreign, rejected, unreadable."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.http import Http404
from django.utils import timezone

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
    if not _single_statement_supported():
        return _grant_with_orm(user=user, document_id=document_id, filename=filename, record=record)
    facts = current_request.get()
    row = _fetch_prepared(
        _grant_sql(),
        {
            "document_id": document_id,
            "user_id": user.pk,
            "filename": filename,
            "view_roles": [str(role) for role in VIEW_ROLES],
            "ranked": [str(role) for role in RANKED_ROLES],
            "rejected": ProcessingStatus.REJECTED.value,
            "record": record,
            "action": DOWNLOAD_ACTION,
            "target_type": SecureDocument._meta.label_lower,
            "ip": facts.ip,
            "request_id": facts.request_id or "",
            "now": timezone.now(),
        },
    )
    if row is None:
        return None
    document = SecureDocument.from_db(connection.alias, _serve_attnames(), row[:-1])
    return DownloadGrant(document=document, recorded=bool(row[-1]))


def _single_statement_supported() -> bool:
    # The embedded SQLite default (`make run`) has no data-modifying CTEs.
    return connection.vendor == "postgresql"


def _fetch_prepared(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run ``sql`` with server-side parameter binding, so that psycopg prepares it on each
    pooled connection after a few runs (planning the statement cost PostgreSQL more CPU
    than running it). Django's own cursors bind client-side, which cannot be prepared;
    this one still goes through Django's cursor wrapper (query logging, execute
    wrappers)."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _grant_with_orm(
    *, user: Any, document_id: int, filename: str, record: bool
) -> DownloadGrant | None:
    """The same check and audit row as the statement below, through the ORM."""
    from secure_documents.services import document_record_download

    document = (
        SecureDocument.objects.filter(
            pk=document_id,
            organization__is_active=True,
            organization__memberships__user_id=user.pk,
            organization__memberships__role__in=VIEW_ROLES,
        )
        .exclude(status=ProcessingStatus.REJECTED)
        .only(*SERVE_FIELDS)
        .first()
    )
    if document is None or document.filename != filename:
        return None
    if document.min_role and rank(_role_of(user.pk, document.organization_id)) < rank(
        document.min_role
    ):
        return None
    if record:
        document_record_download(user=user, document=document)
    return DownloadGrant(document=document, recorded=record)


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


@functools.cache
def _grant_sql() -> str:
    from organizations.models import AuditEvent, Membership

    quote = connection.ops.quote_name
    columns = ", ".join(f"d.{quote(f.column)}" for f in _serve_fields())
    returned = ", ".join(f"doc.{quote(f.column)}" for f in _serve_fields())
    # Only quoted identifiers from model metadata are formatted in; values are parameters.
    return f"""
        WITH doc AS (
            SELECT {columns}
            FROM {quote(SecureDocument._meta.db_table)} d
            JOIN {quote(Organization._meta.db_table)} o ON o.id = d.organization_id
            JOIN {quote(Membership._meta.db_table)} m
              ON m.organization_id = d.organization_id AND m.user_id = %(user_id)s
            WHERE d.id = %(document_id)s
              AND o.is_active
              AND m.role = ANY(%(view_roles)s)
              AND d.status <> %(rejected)s
              AND (
                d.min_role = ''
                OR coalesce(array_position(%(ranked)s, m.role::text), 0)
                   >= coalesce(array_position(%(ranked)s, d.min_role::text), 0)
              )
              -- os.path.basename(file) == filename: stored paths are <org>/<doc>/<name>
              AND right(d.file, char_length(%(filename)s) + 1) = '/' || %(filename)s
        ), audit AS (
            INSERT INTO {quote(AuditEvent._meta.db_table)}
                (organization_id, actor_id, action, target_type, target_id, target_repr,
                 details, ip, request_id, created_at)
            SELECT organization_id, %(user_id)s, %(action)s, %(target_type)s, id::text,
                   left(title, 255), '{{}}'::jsonb, %(ip)s::inet, %(request_id)s, %(now)s
            FROM doc
            WHERE %(record)s
            RETURNING 1
        )
        SELECT {returned}, (SELECT count(*) FROM audit) FROM doc
    """  # noqa: S608


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
