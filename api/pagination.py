"""Cursor pagination over ``(-created_at, -pk)``: stable while rows are added, one query
per page whatever its depth (no OFFSET)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from api.errors import ApiError

MAX_LIMIT = 100


def encode(row: Any) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        return datetime.fromisoformat(created), int(pk)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "The cursor is not valid.", details={"cursor": cursor[:100]}) from exc


def page(queryset: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    rows = queryset.order_by("-created_at", "-pk")
    if cursor:
        created, pk = decode(cursor)
        rows = rows.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, (encode(found[-1]) if more and found else None)
