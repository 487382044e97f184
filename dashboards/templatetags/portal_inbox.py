"""The notification bell of the portal's top bar (dashboards.notifications)."""

from __future__ import annotations

from typing import Any

from django import template

from dashboards.notifications import inbox

register = template.Library()


@register.inclusion_tag("dashboards/notification_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"request": request, "csrf_token": context.get("csrf_token"), **inbox(user)}
