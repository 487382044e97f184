"""A profile picture of organization A's owner, requested as every persona of the marker
sweep: the people who share an organization with its owner get it, everyone else (the
anonymous visitor, B's people) the 404 of a picture that does not exist. The sweep itself
requests the same URLs for markers (tests/isolation/test_marker_sweep.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.isolation.world import build_world

pytestmark = pytest.mark.django_db


def test_a_picture_reaches_exactly_the_people_who_share_an_organization(site_tree: None) -> None:
    world = build_world()
    urls = world.ids["avatar_urls"]
    assert len(set(urls)) == 2
    for persona in world.personas():
        client = Client()
        if persona.user is not None:
            client.force_login(persona.user)
        shares_a = persona.name.startswith("A ")
        for url in urls:
            status = client.get(url).status_code
            assert status == (200 if shares_a else 404), (persona.name, url, status)
            assert client.head(url).status_code == status
