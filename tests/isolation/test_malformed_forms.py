"""Every form the admin and the portal render, posted broken by its own organization's
owner: fields removed, values garbled, nothing at all. The answer is a form error or a
4xx with a message, never a 500.

The forms are found, not listed: every URL the isolation sweep enumerates is opened as
A's owner, every ``<form method="post">`` on the page is read (hidden bookkeeping fields
included: formset and StreamField counts, CSRF), and three broken copies of it are posted
to its action. Forms that delete, move, copy, unpublish or revert are left out: their
whole input is the confirmation, and posting it would only do what they say.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client

from organizations.roles import Role
from tests.isolation.urls import OWN_WRITES, routes, urls_for
from tests.isolation.world import build_world

pytestmark = pytest.mark.django_db

DESTRUCTIVE = ("delete", "unpublish", "move", "copy", "revert", "leave", "remove", "logout")
GARBAGE = "\x00'\"<script>" + "9" * 40 + "\ufffd"


class _Forms(HTMLParser):
    """The POST forms of a page: their action and their fields in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            if values.get("method", "get").lower() == "post":
                self._current = {"action": values.get("action", ""), "fields": []}
                self.forms.append(self._current)
            return
        if self._current is None or not values.get("name"):
            return
        if tag == "input":
            kind = values.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in values:
                return
            self._current["fields"].append((values["name"], values.get("value", "")))
        elif tag in ("textarea", "select"):
            self._current["fields"].append((values["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _variants(fields: list[tuple[str, str]]) -> list[tuple[str, dict[str, list[str]]]]:
    def as_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        return data

    hidden_gone = [(n, v) for n, v in fields if not n.endswith(("-count", "TOTAL_FORMS"))]
    every_other = fields[::2]
    garbled = [(name, GARBAGE) for name, _value in fields]
    return [
        ("bookkeeping fields removed", as_data(hidden_gone)),
        ("every other field removed", as_data(every_other)),
        ("every value garbled", as_data(garbled)),
        ("nothing", {}),
    ]


@pytest.mark.timeout(1200)
def test_no_form_answers_500_to_broken_input(site_tree: None) -> None:
    world = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(world.people_a[Role.OWNER])
    seen: set[tuple[str, tuple[str, ...]]] = set()
    errors: list[str] = []
    posted = 0
    logging.disable(logging.CRITICAL)
    try:
        for route in routes():
            if route.name in OWN_WRITES:
                continue
            for url, _probes in urls_for(route, world):
                if any(word in url for word in DESTRUCTIVE):
                    continue
                response = client.get(url, HTTP_HOST="testserver")
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                parser = _Forms()
                parser.feed(response.content.decode(errors="replace"))
                for form in parser.forms:
                    action = urljoin(url, form["action"] or url)
                    path = urlparse(action).path
                    signature = (path, tuple(sorted({name for name, _ in form["fields"]})))
                    if signature in seen or any(word in path for word in DESTRUCTIVE):
                        continue
                    seen.add(signature)
                    for label, data in _variants(form["fields"]):
                        posted += 1
                        try:
                            answer = client.post(action, data, HTTP_HOST="testserver")
                        except Exception as exc:  # the view raised: what a person gets as 500
                            errors.append(f"POST {path} ({label}) -> {exc!r}")
                            continue
                        if answer.status_code >= 500:
                            errors.append(f"POST {path} ({label}) -> {answer.status_code}")
                        if "_auth_user_id" not in client.session:
                            client.force_login(world.people_a[Role.OWNER])
    finally:
        logging.disable(logging.NOTSET)
    print(f"\nbroken forms: {len(seen)} forms, {posted} posts")
    assert len(seen) > 20
    assert not errors, "\n".join(errors)
