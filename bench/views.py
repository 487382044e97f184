"""Framework-floor views: authentication and a fixed body, nothing else."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

SMALL_SIZE = 50 * 1024
PAYLOAD = b"floor " * (SMALL_SIZE // 6) + b"x" * (SMALL_SIZE % 6)


async def floor_async(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        raise Http404
    return HttpResponse(PAYLOAD, content_type="text/plain")


def floor_sync(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    return HttpResponse(PAYLOAD, content_type="text/plain")


async def floor_async_in_organization(request: HttpRequest, org_slug: str) -> HttpResponse:
    return await floor_async(request)
