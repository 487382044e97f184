"""The marker sweep's webhook rows are real markers: A's admin sees them on the webhook
screens (tests/isolation sweeps the same screens as everyone who must not)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from organizations.roles import Role
from tests.isolation.world import ADM, MARKER, build_world

pytestmark = pytest.mark.django_db


def test_a_admin_sees_the_planted_webhook_markers(site_tree: Any) -> None:
    world = build_world()
    planted = {m for m, where in world.markers.planted.items() if "webhook" in where}
    assert len(planted) == 6
    assert all(MARKER.fullmatch(m) and ADM in m for m in planted)
    client = Client()
    client.force_login(world.people_a[Role.ADMIN])
    [endpoint] = world.ids["webhook_endpoints"]
    seen = ""
    for url in (
        reverse("webhooks:list", kwargs={"org_slug": "alpha"}),
        reverse("webhooks:detail", kwargs={"org_slug": "alpha", "pk": endpoint}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        seen += response.content.decode()
    shown = {m for m in planted if m.upper() in seen.upper()}
    # The secret and the payload are never shown again; everything else is.
    hidden = {
        m for m in planted if world.markers.planted[m] in {"webhook secret", "webhook payload"}
    }
    assert shown == planted - hidden
