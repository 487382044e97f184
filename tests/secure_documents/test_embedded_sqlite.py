"""Downloads on the embedded default of `make run` (SQLite, no Redis): the serve view's
single-statement check is PostgreSQL-only, so this mode takes the ORM path. Run in a
subprocess, because the suite itself runs on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
from accounts.models import User
from organizations.models import AuditEvent
from organizations.roles import Role
from organizations.services import membership_add, organization_create
from secure_documents.services import document_create

owner = User.objects.create_user(email="owner@example.com", password="x")
outsider = User.objects.create_user(email="outsider@example.com", password="x")
viewer = User.objects.create_user(email="viewer@example.com", password="x")
organization = organization_create(acting_user=owner, name="Embedded")
membership_add(acting_user=owner, organization=organization, user=viewer, role=Role.VIEWER)
document = document_create(
    acting_user=owner,
    organization=organization,
    uploaded_file=SimpleUploadedFile("notes.txt", b"embedded mode " * 50),
)
client = Client()
client.force_login(viewer)
plain = client.get(document.url)
ranged = client.get(document.url, headers={"Range": "bytes=0-7"})
wrong_name = client.get(f"/documents/{document.pk}/other.txt")
client.force_login(outsider)
foreign = client.get(document.url)
from allauth.mfa.models import Authenticator
from organizations.models import Organization
Organization.objects.filter(pk=organization.pk).update(require_mfa=True)
client.force_login(viewer)
without_mfa = client.get(document.url)
Authenticator.objects.create(user=viewer, type="totp", data={"secret": "x"})
with_mfa = client.get(document.url)
print(json.dumps({
    "plain": [plain.status_code, b"".join(plain.streaming_content).decode()
              if plain.streaming else plain.content.decode()],
    "ranged": ranged.status_code,
    "wrong_name": wrong_name.status_code,
    "foreign": foreign.status_code,
    "mfa": [without_mfa.status_code, with_mfa.status_code],
    "audited": list(AuditEvent.objects.filter(action="document.downloaded")
                    .order_by("pk").values_list("actor__email", "details")),
}))
"""


def test_downloads_work_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "true",
            "SECRET_KEY": "embedded-mode-test-key",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECURE_DOCUMENTS_ROOT": str(tmp_path / "protected"),
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["plain"] == [200, "embedded mode " * 50]
    assert found["ranged"] == 206
    assert found["wrong_name"] == 404
    assert found["foreign"] == 404
    assert found["mfa"] == [302, 200]  # the organization's two-factor requirement
    assert found["audited"] == [
        ["viewer@example.com", {}],
        ["viewer@example.com", {"range": "0-7"}],
        ["viewer@example.com", {}],
    ]
