"""``{% reader_cache %}`` and ``render_for_reader`` (ui/fragments.py): one reader's
markup from the cache, the CSRF token put back on every read, never stored."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.template import engines
from django.test import RequestFactory

from ui import fragments

TEMPLATE = (
    '{% load ui %}{% reader_cache "test-fragment" reader value %}'
    "<form>{% csrf_token %}</form>{{ value }}:{{ counter.next }}{% endreader_cache %}"
)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def _render(request, reader: str, value: str, counter: Counter) -> str:  # type: ignore[no-untyped-def]
    template = engines["django"].from_string(TEMPLATE)
    return template.render({"reader": reader, "value": value, "counter": counter}, request)


@pytest.fixture
def request_(db):  # type: ignore[no-untyped-def]
    return RequestFactory().get("/somewhere/")


@pytest.fixture(autouse=True)
def _own_keys(settings) -> None:  # type: ignore[no-untyped-def]
    # Entries of earlier runs in the same Redis database are never met.
    settings.APP_VERSION = uuid.uuid4().hex


def test_kept_per_reader_and_value_with_a_fresh_token(request_) -> None:  # type: ignore[no-untyped-def]
    counter = Counter()
    first = _render(request_, "reader-1", "a", counter)
    second = _render(request_, "reader-1", "a", counter)
    assert first.endswith("a:1")
    assert second.endswith("a:1")  # from the cache: not rendered again
    assert counter.count == 1
    # Each read has the request's own token, masked afresh; the entry has neither.
    assert first != second
    (marker, html, _checks) = cache.get(fragments.fragment_key("test-fragment", ["reader-1", "a"]))
    assert marker in html
    assert "csrfmiddlewaretoken" in html
    assert marker not in first
    # Another reader or another value is another entry.
    assert _render(request_, "reader-2", "a", counter).endswith("a:2")
    assert _render(request_, "reader-1", "b", counter).endswith("b:3")


def test_no_reader_no_cache(request_) -> None:  # type: ignore[no-untyped-def]
    counter = Counter()
    _render(request_, "", "a", counter)
    _render(request_, "", "a", counter)
    assert counter.count == 2


def test_turned_off(request_, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FRAGMENT_CACHE_SECONDS = 0
    counter = Counter()
    _render(request_, "reader-1", "a", counter)
    _render(request_, "reader-1", "a", counter)
    assert counter.count == 2


def test_a_page_is_used_only_with_its_checks_and_lives_as_its_content(request_) -> None:  # type: ignore[no-untyped-def]
    renders = []

    def render(extra):  # type: ignore[no-untyped-def]
        renders.append(extra)
        fragments.expire_within(7)
        return f"<input value='{extra['csrf_token']}'>"

    key = fragments.reader_key("test-page", ["reader-1"])
    first = fragments.render_for_reader(request_, key, render, checks=(1, [2]))
    assert fragments.render_for_reader(request_, key, render, checks=(1, [2])) != first
    assert len(renders) == 1
    assert 0 < cache.ttl(key) <= 7  # type: ignore[attr-defined]
    fragments.render_for_reader(request_, key, render, checks=(2, [2]))
    assert len(renders) == 2
    assert fragments.reader_key("test-page", [""]) == ""
