"""Live fragments in each reader's time zone.

A live event is rendered once, by whatever caused it (a request, in the actor's time
zone, or a Celery task, in the site's), and sent to every open socket of the
organization. The exact times it carries (the tooltips of relative times, ``<time
datetime=... data-relative title=...>``) are rewritten for each reader from the
machine-readable ``datetime``, in the zone of their profile (the site's when they chose
none), as a page render does. Rendering the event once per socket instead would cost a
template render per reader per event; this costs one rewrite per zone and fragment in a
process (cached), and nothing for fragments without times.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.utils.html import escape

from ui.templatetags.ui import exact_time

_RELATIVE_TIME = re.compile(r"<time\b[^>]*\bdata-relative\b[^>]*>")
_DATETIME = re.compile(r'\bdatetime="([^"]+)"')
_TITLE = re.compile(r'\btitle="[^"]*"')


def zone_name_for(user: object) -> str:
    """The zone a person reads times in: their profile's, else the site's."""
    from accounts.middleware import zone_of

    zone = zone_of(user)
    return zone.key if zone is not None else settings.TIME_ZONE


@lru_cache(maxsize=256)
def localize(html: str, zone_name: str) -> str:
    """``html`` with the exact time of every relative time given in ``zone_name``."""
    if "data-relative" not in html:
        return html
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return html

    def retitle(match: re.Match[str]) -> str:
        tag = match.group(0)
        found = _DATETIME.search(tag)
        if found is None:
            return tag
        try:
            moment = datetime.fromisoformat(found.group(1))
        except ValueError:
            return tag
        if moment.tzinfo is None:
            return tag
        title = f'title="{escape(exact_time(moment, zone))}"'
        return _TITLE.sub(lambda _: title, tag, count=1)

    return _RELATIVE_TIME.sub(retitle, html)
