from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_served(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert response.status_code == 200
    assert b"Org Portal" in response.content


def test_wagtail_admin_login_is_served(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/admin/login/").status_code == 200


def test_django_admin_login_is_served(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/django-admin/login/").status_code == 200


def test_admin_requires_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/admin/")
    assert response.status_code == 302


def test_robots_txt(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"Disallow: /admin/" in response.content
    assert b"Sitemap: http://testserver/sitemap.xml" in response.content


def test_sitemap_lists_the_home_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert b"<urlset" in response.content


def test_search_finds_the_home_page(client) -> None:  # type: ignore[no-untyped-def]
    from wagtail.models import Page

    for page in Page.objects.live().specific():
        page.save_revision().publish()  # index the migration-created page
    response = client.get("/search/", {"query": "Org Portal"})
    assert response.status_code == 200


def test_search_handles_bad_page_numbers(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/search/", {"query": "x", "page": "abc"}).status_code == 200
    assert client.get("/search/", {"query": "x", "page": "9999"}).status_code == 200


def test_anonymous_search_and_sitemap_are_rate_limited(client, settings, user) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "public_search": "2/m/ip",
        "sitemap": "1/m/ip",
    }
    assert client.get("/search/", {"query": "x"}).status_code == 200
    assert client.get("/search/", {"query": "x"}).status_code == 200
    assert client.get("/search/", {"query": "x"}).status_code == 429
    assert client.get("/sitemap.xml").status_code == 200
    assert client.get("/sitemap.xml").status_code == 429
    client.force_login(user)  # signed-in people are not counted
    assert client.get("/search/", {"query": "x"}).status_code == 200
    assert client.get("/sitemap.xml").status_code == 200
