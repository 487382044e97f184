"""The API's request and response bodies (pydantic, through ninja), which the OpenAPI
schema is generated from."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

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


class InvitationIn(Schema):
    email: str = Field(max_length=254)
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
    starts_at: datetime | None = None
    ends_at: datetime | None = None


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
