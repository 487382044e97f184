"""Several admins remove the same member at the same moment, through two real server
processes: the first removal wins, every other request gets a clear answer (a message or
a 404), never a 500; one audit row per removal."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from organizations.models import AuditEvent, Membership
from organizations.roles import Role
from tests.conftest import uvicorn_server
from tests.factories import add_member
from tests.faults.processes import session_cookies

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TARGETS = 6
REMOVERS = 4


def test_concurrent_removals_of_one_membership_answer_no_500(org_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    organization = org_a.organization
    targets = [
        add_member(organization, Role.VIEWER, f"removed-{index}@alpha.example")
        for index in range(TARGETS)
    ]
    removers = [org_a.users[Role.OWNER], org_a.users[Role.ADMIN]]
    with uvicorn_server(tmp_path, server_args=("--workers", "2")) as port:
        clients = []
        for index in range(REMOVERS):
            client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                cookies=session_cookies(removers[index % len(removers)]),
                timeout=60,
            )
            assert client.get("/o/alpha/documents/").status_code == 200
            clients.append(client)

        def remove(client: httpx.Client, membership_id: int) -> int:
            return client.post(
                f"/o/alpha/members/{membership_id}/remove/",
                headers={"X-CSRFToken": client.cookies["csrftoken"]},
            ).status_code

        statuses = []
        with ThreadPoolExecutor(max_workers=REMOVERS) as pool:
            for target in targets:
                membership_id = Membership.objects.get(user=target, organization=organization).pk
                statuses += list(pool.map(remove, clients, [membership_id] * len(clients)))
        for client in clients:
            client.close()
    assert 500 not in statuses, statuses
    assert set(statuses) <= {302, 303, 404}, statuses
    assert not Membership.objects.filter(user__in=targets).exists()
    assert AuditEvent.objects.filter(action="membership.removed").count() == TARGETS
