"""One error shape for everything under ``/api/``: ``{"error": {"code", "message",
"details"}}``, with the status code that says what went wrong."""

from __future__ import annotations

import json
from typing import Any

from django.http import JsonResponse

STATUS_CODES: dict[int, str] = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
    507: "storage_unavailable",
}
STATUS_MESSAGES: dict[int, str] = {
    400: "The request is not valid.",
    401: "Authentication is required: a valid API token or a signed-in session.",
    403: "You may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "This conflicts with the current state.",
    413: "The request is too large.",
    415: "This media type is not supported here.",
    429: "Too many requests.",
    500: "Something went wrong on our side.",
    503: "The service is unavailable at the moment.",
}


class ApiError(Exception):
    """Raised by endpoints; rendered by the API's exception handler."""

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        code: str = "",
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or STATUS_MESSAGES.get(status, "Error.")
        self.code = code or STATUS_CODES.get(status, "error")
        self.details = details
        self.headers = headers or {}


def error_body(
    status: int, message: str = "", *, code: str = "", details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or STATUS_CODES.get(status, "error"),
            "message": message or STATUS_MESSAGES.get(status, "Error."),
            "details": details if details is not None else {},
        }
    }


def error_response(
    status: int,
    message: str = "",
    *,
    code: str = "",
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(error_body(status, message, code=code, details=details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def is_error_shape(content: bytes) -> bool:
    try:
        data = json.loads(content)
    except ValueError:
        return False
    return (
        isinstance(data, dict)
        and set(data) == {"error"}
        and isinstance(data["error"], dict)
        and {"code", "message", "details"} <= set(data["error"])
    )


def message_from(content: bytes) -> str:
    """A readable message from another library's JSON error (Wagtail's API answers
    ``{"message": ...}``, DRF ``{"detail": ...}``)."""
    try:
        data = json.loads(content)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("message", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return ""
