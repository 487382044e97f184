from __future__ import annotations

import json

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from ui.htmx import add_trigger, messages_as_toasts, toast, wants_fragment


def _request(**headers: str):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/", headers=headers)
    request.htmx = HtmxDetails(request)
    return request


def test_wants_fragment() -> None:
    assert not wants_fragment(_request())
    assert wants_fragment(_request(**{"HX-Request": "true"}))
    assert wants_fragment(_request(**{"HX-Request": "true", "HX-Target": "t"}), "t")
    assert not wants_fragment(_request(**{"HX-Request": "true", "HX-Target": "u"}), "t")
    assert not wants_fragment(_request(**{"HX-Request": "true", "HX-Boosted": "true"}))
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert not wants_fragment(_request(**restore))


def test_triggers_merge() -> None:
    response = HttpResponse()
    response.headers["HX-Trigger"] = "refresh, other"
    add_trigger(response, "ui:theme", "dark")
    assert json.loads(response["HX-Trigger"]) == {
        "refresh": None,
        "other": None,
        "ui:theme": "dark",
    }
    toast(response, "One", "success")
    toast(response, "Two", "nonsense")
    assert json.loads(response["HX-Trigger"])["ui:toast"] == [
        {"message": "One", "level": "success"},
        {"message": "Two", "level": "error"},
    ]


@pytest.mark.django_db
def test_messages_become_toasts_and_are_consumed() -> None:
    request = _request()
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    messages.success(request, "Saved.")
    messages.error(request, "Oops.")
    response = messages_as_toasts(request, HttpResponse(status=204))
    assert json.loads(response["HX-Trigger"])["ui:toast"] == [
        {"message": "Saved.", "level": "success"},
        {"message": "Oops.", "level": "error"},
    ]
    assert request._messages.used  # type: ignore[attr-defined]
