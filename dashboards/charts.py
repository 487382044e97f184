"""The overview's chart: uploads, activity and storage over the last days, drawn on the
server as inline SVG. Its colours are the theme's (CSS custom properties on the SVG's
classes, static/css/components.css), so it follows light and dark like everything else;
no chart library, no script. Days are the reader's (their time zone).

Which events count is the access rule's role ceiling, as for the feed. Storage is what
the organization stores now, by the day each file arrived (deleted files are gone from
the history too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from dashboards.selectors import ACTIVITY_ACTIONS
from organizations.access import ceilings_within
from organizations.models import AuditEvent

DAYS = 30
WIDTH, HEIGHT = 600, 130
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 8, 8, 10, 2


@dataclass(frozen=True)
class Day:
    day: date
    uploads: int
    activity: int
    storage: int


@dataclass(frozen=True)
class Chart:
    days: list[Day]
    bars: list[dict[str, float]]  # x, y, width, height of each day's uploads
    activity_points: str  # the activity line's points
    storage_path: str  # the storage area's path
    max_count: int
    max_storage: int
    total_uploads: int
    total_activity: int
    labels: list[dict[str, Any]]  # x and text of the date labels under the axis

    @property
    def storage_now(self) -> int:
        return self.days[-1].storage

    @property
    def summary(self) -> str:
        first, last = self.days[0].day, self.days[-1].day
        return (
            f"From {first:%d %b} to {last:%d %b}: {self.total_uploads} "
            f"upload{'s' if self.total_uploads != 1 else ''} and {self.total_activity} "
            f"event{'s' if self.total_activity != 1 else ''}; storage went from "
            f"{self.days[0].storage} to {self.days[-1].storage} bytes."
        )


def series(organization_id: int, role: str, days: int = DAYS) -> list[Day]:
    """One row per day, oldest first, ending today in the reader's time zone (three
    queries whatever the number of events or files)."""
    from secure_documents.models import SecureDocument

    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    events = (
        AuditEvent.objects.filter(
            organization_id=organization_id,
            created_at__gte=start,
            action__in=ACTIVITY_ACTIONS,
            min_role__in=ceilings_within(role),
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action")
        .annotate(n=Count("id"))
    )
    uploads: dict[date, int] = {}
    activity: dict[date, int] = {}
    for row in events:
        activity[row["day"]] = activity.get(row["day"], 0) + row["n"]
        if row["action"] == "document.uploaded":
            uploads[row["day"]] = uploads.get(row["day"], 0) + row["n"]
    documents = SecureDocument.objects.filter(organization_id=organization_id)
    before = documents.filter(created_at__lt=start).aggregate(total=Sum("file_size"))["total"]
    added = dict(
        documents.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("file_size"))
        .values_list("day", "total")
    )
    stored = int(before or 0)
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        stored += int(added.get(day) or 0)
        rows.append(Day(day, uploads.get(day, 0), activity.get(day, 0), stored))
    return rows


def _x(index: int, count: int) -> float:
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + inner * (index + 0.5) / count


def _y(value: float, top: float) -> float:
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM
    return HEIGHT - PAD_BOTTOM - (inner * value / top if top else 0)


def chart(organization_id: int, role: str, days: int = DAYS) -> Chart:
    rows = series(organization_id, role, days)
    count = len(rows)
    max_count = max([1, *(max(day.uploads, day.activity) for day in rows)])
    max_storage = max([1, *(day.storage for day in rows)])
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / count
    bars = []
    for index, day in enumerate(rows):
        if day.uploads:
            y = _y(day.uploads, max_count)
            bars.append(
                {
                    "x": round(_x(index, count) - slot * 0.3, 1),
                    "y": round(y, 1),
                    "width": round(slot * 0.6, 1),
                    "height": round(HEIGHT - PAD_BOTTOM - y, 1),
                }
            )
    points = " ".join(
        f"{_x(i, count):.1f},{_y(day.activity, max_count):.1f}" for i, day in enumerate(rows)
    )
    line = " ".join(
        f"L{_x(i, count):.1f},{_y(day.storage, max_storage):.1f}" for i, day in enumerate(rows)
    )
    base = HEIGHT - PAD_BOTTOM
    storage_path = f"M{_x(0, count):.1f},{base} {line} L{_x(count - 1, count):.1f},{base} Z"
    labels = [
        {"x": round(_x(i, count), 1), "text": f"{rows[i].day:%d %b}"}
        for i in (0, count // 2, count - 1)
    ]
    return Chart(
        days=rows,
        bars=bars,
        activity_points=points,
        storage_path=storage_path,
        max_count=max_count,
        max_storage=max_storage,
        total_uploads=sum(day.uploads for day in rows),
        total_activity=sum(day.activity for day in rows),
        labels=labels,
    )
