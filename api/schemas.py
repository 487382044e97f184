"""The API's request and response bodies (pydantic, through ninja), which the OpenAPI
schema is generated from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, Field


def _as_utc(value: datetime) -> datetime:
    """Any valid offset (RFC 3339 allows up to 23:59) as UTC, which the database takes;
    a naive time is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("The time is out of range.") from exc


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
# An opaque cursor from a previous page (base64url).
Cursor = Annotated[str, Field(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")]

RoleName = Literal["owner", "admin", "editor", "member", "viewer"]
AudienceName = Literal["", "owner", "admin", "editor", "member", "viewer"]


class ErrorDetail(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    error: ErrorDetail


class OrganizationOut(Schema):
    slug: str
    name: str
    role: RoleName
    is_active: bool


class TokenInfoOut(Schema):
    name: str
    prefix: str
    scope: Literal["read", "write"]
    organization: str
    expires_at: datetime | None


class MeOut(Schema):
    id: int
    email: str
    name: str
    organizations: list[OrganizationOut]
    token: TokenInfoOut | None


class PersonOut(Schema):
    id: int
    email: str
    name: str


class MemberOut(Schema):
    id: int
    user: PersonOut
    role: RoleName
    joined_at: datetime


class MemberListOut(Schema):
    items: list[MemberOut]


class RoleIn(Schema):
    role: RoleName


class InvitationOut(Schema):
    id: int
    email: str
    role: RoleName
    status: str
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class InvitationListOut(Schema):
    items: list[InvitationOut]


# An address Django's EmailValidator accepts (the invitation service checks with it), as a
# pattern clients and schema-driven tools can read.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class InvitationIn(Schema):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, json_schema_extra={"format": "email"})
    role: RoleName = "member"


class DocumentOut(Schema):
    id: UUID
    title: str
    filename: str
    size: int | None
    content_type: str
    status: Literal["pending", "clean", "rejected", "failed"]
    status_label: str
    scanned: bool
    audience: AudienceName
    uploaded_by: str | None
    created_at: datetime
    download_url: str


class DocumentPageOut(Schema):
    items: list[DocumentOut]
    next_cursor: str | None


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    audience: AudienceName
    live: bool
    has_unpublished_changes: bool
    starts_at: datetime | None
    ends_at: datetime | None
    created_at: datetime


class AnnouncementListOut(Schema):
    items: list[AnnouncementOut]


class AnnouncementIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(max_length=20000)
    audience: AudienceName = ""
    starts_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None


class AuditEventOut(Schema):
    id: int
    action: str
    actor: str | None
    target_type: str
    target_id: str
    target: str
    details: dict[str, Any]
    request_id: str
    created_at: datetime


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None
