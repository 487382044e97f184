"""The documents library in the browser: its table (sort, filter, page, back button) and
the upload with a progress bar and a result per file."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from tests.factories import make_org


def add_documents(organization: Any, user: Any, names: list[str]) -> None:
    from secure_documents.services import document_create

    for name in names:
        document_create(
            acting_user=user,
            organization=organization,
            uploaded_file=SimpleUploadedFile(name, f"Notes for {name}\n".encode(), "text/plain"),
        )


@pytest.fixture
def library(portal_db: None) -> Any:
    organization, owner = make_org("Acme Research", "acme")
    names = [f"report-{n:02d}.txt" for n in range(1, 31)] + [f"memo-{n}.txt" for n in range(1, 6)]
    add_documents(organization, owner, names)
    return owner


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_documents_table_sort_filter_page_and_back(page: Page, library: Any, login: Any) -> None:
    login(library)
    page.goto("/o/acme/documents/")
    rows = page.locator("#documents-results tbody tr")
    expect(rows).to_have_count(25)

    page.locator("#documents-filters input[type=search]").fill("report")
    expect(page).to_have_url(re.compile(r"q=report"))
    expect(page.locator("#documents-results")).not_to_contain_text("memo-")

    page.locator("#documents-results").get_by_role("link", name=re.compile("^Document")).click()
    expect(page).to_have_url(re.compile(r"sort=-?title"))
    expect(page.locator("th[aria-sort]")).to_contain_text("Document")
    first_on_page_one = rows.first.locator("td").first.inner_text().strip()

    page.locator("#documents-results").get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(rows).to_have_count(5)
    assert _query(page)["q"] == ["report"]

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"page=2"))
    expect(rows).to_have_count(25)
    expect(rows.first.locator("td").first).to_have_text(first_on_page_one)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"sort="))
    expect(page.locator("#documents-filters input[type=search]")).to_have_value("report")


def test_upload_shows_progress_and_the_result_of_each_file(
    page: Page, portal_db: None, login: Any
) -> None:
    _organization, owner = make_org("Acme Research", "acme")
    login(owner)
    page.goto("/o/acme/documents/")
    page.evaluate(
        """() => { window.__progress = [];
        new MutationObserver(() => document.querySelectorAll('.upload__progress')
          .forEach(bar => window.__progress.push(bar.value)))
          .observe(document.body, {subtree: true, attributes: true, childList: true}); }"""
    )
    page.locator("#documents-upload-input").set_input_files(
        [
            {"name": "minutes.txt", "mimeType": "text/plain", "buffer": b"Minutes\n" * 200_000},
            {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 64},
        ]
    )
    items = page.locator("#documents-upload-list .upload__item")
    expect(items).to_have_count(2)
    good = items.filter(has_text="minutes.txt")
    bad = items.filter(has_text="setup.exe")
    expect(good).to_have_class(re.compile("upload__item--done"), timeout=15_000)
    expect(bad).to_have_class(re.compile("upload__item--error"))
    assert page.evaluate("window.__progress.length") > 0
    page.reload()
    expect(page.locator("#documents-results")).to_contain_text("minutes")
