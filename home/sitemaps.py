"""The sitemap: Wagtail's, over the public pages found by ``public_pages``."""

from __future__ import annotations

from typing import Any

from wagtail.contrib.sitemaps import Sitemap

from organizations.pages import public_pages


class PublicSitemap(Sitemap):
    """Wagtail's sitemap without ``Page.objects.public()`` (one ``path LIKE`` per view
    restriction, so one per members-only organization): its cost follows the public
    content, not the number of organizations."""

    def items(self) -> Any:
        return (
            public_pages(self.get_wagtail_site().root_page)
            .order_by("path")
            .defer_streamfields()
            .specific()
        )
