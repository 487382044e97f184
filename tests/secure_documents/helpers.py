from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync


def read_body(response: Any) -> bytes:
    """The body of a normal, sync-streaming or async-streaming response."""
    if not getattr(response, "streaming", False):
        return bytes(response.content)
    content = response.streaming_content
    if hasattr(content, "__aiter__"):

        async def collect() -> bytes:
            return b"".join([chunk async for chunk in content])

        return async_to_sync(collect)()
    return b"".join(content)
