"""Protected documents through the deployment: upload through nginx, processing by the
document worker, the live update over the organization's websocket, download through
nginx's X-Accel-Redirect location, and the task surviving a worker that is killed while
it runs.

The visitor talks to nginx as the TLS terminator in front of it would (``X-Forwarded-Proto:
https``), so the production settings apply unchanged: secure cookies, HTTPS-only CSRF
checks with a matching ``Origin``/``Referer``.

To kill a worker *while* it runs ``process_document`` (which takes milliseconds), the test
holds a row lock on the document: the task reads and hashes the file, then waits at its
``UPDATE`` of the document's status until the test kills the worker. The killed worker's
database transaction is never committed, so the task's work is lost with it; only a
second delivery of the same task can mark the document clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from tests.deploy.conftest import SITE_HOST, VISIBILITY_TIMEOUT, Stack

PASSWORD = "correct horse battery staple 42"
SITE = f"https://{SITE_HOST}"
DOCUMENT_LINK = re.compile(r'href="(/documents/(\d+)/[^"]+)"')
PROCESS_DOCUMENT = "secure_documents.process_document"


@dataclass(frozen=True)
class Member:
    email: str
    organization: str  # slug


@pytest.fixture(scope="module")
def members(stack: Stack) -> dict[str, Member]:
    """Two organizations, each created by its owner with ``organization_create``; the
    uploader is a plain ``member`` of the first. Email addresses are verified (production
    requires it to sign in)."""
    suffix = secrets.token_hex(3)
    people = {
        "owner": Member(f"owner-{suffix}@example.com", f"acme-{suffix}"),
        "uploader": Member(f"uploader-{suffix}@example.com", f"acme-{suffix}"),
        "outsider": Member(f"outsider-{suffix}@example.com", f"globex-{suffix}"),
    }
    stack.run_django(
        f"""
        from allauth.account.models import EmailAddress
        from django.contrib.auth import get_user_model
        from organizations.services import membership_add, organization_create

        people = {json.dumps({role: asdict(member) for role, member in people.items()})}

        def person(role):
            email = people[role]["email"]
            user = get_user_model().objects.create_user(email=email, password={PASSWORD!r})
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            return user

        owner, uploader, outsider = person("owner"), person("uploader"), person("outsider")
        acme = organization_create(
            acting_user=owner, name="Acme", slug=people["owner"]["organization"]
        )
        membership_add(acting_user=owner, organization=acme, user=uploader, role="member")
        organization_create(
            acting_user=outsider, name="Globex", slug=people["outsider"]["organization"]
        )
        print("ok")
        """
    )
    return people


# --- a visitor through nginx ------------------------------------------------------------------


class Visitor:
    """A browser behind the TLS terminator. It keeps its cookies itself: a cookie jar
    would not send the app's Secure cookies over the plain HTTP hop to nginx."""

    def __init__(self, stack: Stack, *, port: int | None = None) -> None:
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port or stack.nginx_port}",
            headers={"Host": SITE_HOST, "X-Forwarded-Proto": "https"},
            timeout=20,
        )
        self.cookies: dict[str, str] = {}

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for line in response.headers.get_list("set-cookie"):
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(line)
            for name, morsel in parsed.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def same_origin(self, page: str) -> dict[str, str]:
        """What a browser sends with a form or fetch POST from ``page`` of the site."""
        return {
            "Origin": SITE,
            "Referer": f"{SITE}{page}",
            "X-CSRFToken": self.cookies["csrftoken"],
        }

    def sign_in(self, email: str) -> Visitor:
        page = self.get("/accounts/login/")
        assert page.status_code == 200, page.text
        response = self.request(
            "POST",
            "/accounts/login/",
            data={
                "login": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies["csrftoken"],
            },
            headers=self.same_origin("/accounts/login/"),
        )
        assert response.status_code == 302, response.text[-2000:]
        assert "sessionid" in self.cookies, response.headers
        return self

    def upload(self, organization: str, name: str, content: bytes) -> tuple[int, str]:
        """One file through the library's upload endpoint: the document's id and URL."""
        library = f"/o/{organization}/documents/"
        page = self.get(library)  # the CSRF cookie, as a browser would have it
        assert page.status_code == 200, page.text[-2000:]
        response = self.request(
            "POST",
            f"{library}upload/",
            files={"file": (name, content, "text/plain")},
            headers={"X-Upload": "file", **self.same_origin(library)},
        )
        assert response.status_code == 201, response.text
        link = DOCUMENT_LINK.search(response.text)
        assert link is not None, response.text
        return int(link.group(2)), link.group(1)


