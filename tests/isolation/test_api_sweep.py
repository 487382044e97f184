"""The marker sweep through the API with tokens: every /api/ URL the resolver knows
(the REST API and the headless content API), filled with A's ids and B's, with the
query variants, as token holders who must not see A's data (or some of it).

The hardest case is a person who belongs to both organizations: their token for B must
find nothing of A, not even what they could read in A with a session or an A token.
Outsiders also try every write method; A's own lower roles POST (their writes to A's
ordinary content are theirs to make), and none may change A's higher-role objects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from api.models import Scope
from api.services import token_create
from organizations.roles import Role
from tests.isolation.test_marker_sweep import _admin_only, _forbidden_markers, _text
from tests.isolation.urls import extra_urls, routes, urls_for
from tests.isolation.world import ADM, EDT, PUB, World, build_world, snapshot

pytestmark = pytest.mark.django_db

EVERYTHING = frozenset({PUB, EDT, ADM})
WRITE_METHODS = ("post", "patch", "put", "delete")


def _token(world: World, person: Any, organization: Any) -> str:
    _row, plaintext = token_create(
        acting_user=person, organization=organization, name="sweep", scope=Scope.WRITE
    )
    return plaintext


def _personas(world: World) -> list[tuple[str, str, frozenset[str], bool]]:
    """(name, token, forbidden marker classes, outsider)."""
    found = [
        (f"B {role} token", _token(world, person, world.b), EVERYTHING, True)
        for role, person in world.people_b.items()
    ]
    found.append(("B token of A's viewer", _token(world, world.both, world.b), EVERYTHING, True))
    for role, forbidden in (
        (Role.VIEWER, frozenset({EDT, ADM})),
        (Role.MEMBER, frozenset({EDT, ADM})),
        (Role.EDITOR, frozenset({ADM})),
    ):
        person = world.people_a[role]
        found.append((f"A {role} token", _token(world, person, world.a), forbidden, False))
    return found


def _sweep(
    world: World, token: str, forbidden: frozenset[str], outsider: bool, state: Callable[[], Any]
) -> dict[str, Any]:
    from tests.isolation.world import Persona

    persona = Persona("token", None, forbidden)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    result: dict[str, Any] = {"requests": 0, "leaks": [], "errors": [], "changed": []}
    before = state()

    def request(method: str, name: str, url: str) -> int:
        nonlocal before
        response = getattr(client, method)(url, HTTP_HOST="testserver")
        result["requests"] += 1
        if response.status_code >= 500:
            result["errors"].append(f"{method.upper()} {url} ({name}) -> {response.status_code}")
        found = _forbidden_markers(_text(response), url, persona)
        if found:
            where = sorted({world.markers.planted[m.upper()] for m in found})
            result["leaks"].append(f"{method.upper()} {url} ({name}): {where}")
        refused = response.status_code in (404, 405)
        if outsider and "/organizations/alpha/" in url and not refused:
            result["errors"].append(
                f"{method.upper()} {url} ({name}) -> {response.status_code}, not 404"
            )
        if method != "get" and state() != before:
            result["changed"].append(f"{method.upper()} {url} ({name}) changed A's data")
            before = state()
        return response.status_code

    targets = [
        (route.name, url, probes)
        for route in routes()
        if route.route.startswith("api/")
        for url, probes in urls_for(route, world)
    ]
    # The file URLs of A (a token is no session: they must stay closed to it too).
    targets += [
        ("", url, []) for url in extra_urls(world) if url.startswith(("/documents/", "/images/"))
    ]
    logging.disable(logging.CRITICAL)
    try:
        for name, url, probes in targets:
            request("get", name, url)
            for probe in probes:
                request("get", name, probe)
            for method in WRITE_METHODS if outsider else ("post",):
                request(method, name, url)
    finally:
        logging.disable(logging.NOTSET)
    return result


@pytest.mark.timeout(1200)
def test_no_token_reaches_what_its_holder_may_not_see_through_it(site_tree: None) -> None:
    world = build_world()
    problems: list[str] = []
    for name, token, forbidden, outsider in _personas(world):
        started = time.monotonic()
        lower_role_of_a = name == "A editor token" or name == "A member token"
        state = _admin_only(world) if lower_role_of_a else (lambda: snapshot(world.a))
        result = _sweep(world, token, forbidden, outsider, state)
        print(
            f"\nAPI sweep as {name}: {result['requests']} requests in "
            f"{time.monotonic() - started:.0f} s"
        )
        assert result["requests"] > 100
        problems += [f"{name}: leak: {leak}" for leak in result["leaks"]]
        problems += [f"{name}: {error}" for error in result["errors"] + result["changed"]]
    assert not problems, "\n".join(problems)
