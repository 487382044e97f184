"""The bulk path killed mid-run: every organization it left is whole, none half-made,
and the same command with ``--skip-existing`` finishes the rest."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Collection, Page, PageViewRestriction

from dashboards.models import OrganizationPage
from organizations.models import Organization
from organizations.provisioning import organization_provision
from tests.conftest import ROOT, _database_url_for_current_test_db

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

COUNT, BATCH, KILL_AFTER = 1500, 100, 300


def _whole(prefix: str) -> int:
    """How many organizations of the run exist, checking each has every part."""
    organizations = Organization.objects.filter(slug__startswith=f"{prefix}-")
    count = organizations.count()
    assert OrganizationPage.objects.filter(organization__in=organizations).count() == count
    assert organizations.filter(collection__isnull=False).count() == count
    assert Group.objects.filter(role_group__organization__in=organizations).count() == 5 * count
    assert (
        PageViewRestriction.objects.filter(
            page__in=OrganizationPage.objects.filter(organization__in=organizations)
        ).count()
        == count
    )
    assert all(not problems for problems in Page.find_problems())
    assert all(not problems for problems in Collection.find_problems())
    return count


def test_a_killed_bulk_run_leaves_whole_batches_and_continues(site_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "manage.py",
        "create_organizations",
        "--count",
        str(COUNT),
        "--prefix",
        "killed",
        "--batch-size",
        str(BATCH),
        "-v",
        "2",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        for line in process.stdout:
            if line.strip().startswith(f"{KILL_AFTER}/"):
                break
            assert time.monotonic() < deadline, "the run made no progress"
        process.send_signal(signal.SIGKILL)  # in the middle of a later batch
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    left = _whole("killed")
    assert KILL_AFTER <= left < COUNT
    assert left % BATCH == 0  # whole batches only
    # One of the survivors is exactly what provisioning builds.
    survivor = Organization.objects.filter(slug__startswith="killed-").order_by("pk").last()
    assert survivor is not None
    assert organization_provision(organization=survivor) == {"created": [], "updated": []}

    call_command(
        "create_organizations",
        "--count",
        str(COUNT),
        "--prefix",
        "killed",
        "--skip-existing",
        stdout=io.StringIO(),
    )
    assert _whole("killed") == COUNT
