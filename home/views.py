from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.core import ratelimit
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Page, Site

from home.sitemaps import PublicSitemap
from organizations.pages import public_pages

SEARCH_PAGE_SIZE = 10
MAX_QUERY_LENGTH = 200


def _anonymous_limit(request: HttpRequest, action: str) -> HttpResponse | None:
    """A 429 once an anonymous caller's address exceeds ``ACCOUNT_RATE_LIMITS[action]``
    (allauth's limiter: the cache, ``ALLAUTH_TRUSTED_PROXY_COUNT``)."""
    if request.user.is_authenticated:
        return None
    return ratelimit.consume_or_429(request, action=action, limit_get=True)


def search(request: HttpRequest) -> HttpResponse:
    """Public full-text search over the site's public pages (``public_pages``: the same
    pages for everyone, whatever the number of organizations). A signed-in member
    searches their current organization in the portal instead."""
    if (limited := _anonymous_limit(request, "public_search")) is not None:
        return limited
    query = request.GET.get("query", "").strip()[:MAX_QUERY_LENGTH]
    organization = getattr(request, "organization", None)
    if organization is not None and getattr(request, "membership", None) is not None:
        url = reverse("dashboards:search", kwargs={"org_slug": organization.slug})
        return HttpResponseRedirect(f"{url}?{urlencode({'query': query})}" if query else url)
    results = Page.objects.none()
    site = Site.find_for_request(request)
    if query and site is not None:
        results = public_pages(site.root_page).specific().search(query)
    paginator = Paginator(results, SEARCH_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    return TemplateResponse(
        request, "home/search.html", {"search_query": query, "search_results": page}
    )


def sitemap(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Wagtail's sitemap view over ``PublicSitemap``, rate-limited for anonymous callers."""
    if (limited := _anonymous_limit(request, "sitemap")) is not None:
        return limited
    return wagtail_sitemap(request, sitemaps={"wagtail": PublicSitemap}, **kwargs)
