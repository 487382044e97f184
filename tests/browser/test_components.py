"""The component catalog and the interactive components, in the browser."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.factories import UserFactory
from ui.catalog import ENTRIES


@pytest.fixture
def staff(portal_db: None) -> Any:
    return UserFactory(email="staff@example.com", is_staff=True)


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_catalog_shows_every_component_in_both_themes(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/")
    for entry in ENTRIES:
        section = page.locator(f"section#component-{entry.slug}")
        expect(section.get_by_role("heading", level=2, name=entry.name)).to_be_visible()
        expect(section.locator(".catalog__preview[data-theme=light]")).to_have_count(1)
        expect(section.locator(".catalog__preview[data-theme=dark]")).to_have_count(1)
    dark = page.locator("#component-badge .catalog__preview[data-theme=dark]")
    assert dark.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(13, 17, 28)"


def test_modal_opens_and_closes_with_the_keyboard(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/")
    opener = page.locator("#component-modal [data-demo=open-modal]").first
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Invite a colleague")).to_be_visible()
    expect(dialog.get_by_label("Email")).to_be_focused()
    for _ in range(6):  # Tab cycles through the dialog and never leaves it
        page.keyboard.press("Tab")
        assert dialog.evaluate("el => el.contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    assert dialog.evaluate("el => el.contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    expect(dialog.locator("#modal-body")).to_be_empty()


def test_failed_htmx_request_shows_a_toast(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/")
    with page.expect_response(re.compile(r"/demo/error/500/$")):
        page.locator("#component-toast [data-demo=error-500]").first.click()
    toast = page.locator("#toasts .toast--error")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Something went wrong on our side (error 500)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Components")


def test_server_toast_from_hx_trigger(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/")
    page.locator("#component-toast").get_by_role("button", name="Success toast").first.click()
    expect(page.locator("#toasts .toast--success")).to_contain_text("sent by the server")


def test_form_validates_a_field_on_blur_and_swaps_400_answers(
    page: Page, staff: Any, login: Any
) -> None:
    login(staff)
    page.goto("/components/demo/form/")
    name = page.get_by_label("Name")
    name.fill("ab")
    page.keyboard.press("Tab")
    errors = page.locator("#id_name-errors")
    expect(errors).to_contain_text("at least 3 characters")
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Name").fill("Ada")
    page.keyboard.press("Tab")
    expect(errors).to_be_empty()
    # Submitting the incomplete form: the 400 answer is swapped in, no error toast.
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_email-errors")).to_contain_text("required")
    expect(page.locator("#toasts .toast--error")).to_have_count(0)


def test_data_table_sort_filter_page_and_back(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/demo/table/")
    rows = page.locator("#permissions-results tbody tr")
    expect(rows).to_have_count(10)

    page.locator("#id_q").fill("add")
    expect(page).to_have_url(re.compile(r"q=add"))
    expect(rows.first).to_contain_text("add")

    page.get_by_role("link", name=re.compile("^Code name")).click()
    expect(page).to_have_url(re.compile(r"sort=-?codename"))
    sorted_header = page.locator("th[aria-sort]")
    expect(sorted_header).to_contain_text("Code name")
    direction = sorted_header.get_attribute("aria-sort")
    sort = _query(page)["sort"]

    page.locator("#permissions-results").get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("[aria-current=page].pagination__link")).to_have_text("2")
    assert _query(page) == {"q": ["add"], "sort": sort, "page": ["2"]}

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"page=2"))
    expect(page.locator(f"th[aria-sort={direction}]")).to_contain_text("Code name")
    expect(page.locator("[aria-current=page].pagination__link")).to_have_text("1")
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"sort="))
    expect(page.locator("#id_q")).to_have_value("add")

    # A bookmark opens the same state without JavaScript's help.
    page.goto("/components/demo/table/?q=add&sort=-codename&page=2")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Code name")


def test_upload_shows_progress_and_a_result_per_file(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/demo/upload/")
    page.locator("#demo-upload-input").set_input_files(
        [
            {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n" * 40000},
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 10},
        ]
    )
    items = page.locator("#demo-upload-list .upload__item")
    expect(items).to_have_count(2)
    good = items.filter(has_text="report.pdf")
    bad = items.filter(has_text="tool.exe")
    expect(good).to_have_class(re.compile("upload__item--done"))
    expect(good.locator(".upload__status")).to_have_text("Done")
    expect(good).to_contain_text("sha256")
    expect(bad).to_have_class(re.compile("upload__item--error"))
    expect(bad).to_contain_text("not allowed")


def test_upload_progress_bar_moves(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/demo/upload/")
    page.evaluate(
        """() => { window.__progress = [];
        document.addEventListener('change', () => {}, true);
        new MutationObserver(() => document.querySelectorAll('.upload__progress')
          .forEach(bar => window.__progress.push(bar.value)))
          .observe(document.body, {subtree: true, attributes: true, childList: true}); }"""
    )
    page.locator("#demo-upload-input").set_input_files(
        [{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 4_000_000}]
    )
    expect(page.locator(".upload__item--done")).to_have_count(1)
    assert page.evaluate("window.__progress.length") > 0


def test_confirm_dialog_for_hx_confirm_and_data_confirm(page: Page, staff: Any, login: Any) -> None:
    login(staff)
    page.goto("/components/")
    section = page.locator("#component-confirm")
    dialog = page.locator("dialog#confirm")
    section.get_by_role("button", name="Remove member").first.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Remove member")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toasts .toast--success")).to_have_count(0)

    section.get_by_role("button", name="Delete report").first.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator("#toasts .toast--success")).to_contain_text("sent by the server")
