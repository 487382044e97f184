"""The component catalog and its demo endpoints: access, full pages and fragments."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import UserFactory
from tests.ui.conftest import htmx_headers
from ui import catalog

pytestmark = pytest.mark.django_db

DEMO_URLS = [
    "/components/",
    "/components/demo/table/",
    "/components/demo/modal/",
    "/components/demo/form/",
    "/components/demo/upload/",
    "/components/demo/lazy/",
    "/components/demo/error/500/",
]


@pytest.mark.parametrize("url", DEMO_URLS)
def test_hidden_from_anonymous_visitors_and_non_staff(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_open_to_anyone_in_debug(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    assert client.get("/components/").status_code == 200


def test_catalog_shows_every_entry_in_both_themes_with_usage_and_docs(
    staff_client: Client,
) -> None:
    response = staff_client.get("/components/")
    assert response.status_code == 200
    body = response.content.decode()
    for entry in catalog.ENTRIES:
        assert f'id="component-{entry.slug}"' in body
        for template in entry.templates:
            assert f"Parameters: {template}" in body
    assert body.count('class="catalog__preview" data-theme="light"') == len(catalog.ENTRIES)
    assert body.count('class="catalog__preview" data-theme="dark"') == len(catalog.ENTRIES)
    # The usage snippet is the example without the catalog's id prefixes.
    assert "{{ p }}" not in catalog.usage("upload")
    assert "components/upload.html" in catalog.usage("upload")
    assert "{% include &quot;components/upload.html&quot;" in body


def test_catalog_link_only_for_staff(staff_client: Client, owner_client: Client) -> None:
    assert b'href="/components/"' in staff_client.get("/components/").content
    assert b'href="/components/"' not in owner_client.get("/o/acme/").content


def test_table_page_and_its_fragment(staff_client: Client) -> None:
    page = staff_client.get("/components/demo/table/?q=add&sort=codename")
    assert page.status_code == 200
    assert b"<html" in page.content
    assert b'id="permissions-results"' in page.content
    assert b'aria-sort="ascending"' in page.content
    fragment = staff_client.get(
        "/components/demo/table/?q=add&page=2", headers=htmx_headers("permissions-results")
    )
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert fragment.content.lstrip().startswith(b'<div class="data-table__results"')
    assert "HX-Request" in fragment["Vary"]
    # A history restore needs the whole page again.
    restore = staff_client.get(
        "/components/demo/table/?q=add",
        headers=htmx_headers("permissions-results", **{"HX-History-Restore-Request": "true"}),
    )
    assert b"<html" in restore.content


def test_table_empty_state(staff_client: Client) -> None:
    body = staff_client.get("/components/demo/table/?q=no-such-permission-zzz").content
    assert b"No results match these filters." in body


def test_catalog_table_fragments_per_theme_pane(staff_client: Client) -> None:
    for prefix in ("light-", "dark-"):
        response = staff_client.get(
            "/components/?sort=name", headers=htmx_headers(f"{prefix}permissions-results")
        )
        assert response.content.lstrip().startswith(b'<div class="data-table__results"')
        assert f'id="{prefix}permissions-results"'.encode() in response.content


def test_tabs_fragment(staff_client: Client) -> None:
    response = staff_client.get("/components/?tab=billing", headers=htmx_headers("dark-tabs"))
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="dark-tabs-tab-billing"' in body
    assert "Billing: each tab" in body
    full = staff_client.get("/components/?tab=billing").content.decode()
    assert 'id="light-tabs-tab-billing" href="/components/?tab=billing"' in full


def test_modal_fragment_and_full_page(staff_client: Client) -> None:
    fragment = staff_client.get("/components/demo/modal/", headers=htmx_headers("modal-body"))
    assert b"<html" not in fragment.content
    assert b'id="modal-title"' in fragment.content
    page = staff_client.get("/components/demo/modal/")
    assert b"<html" in page.content
    assert b'id="modal-title"' in page.content


def test_inline_validation_answers_with_one_field(staff_client: Client) -> None:
    response = staff_client.post(
        "/components/demo/form/",
        {"name": "ab", "email": ""},
        headers=htmx_headers("id_name-field", **{"X-Validate": "name"}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="field field--text field--invalid"')
    assert "at least 3 characters" in body
    assert "id_email" not in body
    ok = staff_client.post(
        "/components/demo/form/", {"name": "Ada"}, headers=htmx_headers(**{"X-Validate": "name"})
    )
    assert "field--valid" in ok.content.decode()


def test_form_post_invalid_is_400_valid_redirects_with_a_message(staff_client: Client) -> None:
    assert staff_client.post("/components/demo/form/", {"name": "x"}).status_code == 400
    response = staff_client.post(
        "/components/demo/form/",
        {"name": "Ada", "email": "ada@example.com", "role": "editor", "agree": "on"},
        follow=True,
    )
    assert b"Saved Ada." in response.content


def test_upload_one_file_per_request(staff_client: Client) -> None:
    headers = {"HX-Request": "true", "X-Upload": "file"}
    good = staff_client.post(
        "/components/demo/upload/",
        {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.7 hello")},
        headers=headers,
    )
    assert good.status_code == 201
    assert b'data-upload-ok="true"' in good.content
    assert b"sha256" in good.content
    bad = staff_client.post(
        "/components/demo/upload/", {"file": SimpleUploadedFile("x.exe", b"MZ")}, headers=headers
    )
    assert bad.status_code == 400
    assert b"not allowed" in bad.content
    empty = staff_client.post(
        "/components/demo/upload/", {"file": SimpleUploadedFile("e.txt", b"")}, headers=headers
    )
    assert b"is empty" in empty.content
    none = staff_client.post("/components/demo/upload/", {}, headers=headers)
    assert none.status_code == 400


def test_upload_without_javascript_takes_several_files(staff_client: Client) -> None:
    response = staff_client.post(
        "/components/demo/upload/",
        {"file": [SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"bb")]},
    )
    assert response.status_code == 200
    assert response.content.count(b"upload__item--done") == 2


def test_error_endpoint_and_server_toasts(staff_client: Client) -> None:
    assert staff_client.get("/components/demo/error/503/").status_code == 503
    assert staff_client.get("/components/demo/error/200/").status_code == 500
    response = staff_client.post(
        "/components/demo/toast/", {"level": "warning"}, headers=htmx_headers()
    )
    assert response.status_code == 204
    toasts = json.loads(response["HX-Trigger"])["ui:toast"]
    assert toasts == [
        {"message": "A warning toast, sent by the server with HX-Trigger.", "level": "warning"}
    ]
    # Consumed: the next page does not show it again.
    assert b"A warning toast" not in staff_client.get("/components/").content


def test_lazy_fragment(staff_client: Client) -> None:
    response = staff_client.get("/components/demo/lazy/?toast=1", headers=htmx_headers())
    assert b"Loaded from the server" in response.content
    assert "ui:toast" in response["HX-Trigger"]
