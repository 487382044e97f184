"""Pages, rich text and the admin show images through the serve view, and a page's HTML
costs no query per image."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from home.models import ContentPage
from organizations.roles import Role
from tests.secure_images.helpers import make_image
from tests.secure_images.test_serving import get, publish_site

pytestmark = pytest.mark.django_db

IMAGE_URL = re.compile(r'(?:src|srcset)="(/images/[0-9a-f-]{36}/r/[^" ]+)')


def image_page(tenant: Any, count: int, slug: str) -> ContentPage:
    images = [make_image(tenant, f"pic-{slug}-{n}.png", title=f"Picture {n}") for n in range(count)]
    # Image blocks are loaded in one query (StreamField's bulk_to_python) and a rich text
    # value's embeds in one query (expand_db_attributes_many): one per rich text block.
    body: list[Any] = [
        ("image", {"image": image, "caption": f"Caption {image.pk}"}) for image in images
    ]
    embeds = "".join(
        f'<embed embedtype="image" id="{image.pk}" format="left" alt="x"/>' for image in images
    )
    body.append(("paragraph", f"<p>Text</p>{embeds}"))
    root = tenant.organization.root_page
    page = root.add_child(instance=ContentPage(title=f"Gallery {slug}", slug=slug, body=body))
    page.save_revision().publish()
    return page


def queries_for(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_public_page_costs_no_query_per_image(client, org_a) -> None:  # type: ignore[no-untyped-def]
    publish_site(org_a.organization)
    few_page = image_page(org_a, 2, "few")
    many_page = image_page(org_a, 12, "many")
    # Renditions are generated once, on the first view; per-process caches (site root
    # paths, content types) fill on the first requests too.
    for _ in range(2):
        for page in (few_page, many_page):
            assert client.get(page.url).status_code == 200
    few, few_html = queries_for(client, few_page.url)
    many, many_html = queries_for(client, many_page.url)
    assert len(set(IMAGE_URL.findall(few_html))) == 4  # block + rich text embed per image
    assert len(set(IMAGE_URL.findall(many_html))) == 24
    assert few == many, (few, many)
    # Every image on the page is served to the page's public.
    for url in set(IMAGE_URL.findall(many_html)):
        assert client.get(url).status_code == 200


def test_members_only_page_images_are_private(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    page = image_page(org_a, 1, "private")
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    html = client.get(page.url).content.decode()
    urls = set(IMAGE_URL.findall(html))
    assert len(urls) == 2
    for url in urls:
        assert get(client, url, member)["Cache-Control"].startswith("private")
        assert get(client, url).status_code == 404
        assert get(client, url, org_b.users[Role.OWNER]).status_code == 404


def test_picture_and_srcset_use_the_serve_view(org_a) -> None:  # type: ignore[no-untyped-def]
    image = make_image(org_a, "wide.png")
    html = Template(
        "{% load wagtailimages_tags %}"
        '{% picture img format-{avif,webp,png} width-{10,20} sizes="10vw" %}'
        '{% srcset_image img width-{10,20} sizes="10vw" %}'
    ).render(Context({"img": image}))
    urls = re.findall(r"/images/[^\s\"]+", html)
    assert len(urls) >= 8
    assert all(url.startswith(f"/images/{image.public_id}/r/") for url in urls)
    assert "/media/" not in html


def test_admin_thumbnails_and_choosers_use_the_serve_view(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    image = make_image(org_a, "thumb.png")
    editor = org_a.users[Role.EDITOR]
    client.force_login(editor)
    pages = [
        client.get("/admin/images/").content.decode(),
        client.get("/admin/images/chooser/").content.decode(),
        client.get(f"/admin/images/{image.pk}/").content.decode(),
    ]
    for html in pages:
        assert "/media/" not in html
        found = re.findall(rf"/images/{image.public_id}/r/[^\"\s\\&]+", html)
        assert found, html[:500]
        for url in set(found):
            assert get(client, url, editor).status_code == 200
            assert get(client, url, org_b.users[Role.EDITOR]).status_code == 404


def test_the_admin_asks_no_third_party_for_avatars(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.EDITOR])
    for url in ("/admin/", "/admin/images/", "/admin/account/"):
        html = client.get(url).content.decode()
        assert "gravatar" not in html.lower(), url
