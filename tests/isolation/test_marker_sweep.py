"""The marker sweep: every URL the site resolves, as everyone who must not see A's data.

Organization A has a unique marker in every text field (tests/isolation/world.py). Each
persona (anonymous; each role of B; a viewer of A who owns B; A's viewer, member and
editor against higher-role objects) requests every resolvable URL, with and without A's
ids, with GET and POST, in its query variants (searches, exports, filters), plus the
public site and file URLs. No response (body or headers, any status) may contain a
marker of a class the persona must not see, unless the persona put it in the URL
itself; no POST by an outsider may change A's data, nor one by a lower role A's
higher-role objects. The number of requests is printed (``-s``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.isolation.urls import OWN_WRITES, extra_urls, routes, urls_for
from tests.isolation.world import MARKER, Persona, World, build_world, snapshot

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(
            part if isinstance(part, bytes) else part.encode()
            for part in response.streaming_content
        )
    else:
        body = response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers + "\n" + body.decode(errors="replace")


def _forbidden_markers(text: str, url: str, persona: Persona) -> set[str]:
    lowered_url = url.lower()
    return {
        match.group(0)
        for match in MARKER.finditer(text)
        if match.group(1).upper() in persona.forbidden and match.group(0).lower() not in lowered_url
    }


def _admin_only(world: World) -> Callable[[], Any]:
    """What a lower role of A must not change: A's higher-role objects."""

    def state() -> Any:
        full = snapshot(world.a)
        return (
            [row for row in full["documents"] if row[3]],
            [row for row in full["announcements"] if row[4]],
            full["invitations"],
            full["memberships"],
            full["organization"],
            # Approving or rejecting is for A's admins (an editor may cancel or delete
            # their own submission).
            [row for row in full["moderation"][2] if row[1] in ("approved", "rejected")],
            full["webhook_endpoints"],
            full["webhook_deliveries"],
        )

    return state


def _sweep(world: World, persona: Persona, state: Callable[[], Any]) -> dict[str, Any]:
    client = Client(raise_request_exception=False)
    if persona.user is not None:
        client.force_login(persona.user)
    before = state()
    result: dict[str, Any] = {"requests": 0, "leaks": [], "errors": [], "changed": []}

    def request(method: str, name: str, url: str) -> int:
        nonlocal before
        response = getattr(client, method)(url, HTTP_HOST="testserver")
        result["requests"] += 1
        if persona.user is not None and "_auth_user_id" not in client.session:
            result["errors"].append(f"{method.upper()} {url} ended the session")
            client.force_login(persona.user)
        if response.status_code >= 500:
            result["errors"].append(f"{method.upper()} {url} ({name}) -> {response.status_code}")
            return response.status_code
        found = _forbidden_markers(_text(response), url, persona)
        if found:
            where = sorted({world.markers.planted[m.upper()] for m in found})
            result["leaks"].append(
                f"{method.upper()} {url} ({name}) -> {response.status_code}: {where}"
            )
        if method == "post" and state() != before:
            result["changed"].append(f"POST {url} ({name}) changed A's data")
            before = state()
        return response.status_code

    targets = [
        (route.name, url, probes) for route in routes() for url, probes in urls_for(route, world)
    ]
    targets += [("", url, []) for url in extra_urls(world)]
    # Django logs every refusal and error at length; the sweep reports its own findings.
    logging.disable(logging.CRITICAL)
    try:
        for name, url, probes in targets:
            status = request("get", name, url)
            if status not in (200, 405):
                continue  # refused or redirected: its variants and POST meet the same guard
            for probe in probes:
                request("get", name, probe)
            if name not in OWN_WRITES:
                request("post", name, url)
    finally:
        logging.disable(logging.NOTSET)
    return result


PERSONAS = [
    "anonymous",
    "B owner",
    "B admin",
    "B editor",
    "B member",
    "B viewer",
    "A viewer who is B's admin",
    "A viewer",
    "A member",
    "A editor",
]


@pytest.mark.timeout(1200)  # over two thousand requests per persona
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_no_screen_shows_or_changes_what_its_viewer_may_not_see(
    site_tree: None, persona_name: str
) -> None:
    world = build_world()
    persona = next(p for p in world.personas() if p.name == persona_name)
    # A lower role of A may change A's ordinary content (editors edit): what it must not
    # change are A's higher-role objects.
    lower_role_of_a = persona_name == "A editor"
    state = _admin_only(world) if lower_role_of_a else (lambda: snapshot(world.a))
    started = time.monotonic()
    result = _sweep(world, persona, state)
    problems = [f"leak: {leak}" for leak in result["leaks"]] + result["errors"] + result["changed"]
    print(
        f"\nmarker sweep as {persona_name}: {result['requests']} requests in "
        f"{time.monotonic() - started:.0f} s; {len(world.markers.planted)} markers planted"
    )
    assert result["requests"] > 300
    assert not problems, "\n".join(problems)


def test_the_personas_are_the_worlds() -> None:
    assert [persona.name for persona in World.persona_names()] == PERSONAS
