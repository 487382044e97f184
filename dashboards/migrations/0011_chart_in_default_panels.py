"""Add the chart to organization pages whose panels are still the earlier default.

The portal overview now shows its organization page's panels, and the default gained
the chart (after the figures), which the fixed overview used to show. Pages whose
editors changed their panels in any way (order, titles, panels added or removed) keep
them as they are: the chart is theirs to add. The published content (the page row) and
its latest and live revisions are updated alike, so the next edit starts from the
panels that are shown.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import migrations

EARLIER_DEFAULT = ["announcements", "quick_links", "metrics", "documents", "activity", "members_online"]


def _untouched(raw: list[dict[str, Any]]) -> bool:
    return [block.get("type") for block in raw] == EARLIER_DEFAULT and not any(
        (block.get("value") or {}).get("title") for block in raw
    )


def _with_chart(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for block in raw:
        panels.append(block)
        if block.get("type") == "metrics":
            panels.append({"type": "chart", "value": {"title": ""}, "id": str(uuid.uuid4())})
    return panels


def _revision_panels(revision: Any) -> list[dict[str, Any]] | None:
    panels = (revision.content or {}).get("panels")
    if isinstance(panels, str):
        try:
            panels = json.loads(panels)
        except ValueError:
            return None
    return panels if isinstance(panels, list) else None


def add_chart(apps: Any, schema_editor: Any) -> None:
    OrganizationPage = apps.get_model("dashboards", "OrganizationPage")
    Revision = apps.get_model("wagtailcore", "Revision")
    for page in OrganizationPage.objects.all():
        raw = [dict(block) for block in page.panels.raw_data]
        if _untouched(raw):
            page.panels = _with_chart(raw)
            page.save(update_fields=["panels"])
        revision_ids = {page.latest_revision_id, page.live_revision_id} - {None}
        for revision in Revision.objects.filter(pk__in=revision_ids):
            panels = _revision_panels(revision)
            if panels is not None and _untouched(panels):
                stored = revision.content["panels"]
                updated = _with_chart(panels)
                revision.content["panels"] = (
                    json.dumps(updated) if isinstance(stored, str) else updated
                )
                revision.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0010_panels_chart"),
        ("wagtailcore", "0098_apitoken"),
    ]

    # Going back leaves the chart in place: the earlier code renders it as any panel it
    # does not know (nothing), and editors may have kept it on purpose.
    operations = [migrations.RunPython(add_chart, migrations.RunPython.noop)]
