"""Django-side steps of the live-update benchmarks, run by bench/live_updates.py as
subprocesses with the benchmark environment (scratch database, Redis db 8,
``DJANGO_SETTINGS_MODULE=bench.live_settings``). Each prints one ``LIVE_RESULT {json}`` line.

    python -m bench.live_django seed --sessions 1000 --users 10 --probe-users 1000
        an owner, organization ``live-bench`` with USERS members and SESSIONS signed-in
        sessions spread over them (round robin), and organization ``live-probe`` with
        PROBE_USERS members, one session each. Users have no usable password (no hashing).
    python -m bench.live_django broadcast --org-id N --count 10 --interval 1.5 --bytes 2048
        group_send of a timestamped fragment to ``live.org.N`` through the app's publisher
        (one event loop and one Redis connection for the process, as in a Celery worker).
    python -m bench.live_django upload --slug live-bench --count 20 --interval 0.5
        uploads COUNT plain-text documents through document_create (after one warm-up
        upload), waits until the worker has processed them and reports, per document, its
        public id, status and the ``created_at`` of its ``document.clean`` audit event,
        written by document_mark_processed in the transaction that commits the result.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import django

OWNER_EMAIL = "live-owner@example.com"
MAIN_SLUG = "live-bench"
PROBE_SLUG = "live-probe"


def _session_for(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _members(organization: Any, prefix: str, count: int) -> list[Any]:
    from accounts.models import User
    from organizations.services import membership_add

    users = []
    for index in range(count):
        user = User.objects.create_user(email=f"{prefix}-{index:04d}@example.com", password=None)
        membership_add(acting_user=None, organization=organization, user=user, role="member")
        users.append(user)
    return users


def seed(sessions: int, users: int, probe_users: int) -> dict[str, Any]:
    from accounts.models import User
    from organizations.models import Organization
    from organizations.services import organization_create

    started = time.monotonic()
    owner = User.objects.create_user(email=OWNER_EMAIL, password=None)
    main = organization_create(acting_user=owner, name="Live benchmark", slug=MAIN_SLUG)
    probe = organization_create(acting_user=owner, name="Live probe", slug=PROBE_SLUG)
    Organization.objects.filter(pk__in=[main.pk, probe.pk]).update(storage_quota_bytes=1024**3)
    members = _members(main, "live-member", users)
    main_sessions = [_session_for(members[index % users]) for index in range(sessions)]
    probe_sessions = [_session_for(user) for user in _members(probe, "live-probe", probe_users)]
    return {
        "main": {"slug": MAIN_SLUG, "id": main.pk, "users": users, "sessions": main_sessions},
        "probe": {"slug": PROBE_SLUG, "id": probe.pk, "sessions": probe_sessions},
        "seconds": round(time.monotonic() - started, 1),
    }


def broadcast(org_id: int, count: int, interval: float, size: int) -> dict[str, Any]:
    from dashboards.events import org_group
    from dashboards.publisher import group_send

    def send(seq: int) -> dict[str, Any]:
        sent = time.time()
        head = f'<div id="bench-ping" hx-swap-oob="true" data-seq="{seq}" data-sent="{sent:.6f}">'
        html = head + "x" * max(0, size - len(head) - 6) + "</div>"
        ok = group_send(
            org_group(org_id),
            {"type": "live.event", "event": "bench.ping", "html": html, "min_role": None},
        )
        return {"seq": seq, "sent": sent, "call_ms": (time.time() - sent) * 1000, "ok": ok}

    send(-1)  # opens the publisher's loop and Redis connection; not measured
    sends = []
    for seq in range(count):
        time.sleep(interval)
        sends.append(send(seq))
    return {"sends": sends, "bytes": size}


def upload(slug: str, count: int, interval: float, timeout: float) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from organizations.models import AuditEvent, Organization
    from secure_documents.models import ProcessingStatus, SecureDocument
    from secure_documents.services import document_create

    owner = User.objects.get(email=OWNER_EMAIL)
    organization = Organization.objects.get(slug=slug)

    def create(index: int) -> Any:
        body = f"Live benchmark document number {index} in plain text.\n".encode() * 40
        name = f"live-{int(time.time() * 1000)}-{index}.txt"
        return document_create(
            acting_user=owner,
            organization=organization,
            uploaded_file=SimpleUploadedFile(name, body, content_type="text/plain"),
        )

    def wait(ids: list[int]) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = SecureDocument.objects.filter(pk__in=ids, status=ProcessingStatus.PENDING)
            if not pending.exists():
                return True
            time.sleep(0.1)
        return False

    warm = create(-1)  # the worker's first task opens its publisher loop; not measured
    if not wait([warm.pk]):
        raise SystemExit("the warm-up document was not processed: is the worker running?")
    documents = []
    for index in range(count):
        documents.append(create(index))
        time.sleep(interval)
    done = wait([document.pk for document in documents])
    results = []
    for document in documents:
        document.refresh_from_db()
        clean = AuditEvent.objects.filter(
            organization=organization, action="document.clean", target_id=str(document.pk)
        ).first()
        results.append(
            {
                "public_id": str(document.public_id),
                "status": document.status,
                "clean_at": clean.created_at.timestamp() if clean else None,
            }
        )
    return {"documents": results, "all_processed": done}


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p_seed = commands.add_parser("seed")
    p_seed.add_argument("--sessions", type=int, default=1000)
    p_seed.add_argument("--users", type=int, default=10)
    p_seed.add_argument("--probe-users", type=int, default=1000)
    p_broadcast = commands.add_parser("broadcast")
    p_broadcast.add_argument("--org-id", type=int, required=True)
    p_broadcast.add_argument("--count", type=int, default=10)
    p_broadcast.add_argument("--interval", type=float, default=1.5)
    p_broadcast.add_argument("--bytes", type=int, default=2048)
    p_upload = commands.add_parser("upload")
    p_upload.add_argument("--slug", default=MAIN_SLUG)
    p_upload.add_argument("--count", type=int, default=20)
    p_upload.add_argument("--interval", type=float, default=0.5)
    p_upload.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    django.setup()
    if args.command == "seed":
        result = seed(args.sessions, args.users, args.probe_users)
    elif args.command == "broadcast":
        result = broadcast(args.org_id, args.count, args.interval, args.bytes)
    else:
        result = upload(args.slug, args.count, args.interval, args.timeout)
    print("LIVE_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
