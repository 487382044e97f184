from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dashboards.chrome import chrome_key


def portal_chrome(request: HttpRequest) -> dict[str, Any]:
    """``portal_chrome_key``: the reader's key of the portal layout's cached sidebar and
    top bar (dashboards/chrome.py), computed only by pages that draw them."""
    return {"portal_chrome_key": lambda: chrome_key(request)}