def text_file(size: int) -> bytes:
    """Plain text (libmagic must call it text/plain) that is different every time."""
    # No commas or colons in it: libmagic would take lines of those for CSV.
    line = f"The quarterly figures of {secrets.token_hex(8)} show revenue up and costs down.\n"
    return (line.encode() * (size // len(line) + 1))[:size]


# --- the live websocket through nginx -------------------------------------------------------


@contextlib.asynccontextmanager
async def live_socket(stack: Stack, visitor: Visitor, organization: str) -> AsyncIterator[Any]:
    """The organization's ``/ws/live/`` socket through nginx, as the signed-in visitor's
    browser opens it from a page of the site; open once the presence fragment arrived."""
    from websockets.asyncio.client import connect

    cookies = "; ".join(f"{key}={value}" for key, value in visitor.cookies.items())
    async with connect(
        stack.websocket_url(f"/ws/live/?org={organization}"),
        origin=SITE,
        additional_headers={"Cookie": cookies, "X-Forwarded-Proto": "https"},
        open_timeout=10,
        **stack.websocket_target(),
    ) as websocket:
        first = await asyncio.wait_for(websocket.recv(), timeout=10)
        assert 'id="members-online"' in str(first), first
        yield websocket


def status_labels(html: str, status_id: str) -> list[str]:
    """The labels of the document's status badges in a fragment (the live documents panel
    has other documents' badges in it too)."""
    badge = re.compile(
        rf'id="{re.escape(status_id)}"[^>]*>\s*<span class="badge[^>]*>'
        r"(?:<span[^>]*></span>)?([^<]*)</span>"
    )
    return [label.strip() for label in badge.findall(html)]


async def receive_until(websocket: Any, wanted: Callable[[str], bool], timeout: float) -> str:
    """The first message that ``wanted`` accepts, within ``timeout`` seconds."""
    from websockets.exceptions import ConnectionClosed

    seen: list[str] = []

    async def next_wanted() -> str:
        while True:
            message = str(await websocket.recv())
            if wanted(message):
                return message
            seen.append(message)

    try:
        return await asyncio.wait_for(next_wanted(), timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"not received within {timeout}s; received: {seen}") from None
    except ConnectionClosed as closed:
        raise AssertionError(f"socket closed ({closed}); received before: {seen}") from None


async def received_within(websocket: Any, seconds: float) -> list[str]:
    """Every message that arrives within ``seconds`` (the socket must stay open)."""
    messages: list[str] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                messages.append(str(await websocket.recv()))
    return messages


# --- the database and the broker ------------------------------------------------------------


def document_row(stack: Stack, document_id: int) -> dict[str, Any]:
    with stack.database() as db:
        row = db.execute(
            "SELECT status, file, file_size FROM secure_documents_securedocument WHERE id = %s",
            [document_id],
        ).fetchone()
    assert row is not None, f"no document {document_id}"
    return {"status": row[0], "file": row[1], "file_size": row[2]}


def public_id(stack: Stack, document_id: int) -> str:
    with stack.database() as db:
        row = db.execute(
            "SELECT public_id FROM secure_documents_securedocument WHERE id = %s", [document_id]
        ).fetchone()
    assert row is not None, f"no document {document_id}"
    return str(row[0])


def clean_events(stack: Stack, document_id: int) -> int:
    with stack.database() as db:
        row = db.execute(
            "SELECT count(*) FROM organizations_auditevent"
            " WHERE action = 'document.clean' AND target_id = %s",
            [str(document_id)],
        ).fetchone()
    assert row is not None
    return int(row[0])


def wait_for(check: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    logs = "\n".join(stack.processes[name].tail(3000) for name in ("worker", "worker-documents"))
    raise AssertionError(f"no {what} after {timeout}s\n{logs}")


def wait_until_clean(stack: Stack, document_id: int, timeout: float = 60) -> None:
    wait_for(
        lambda: document_row(stack, document_id)["status"] != "pending",
        timeout,
        f"processing of document {document_id}",
        stack,
    )
    assert document_row(stack, document_id)["status"] == "clean"


@contextlib.contextmanager
def documents_queue_paused(stack: Stack) -> Iterator[None]:
    """No worker takes tasks from the ``documents`` queue until the test lets one; both
    workers consume it again afterwards (a restarted worker does from its command)."""
    probe = stack.celery_probe()
    nodes = [stack.worker_node("worker"), stack.worker_node("worker-documents")]
    replies = probe.control.cancel_consumer("documents", destination=nodes, reply=True, timeout=5)
    assert len(replies) == 2, replies
    try:
        yield
    finally:
        for node in nodes:
            probe.control.add_consumer("documents", destination=[node], reply=True, timeout=5)


def consume_documents(stack: Stack, service: str) -> None:
    probe = stack.celery_probe()
    reply = probe.control.add_consumer(
        "documents", destination=[stack.worker_node(service)], reply=True, timeout=5
    )
    assert reply, f"{service} did not answer"


def blocked_updates(stack: Stack) -> list[tuple[int, int]]:
    """(backend pid, client port) of every session waiting to UPDATE a document row."""
    with stack.database() as db:
        rows = db.execute(
            "SELECT pid, client_port FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            ['UPDATE "secure_documents_securedocument"%'],
        ).fetchall()
    return [(int(pid), int(port)) for pid, port in rows]


@contextlib.contextmanager
def row_locked(stack: Stack, document_id: int) -> Iterator[None]:
    """Hold the document's row lock: the task can read it but not record its result."""
    with psycopg.connect(stack.database_url) as connection:
        connection.execute(
            "SELECT id FROM secure_documents_securedocument WHERE id = %s FOR UPDATE",
            [document_id],
        )
        try:
            yield
        finally:
            connection.rollback()


def unacked_deliveries(stack: Stack, document_id: int) -> dict[str, float]:
    """Deliveries of the document's processing task that a worker has not acknowledged
    yet, with their time of delivery. kombu's Redis transport keeps each one (message and
    time) until it is acknowledged, or until the visibility timeout has passed: then the
    next worker to look returns it to its queue."""
    client = redis.Redis(host="127.0.0.1", port=stack.redis["redis"].port)
    try:
        delivered = dict(client.zrange("unacked_index", 0, -1, withscores=True))
        found = {}
        for tag, payload in client.hgetall("unacked").items():
            headers = json.loads(payload)[0]["headers"]
            if headers["task"] == PROCESS_DOCUMENT and headers["argsrepr"] == f"({document_id},)":
                found[tag.decode()] = float(delivered[tag])
        return found
    finally:
        client.close()


def log_lines(stack: Stack, service: str) -> list[dict[str, Any]]:
    """The JSON lines of a process's log (a process killed mid-line may leave half a line)."""
    lines = []
    for line in stack.processes[service].log().splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return [line for line in lines if isinstance(line, dict)]


def task_lines(stack: Stack, service: str, event: str, task_id: str) -> int:
    return sum(
        1
        for line in log_lines(stack, service)
        if line.get("event") == event and line.get("task_id") == task_id
    )


def process_task_id(stack: Stack, service: str, document_id: int) -> str:
    """The Celery task id of the run that processed the document, from its log line
    (written just after the status was committed)."""
    found: list[str] = []

    def logged() -> bool:
        found.extend(
            str(line["task_id"])
            for line in log_lines(stack, service)
            if line.get("event") == "document_processed" and line.get("document_id") == document_id
        )
        return bool(found)

    wait_for(logged, 10, f"document_processed line for document {document_id}", stack)
    return found[0]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def process_with_local_port(pids: list[int], port: int) -> int:
    """Which of ``pids`` owns the TCP socket with local ``port`` (its database session)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return pid
    raise AssertionError(f"none of {pids} has a socket on local port {port}")


# --- the tests ---------------------------------------------------------------------------------


def test_upload_processed_and_downloaded_through_nginx(
    stack: Stack, members: dict[str, Member]
) -> None:
    uploader, outsider = members["uploader"], members["outsider"]
    content = text_file(300_000)
    with Visitor(stack).sign_in(uploader.email) as visitor:
        document_id, url = visitor.upload(uploader.organization, "quarterly-report.txt", content)
        wait_until_clean(stack, document_id)

        download = visitor.get(url)
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-disposition"].startswith("attachment;")
        assert 'filename="quarterly-report.txt"' in download.headers["content-disposition"]
        # Set by nginx's internal location (the app's own security headers do not survive
        # the internal redirect), and the internal path itself is not leaked.
        assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "x-accel-redirect" not in download.headers
        # As stored (no compression on the fly), so that ranges work for every type.
        assert "content-encoding" not in download.headers
        assert download.headers["content-length"] == str(len(content))

        partial = visitor.get(url, headers={"Range": "bytes=1000-1999"})
        assert partial.status_code == 206
        assert partial.content == content[1000:2000]
        assert partial.headers["content-range"] == f"bytes 1000-1999/{len(content)}"

    # The bytes came from nginx: the app itself answers with the internal redirect only.
    row = document_row(stack, document_id)
    with Visitor(stack, port=stack.app_port) as direct:
        direct.cookies = dict(visitor.cookies)
        handed_over = direct.get(url)
    assert handed_over.status_code == 200
    assert handed_over.headers["x-accel-redirect"] == f"/_protected/{row['file']}"
    assert handed_over.content == b""
    stored = stack.documents_root / row["file"]
    assert stored.read_bytes() == content
    assert stored.stat().st_mode & 0o777 == 0o644
    assert stored.parent.stat().st_mode & 0o777 == 0o755

    # Another organization's member, and nobody at all, get the same 404 as for a
    # document that does not exist.
    with Visitor(stack).sign_in(outsider.email) as other:
        assert other.get(url).status_code == 404
        assert other.get(url, headers={"Range": "bytes=0-99"}).status_code == 404
        missing = re.sub(r"/documents/\d+/", f"/documents/{document_id + 10_000}/", url)
        assert other.get(missing).status_code == 404
    with Visitor(stack) as anonymous:
        assert anonymous.get(url).status_code == 404

    with stack.client() as client:
        assert client.get("/health/ready").status_code == 200


async def test_processed_upload_is_pushed_live_to_its_organization_only(
    stack: Stack, members: dict[str, Member]
) -> None:
    """Another member of the uploader's organization has the live socket open through
    nginx before the upload: the status badge's fragment saying "Not scanned" (the stack
    runs no virus scanner) reaches them once the document worker is done. A member of
    another organization, on their own organization's socket, receives nothing about the
    document."""
    uploader, watcher, outsider = members["uploader"], members["owner"], members["outsider"]
    assert watcher.organization == uploader.organization != outsider.organization
    with (
        Visitor(stack).sign_in(uploader.email) as visitor,
        Visitor(stack).sign_in(watcher.email) as colleague,
        Visitor(stack).sign_in(outsider.email) as other,
    ):
        async with (
            live_socket(stack, colleague, watcher.organization) as watching,
            live_socket(stack, other, outsider.organization) as elsewhere,
        ):
            document_id, _url = await asyncio.to_thread(
                visitor.upload, uploader.organization, "watched-live.txt", text_file(20_000)
            )
            status_id = f"document-status-{await asyncio.to_thread(public_id, stack, document_id)}"

            clean = await receive_until(
                watching, lambda html: "Not scanned" in status_labels(html, status_id), timeout=30
            )
            assert f'<span id="{status_id}" class="document-status" hx-swap-oob="true">' in clean
            assert document_row(stack, document_id)["status"] == "clean"

            foreign = await received_within(elsewhere, 2)
            assert not [html for html in foreign if status_id in html], foreign


def test_killed_worker_task_runs_again_after_restart(
    stack: Stack, members: dict[str, Member]
) -> None:
    """The document worker is killed (SIGKILL to its whole process group, as when its
    container is killed) while ``process_document`` runs. The task was acknowledged late,
    so the broker still holds it; once the visibility timeout has passed, the worker
    started again with the same command receives it and the document becomes clean, once."""
    uploader = members["uploader"]
    content = text_file(50_000)
    killed = stack.processes["worker-documents"]
    with documents_queue_paused(stack), Visitor(stack).sign_in(uploader.email) as visitor:
        document_id, url = visitor.upload(uploader.organization, "killed-worker.txt", content)
        with row_locked(stack, document_id):
            consume_documents(stack, "worker-documents")
            wait_for(lambda: bool(blocked_updates(stack)), 30, "task waiting to write", stack)
            assert document_row(stack, document_id)["status"] == "pending"
            os.killpg(killed.pid, signal.SIGKILL)
            assert killed.stop() == -signal.SIGKILL
        # Released: the killed worker's session has no one left to commit it.
        time.sleep(0.5)
        assert document_row(stack, document_id)["status"] == "pending"
        assert clean_events(stack, document_id) == 0

        # Nothing was lost: the broker still holds the delivery, unacknowledged.
        deliveries = unacked_deliveries(stack, document_id)
        assert len(deliveries) == 1, deliveries
        [(delivery_tag, delivered_at)] = deliveries.items()
        # A worker returns expired deliveries to their queue when it starts (and then
        # about every 100 s): start it once this one has expired.
        time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT + 1 - time.time()))
        restarted = stack.start_celery("worker-documents")
        assert (restarted.argv, restarted.env) == (killed.argv, killed.env)
        wait_until_clean(stack, document_id, timeout=60)

    assert clean_events(stack, document_id) == 1
    # Acknowledged once it succeeded (just after its transaction committed).
    wait_for(
        lambda: delivery_tag not in unacked_deliveries(stack, document_id),
        10,
        "acknowledgement of the redelivered task",
        stack,
    )
    task_id = process_task_id(stack, "worker-documents", document_id)
    # The same task started twice (killed, then again) and succeeded once.
    assert task_lines(stack, "worker-documents", "task_started", task_id) == 2
    assert task_lines(stack, "worker-documents", "task_succeeded", task_id) == 1
    stack.wait_for_worker("worker-documents")
    with Visitor(stack).sign_in(uploader.email) as visitor:
        assert visitor.get(url).content == content


def test_killed_pool_process_task_is_requeued_at_once(
    stack: Stack, members: dict[str, Member]
) -> None:
    """Only the pool process running the task dies (as under the kernel's OOM killer); the
    worker itself survives. ``reject_on_worker_lost`` returns the task to its queue at
    once, a new pool process runs it, and the document becomes clean, once."""
    uploader = members["uploader"]
    content = text_file(50_000)
    worker = stack.processes["worker-documents"]
    with documents_queue_paused(stack), Visitor(stack).sign_in(uploader.email) as visitor:
        document_id, _url = visitor.upload(uploader.organization, "lost-process.txt", content)
        with row_locked(stack, document_id):
            consume_documents(stack, "worker-documents")
            wait_for(lambda: bool(blocked_updates(stack)), 30, "task waiting to write", stack)
            [(first_backend, port)] = blocked_updates(stack)
            victim = process_with_local_port(children(worker.pid), port)
            os.kill(victim, signal.SIGKILL)
            # Requeued and started again by a new pool process, which waits at the same
            # row lock, next to the dead process's session.
            wait_for(
                lambda: any(pid != first_backend for pid, _ in blocked_updates(stack)),
                30,
                "the task running again",
                stack,
            )
            assert victim not in children(worker.pid)
        wait_until_clean(stack, document_id)

    assert worker.running()
    assert clean_events(stack, document_id) == 1
    task_id = process_task_id(stack, "worker-documents", document_id)
    assert task_lines(stack, "worker-documents", "task_started", task_id) == 2
    assert task_lines(stack, "worker-documents", "task_succeeded", task_id) == 1
    assert "WorkerLostError" in worker.log()


def test_lost_pool_process_is_logged_as_json(stack: Stack) -> None:
    """Runs after the test above: the worker's report of the killed pool process."""
    log = stack.processes["worker-documents"].log()
    assert "exited with 'signal 9 (SIGKILL)'" in log
    assert stack.processes["worker-documents"].non_json_lines() == []
