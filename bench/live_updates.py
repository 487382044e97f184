"""Live updates over websockets on ONE uvicorn worker: broadcast latency and memory with
1,000 clients, per channel layer, and the latency from a Celery task's completion to the
fragment at a connected client. Results and analysis: docs/benchmarks.md, "Live updates".

Targets (issue "Live dashboards over Channels"): a broadcast reaches 1,000 clients of one
organization with p99 <= 250 ms; an idle connection costs <= 150 KB of server RSS; task
completion -> fragment at a client p95 <= 100 ms.

For each layer of ``--layers`` (bench/live_settings.py: ``default`` = the configured
ResyncingPubSubChannelLayer, ``pubsub`` = the stock RedisPubSubChannelLayer, ``core`` =
RedisChannelLayer), with a fresh uvicorn (docker/start_server.sh's options,
``--workers 1 --ws websockets-sansio``, serving bench/live_asgi.py) and a fresh Celery worker
(``-Q default,documents,notifications,maintenance --concurrency 1``):

1. one client connected; ``--uploads`` plain-text documents uploaded through
   document_create, one a second. Latency = the client's receive time of the first fragment
   whose ``document-status-<public_id>`` badge says "Clean" - ``created_at`` of the
   ``document.clean`` AuditEvent, which document_mark_processed writes in the transaction
   that records the result (so it includes the commit, the on-commit receiver's queries and
   rendering, the channel layer and the server's fan-out).
2. the client leaves; server RSS "before"; ``--clients`` clients (sessions of ``--users``
   members, round robin) connect, 50 handshakes at a time, and stay idle; once no frame has
   arrived for 2 s (or after ``--quiet-limit``), server RSS "after";
   (after - before) / clients per connection.
3. ``--broadcasts`` broadcasts, 1.5 s apart, of a 2 KB fragment carrying its send time,
   through the app's publisher (dashboards.publisher.group_send in a separate process, as a
   Celery worker sends). Latency = client receive time - send time, every client and
   broadcast. With ``--py-spy``, the server is sampled meanwhile.
4. step 1 again with all clients connected (every client measured).

``--presence off`` and ``--dispatch channels`` change, in the server only, two app
behaviours that dominate the figures (see bench/live_asgi.py): no presence broadcasts, and
Channels' per-message database hop put back. Then, unless ``--probe-users 0``, a probe
with distinct users: members of another organization, one socket each, connected one after
another for ``--probe-seconds``, to show what the presence announcement on connect costs
when every socket is a different user.

Clients are asyncio tasks in this process (websockets, permessage-deflate offered as
browsers do). Everything runs on 127.0.0.1: PostgreSQL 5432 (a scratch database, created,
migrated and dropped), Redis 6379 db 8 (flushed before each step and at the end).

    .venv/bin/python bench/live_updates.py --layers default,pubsub,core --probe-users 0 \
        --py-spy /tmp/pyspy/bin/py-spy
    .venv/bin/python bench/live_updates.py --layers default --dispatch channels --probe-users 0
    .venv/bin/python bench/live_updates.py --layers default --broadcasts 5 --uploads 5 \
        --probe-seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import websockets
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 8
SESSION_COOKIE = "sessionid"
RUN_LIMIT_SECONDS = 18 * 60
# name: (LIVE_BENCH_LAYER, LIVE_BENCH_SOCKET_TIMEOUT, description); see bench/live_settings.py
LAYERS = {
    "default": ("default", "", "ResyncingPubSubChannelLayer, as configured"),
    "pubsub": ("pubsub", "", "RedisPubSubChannelLayer, stock"),
    "core": ("core", "", "RedisChannelLayer, socket_timeout 15 s, capacity 1,500"),
}
PING = re.compile(r'data-seq="(-?\d+)" data-sent="([0-9.]+)"')
STATUS = re.compile(r'id="document-status-([0-9a-f-]{36})"')


# --- statistics ----------------------------------------------------------------------------
def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pct(p: float) -> float:
        # Nearest rank: the smallest value with at least p% of the samples at or below it.
        rank = max(1, -(-len(ordered) * p // 100))
        return round(ordered[int(rank) - 1], 1)

    return {
        "n": len(ordered),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


# --- websocket clients ---------------------------------------------------------------------
class Traffic:
    last_frame = 0.0
    frames = 0
    bytes = 0


class Client:
    def __init__(self, session: str) -> None:
        self.session = session
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.pings: dict[int, float] = {}
        self.clean: dict[str, float] = {}
        self.presence_bytes = 0
        self.document_frame_bytes = 0
        self.close_code: int | None = None

    async def open(self, url: str, origin: str, compression: str | None) -> None:
        self.ws = await connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"{SESSION_COOKIE}={self.session}"},
            compression=compression,
            ping_interval=None,  # browsers do not ping; the server does (every 20 s)
            open_timeout=120,
            max_size=2**24,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in self.ws:
                now = time.time()
                text = message if isinstance(message, str) else message.decode()
                Traffic.last_frame = now
                Traffic.frames += 1
                Traffic.bytes += len(text)
                if "bench-ping" in text:
                    found = PING.search(text)
                    if found:
                        self.pings.setdefault(int(found.group(1)), now)
                elif "document-status-" in text:
                    self.document_frame_bytes = max(self.document_frame_bytes, len(text))
                    self._statuses(text, now)
                elif 'id="members-online"' in text:
                    self.presence_bytes = len(text)
        self.close_code = self.ws.close_code

    def _statuses(self, text: str, now: float) -> None:
        matches = list(STATUS.finditer(text))
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            public_id = match.group(1)
            if public_id not in self.clean and "Clean" in text[match.end() : end]:
                self.clean[public_id] = now

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()

    def abort(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.transport.abort()


async def open_all(
    clients: list[Client], url: str, origin: str, *, concurrency: int, compression: str | None
) -> int:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: Client) -> None:
        async with gate:
            await client.open(url, origin, compression)

    results = await asyncio.gather(*(one(c) for c in clients), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        print(f"  {len(failures)} connections failed, first: {failures[0]!r}", flush=True)
    return len(failures)


async def quiet(seconds: float, limit: float) -> float:
    """Wait until no frame has arrived for ``seconds``; returns the time waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if time.time() - Traffic.last_frame >= seconds:
            break
        await asyncio.sleep(0.2)
    return round(time.monotonic() - started, 1)


# --- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one below
        )


def stop(process: subprocess.Popen[bytes] | None, grace: float) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM if grace else signal.SIGKILL)
    try:
        process.wait(timeout=grace or 10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """One uvicorn worker with docker/start_server.sh's options, serving bench.live_asgi
    (config.asgi, presence announcements optionally off)."""
    return start(
        [
            str(VENV_BIN / "uvicorn"),
            "bench.live_asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--http",
            "httptools",  # as docker/start_server.sh
            "--ws",
            "websockets-sansio",
            "--ws-ping-interval",
            "20",
            "--ws-ping-timeout",
            "20",
            "--ws-max-size",
            "1048576",
            "--lifespan",
            "off",
            "--no-server-header",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env,
        log,
    )


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def server_usage(pid: int) -> tuple[int, float]:
    """RSS in bytes and CPU seconds of the server and any children."""
    root = psutil.Process(pid)
    rss, cpu = 0, 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            rss += process.memory_info().rss
            times = process.cpu_times()
            cpu += times.user + times.system
    return rss, cpu


PROFILE_PARTS = {
    "channels aclose_old_connections": "aclose_old_connections (channels/db.py",
    "permessage-deflate": "PerMessageDeflate.encode",
    "uvicorn websocket send": "WebSocketsSansIOProtocol.send (",
    "channel layer receive": "Layer.receive (channels_redis/",
}


def start_profile(
    args: argparse.Namespace, pid: int, layer: str, *, seconds: float
) -> tuple[subprocess.Popen[bytes], Path] | None:
    """py-spy (``pip install py-spy``), when given, samples the server during broadcasts."""
    if not args.py_spy:
        return None
    output = args.output.with_suffix(f".{layer}.pyspy.txt")
    command = [str(args.py_spy), "record", "-p", str(pid), "-d", str(int(seconds))]
    command += ["-r", "100", "-f", "raw", "--nonblocking", "-o", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, output


def read_profile(process: subprocess.Popen[bytes], output: Path) -> dict[str, Any]:
    """Share of the server's busy samples (not waiting in the event loop's select) whose
    stack contains each part."""
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    busy, parts = 0, dict.fromkeys(PROFILE_PARTS, 0)
    if not output.exists():
        return {"error": "py-spy wrote nothing"}
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or "Runner.run (asyncio/runners.py" in stack.rsplit(";", 1)[-1]:
            continue  # the loop waiting for events
        busy += int(count)
        for name, marker in PROFILE_PARTS.items():
            if marker in stack:
                parts[name] += int(count)
    return {
        "busy_samples": busy,
        "share": {name: round(n / max(busy, 1), 2) for name, n in parts.items()},
        "file": str(output),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def closes(clients: list[Client]) -> dict[str, int]:
    """Sockets the server has closed so far, by close code."""
    codes: dict[str, int] = {}
    for client in clients:
        if client.close_code is not None:
            codes[str(client.close_code)] = codes.get(str(client.close_code), 0) + 1
    return codes


def flush_redis() -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()


async def django_step(env: dict[str, str], *args: str, timeout: float) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bench.live_django",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        raise
    for line in out.decode().splitlines():
        if line.startswith("LIVE_RESULT "):
            return dict(json.loads(line.removeprefix("LIVE_RESULT ")))
    raise SystemExit(f"bench.live_django {args[0]} failed:\n{err.decode()[-3000:]}")


# --- measurements ------------------------------------------------------------------------------
def celery_latency(clients: list[Client], upload: dict[str, Any]) -> dict[str, Any]:
    every, first_client = [], []
    missing, missed_by = 0, set()
    for document in upload["documents"]:
        if document["status"] != "clean" or document["clean_at"] is None:
            missing += len(clients)
            continue
        for index, client in enumerate(clients):
            received = client.clean.get(document["public_id"])
            if received is None:
                missing += 1
                missed_by.add(index)
                continue
            latency = (received - document["clean_at"]) * 1000
            every.append(latency)
            if index == 0:
                first_client.append(latency)
    return {
        "documents": len(upload["documents"]),
        "all_processed": upload["all_processed"],
        "missing": missing,
        "missed_by": sorted(missed_by)[:10],
        "fragment_bytes": max((c.document_frame_bytes for c in clients), default=0),
        "all_clients_ms": summary(every),
        "one_client_ms": summary(first_client),
    }


def broadcast_latency(clients: list[Client], run: dict[str, Any]) -> dict[str, Any]:
    pooled, per_broadcast = [], []
    for send in run["sends"]:
        got = [
            (c.pings[send["seq"]] - send["sent"]) * 1000 for c in clients if send["seq"] in c.pings
        ]
        pooled.extend(got)
        stats = summary(got)
        missed = [i for i, c in enumerate(clients) if send["seq"] not in c.pings]
        per_broadcast.append(
            {
                "seq": send["seq"],
                "delivered": len(got),
                "missed_by": missed[:10],
                "p50": stats.get("p50"),
                "p99": stats.get("p99"),
                "max": stats.get("max"),
                "send_call_ms": round(send["call_ms"], 1),
            }
        )
    return {
        "clients": len(clients),
        "broadcasts": len(run["sends"]),
        "fragment_bytes": run["bytes"],
        "latency_ms": summary(pooled),
        "per_broadcast": per_broadcast,
    }


async def run_layer(
    layer: str, base_env: dict[str, str], seed: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    backend, socket_timeout, description = LAYERS[layer]
    env = {
        **base_env,
        "LIVE_BENCH_LAYER": backend,
        "LIVE_BENCH_SOCKET_TIMEOUT": socket_timeout,
        # Redis pub/sub channels are not per database: keep this run's names apart.
        "CHANNEL_LAYER_PREFIX": f"livebench{secrets.token_hex(3)}",
        "LIVE_BENCH_PRESENCE": args.presence,
        "LIVE_BENCH_DISPATCH": args.dispatch,
    }
    flush_redis()
    workdir = Path(base_env["LIVE_BENCH_WORKDIR"])
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws/live/?org={seed['main']['slug']}"
    origin = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {
        "layer": layer,
        "description": description,
        "presence": args.presence,
        "dispatch": args.dispatch,
        "loadavg": {},
    }
    server = worker = None
    clients: list[Client] = []
    solo = Client(seed["main"]["sessions"][0])
    try:
        server = start_server(env, port, workdir / "uvicorn.log")
        wait_port(port, server)
        worker = start(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "default,documents,notifications,maintenance",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
            ],
            env,
            workdir / "celery.log",
        )
        upload_args = ["upload", "--count", str(args.uploads), "--interval", "1.0"]

        print(f"[{layer}] task completion -> fragment, 1 client", flush=True)
        result["loadavg"]["start"] = load()
        await solo.open(url, origin, args.compression)
        await asyncio.sleep(1)
        upload = await django_step(env, *upload_args, timeout=150)
        result["celery_1_client"] = celery_latency([solo], upload)
        result["celery_1_client"]["closed_by_server"] = closes([solo])
        await solo.close()
        await asyncio.sleep(2)

        print(f"[{layer}] connecting {args.clients} clients", flush=True)
        result["loadavg"]["connect"] = load()
        rss_before, cpu_before = server_usage(server.pid)
        clients = [Client(s) for s in seed["main"]["sessions"][: args.clients]]
        frames_before, bytes_before = Traffic.frames, Traffic.bytes
        started = time.monotonic()
        failed = await open_all(clients, url, origin, concurrency=50, compression=args.compression)
        handshakes = time.monotonic() - started
        settle = await quiet(2.0, args.quiet_limit)
        await asyncio.sleep(1)
        rss_after, cpu_after = server_usage(server.pid)
        connected = len(clients) - failed
        result["connect"] = {
            "clients": len(clients),
            "failed": failed,
            "handshakes_s": round(handshakes, 1),
            "until_quiet_s": round(time.monotonic() - started - 1, 1),
            "waited_for_quiet_s": settle,
            "quiet_reached": settle < args.quiet_limit,
            "frames_received": Traffic.frames - frames_before,
            "bytes_received": Traffic.bytes - bytes_before,
            "presence_fragment_bytes": max(c.presence_bytes for c in clients),
            "server_cpu_s": round(cpu_after - cpu_before, 1),
        }
        result["memory"] = {
            "rss_before_mib": round(rss_before / 2**20, 1),
            "rss_after_mib": round(rss_after / 2**20, 1),
            "per_connection_kb": round((rss_after - rss_before) / max(connected, 1) / 1024, 1),
        }
        print(f"  {json.dumps(result['connect'])}\n  {json.dumps(result['memory'])}", flush=True)

        print(f"[{layer}] {args.broadcasts} broadcasts to {connected} clients", flush=True)
        result["loadavg"]["broadcast"] = load()
        cpu_before = server_usage(server.pid)[1]
        spy = start_profile(args, server.pid, layer, seconds=args.broadcasts * 1.5 + 6)
        run = await django_step(
            env,
            "broadcast",
            "--org-id",
            str(seed["main"]["id"]),
            "--count",
            str(args.broadcasts),
            "--interval",
            "1.5",
            "--bytes",
            "2048",
            timeout=120,
        )
        await quiet(1.0, 10)
        result["broadcast"] = broadcast_latency(clients, run)
        result["broadcast"]["server_cpu_s"] = round(server_usage(server.pid)[1] - cpu_before, 1)
        if spy is not None:
            result["broadcast"]["profile"] = read_profile(*spy)
        print(f"  {json.dumps(result['broadcast']['latency_ms'])}", flush=True)

        print(f"[{layer}] task completion -> fragment, {connected} clients", flush=True)
        result["loadavg"]["celery_all"] = load()
        upload = await django_step(env, *upload_args, timeout=150)
        await quiet(1.0, 10)
        result["celery_all_clients"] = celery_latency(clients, upload)
        result["rss_end_mib"] = round(server_usage(server.pid)[0] / 2**20, 1)
        result["closed_by_server"] = closes(clients)
        print(f"  closed by the server: {result['closed_by_server']}", flush=True)
    finally:
        stop(server, 0)  # killed: closing 1,000 sockets would announce presence 1,000 times
        for client in [solo, *clients]:
            client.abort()
        stop(worker, 15)
    return result


async def run_probe(
    base_env: dict[str, str], seed: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    backend, socket_timeout, _ = LAYERS[args.probe_layer]
    env = {
        **base_env,
        "LIVE_BENCH_LAYER": backend,
        "LIVE_BENCH_SOCKET_TIMEOUT": socket_timeout,
        "CHANNEL_LAYER_PREFIX": "liveprobe",
        "LIVE_BENCH_PRESENCE": "on",
        "LIVE_BENCH_DISPATCH": args.dispatch,
    }
    flush_redis()
    port = free_port()
    workdir = Path(base_env["LIVE_BENCH_WORKDIR"])
    url = f"ws://127.0.0.1:{port}/ws/live/?org={seed['probe']['slug']}"
    origin = f"http://127.0.0.1:{port}"
    clients = [Client(s) for s in seed["probe"]["sessions"]]
    steps: list[dict[str, Any]] = []
    server = start_server(env, port, workdir / "probe.log")
    try:
        wait_port(port, server)
        frames0, bytes0 = Traffic.frames, Traffic.bytes
        _, cpu0 = server_usage(server.pid)
        started = time.monotonic()
        opened = 0
        for client in clients:
            if time.monotonic() - started > args.probe_seconds:
                break
            await client.open(url, origin, args.compression)
            opened += 1
            if opened % 100 == 0:
                steps.append(
                    {
                        "connected": opened,
                        "seconds": round(time.monotonic() - started, 1),
                        "frames": Traffic.frames - frames0,
                        "mib": round((Traffic.bytes - bytes0) / 2**20, 1),
                        "server_cpu_s": round(server_usage(server.pid)[1] - cpu0, 1),
                        "presence_fragment_bytes": client.presence_bytes
                        or max(c.presence_bytes for c in clients[:opened]),
                    }
                )
                print(f"  probe {json.dumps(steps[-1])}", flush=True)
        return {
            "layer": args.probe_layer,
            "loadavg": load(),
            "users": len(clients),
            "connected": opened,
            "seconds": round(time.monotonic() - started, 1),
            "frames": Traffic.frames - frames0,
            "mib": round((Traffic.bytes - bytes0) / 2**20, 1),
            "largest_presence_fragment_bytes": max(c.presence_bytes for c in clients),
            "steps": steps,
        }
    finally:
        stop(server, 0)
        for client in clients:
            client.abort()


# --- environment ----------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    import redis

    info = redis.Redis(host=REDIS_HOST, port=REDIS_PORT).info("server")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": os.cpu_count(),
        "free_h": subprocess.run(["free", "-h"], capture_output=True, text=True).stdout,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            name: metadata.version(name)
            for name in ("uvicorn", "websockets", "channels", "channels-redis", "redis", "Django")
        },
        "redis_server": info.get("redis_version"),
    }


def raise_open_files(wanted: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    results: dict[str, Any] = {"machine": machine(), "open_files": raise_open_files()}
    results["args"] = {
        k: str(v) for k, v in vars(args).items() if k not in {"output", "logs", "py_spy"}
    }
    database = f"orgportal_live_{secrets.token_hex(4)}"
    workdir = Path(tempfile.mkdtemp(prefix="live-bench-"))
    base_env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.live_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(workdir / "media"),
        "SECURE_DOCUMENTS_ROOT": str(workdir / "protected"),
        "DOCUMENT_UPLOAD_RATE": "10000/m",
        "LIVE_BENCH_WORKDIR": str(workdir),
    }
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        flush_redis()
        started = time.monotonic()
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env=base_env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        print(f"migrated {database} in {time.monotonic() - started:.0f} s", flush=True)
        seed = await django_step(
            base_env,
            "seed",
            "--sessions",
            str(args.clients),
            "--users",
            str(args.users),
            "--probe-users",
            str(args.probe_users),
            timeout=600,
        )
        print(f"seeded in {seed['seconds']} s", flush=True)
        results["seed_seconds"] = seed["seconds"]
        results["layers"] = {}
        for layer in args.layers:
            results["layers"][layer] = await run_layer(layer, base_env, seed, args)
        if args.probe_users:
            print("probe: distinct users, one socket each", flush=True)
            results["probe"] = await run_probe(base_env, seed, args)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        flush_redis()
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in workdir.glob("*.log"):
                shutil.copy(log, args.logs / log.name)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", default="default,core", type=lambda s: s.split(","))
    parser.add_argument("--probe-layer", default="default", choices=sorted(LAYERS))
    parser.add_argument(
        "--presence",
        choices=["on", "off"],
        default="on",
        help="off: no presence broadcast on connect/disconnect (bench/live_asgi.py)",
    )
    parser.add_argument(
        "--dispatch",
        choices=["app", "channels"],
        default="app",
        help="channels: live.* messages take Channels' database hop again (bench/live_asgi.py)",
    )
    parser.add_argument(
        "--quiet-limit", type=float, default=240, help="longest wait for the connect storm"
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10, help="members sharing the sockets")
    parser.add_argument("--broadcasts", type=int, default=10)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--probe-users", type=int, default=1000, help="0: no probe")
    parser.add_argument("--probe-seconds", type=float, default=90)
    parser.add_argument(
        "--no-compression",
        dest="compression",
        action="store_const",
        const=None,
        default="deflate",
        help="clients do not offer permessage-deflate",
    )
    parser.add_argument("--output", type=Path, default=Path("/tmp/live_updates.json"))
    parser.add_argument("--logs", type=Path, help="keep the server and worker logs here")
    parser.add_argument("--py-spy", type=Path, help="py-spy binary: profile the broadcasts")
    args = parser.parse_args()
    unknown = set(args.layers) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layers: {', '.join(sorted(unknown))}")
    try:
        from uvloop import run as run_loop  # the clients' loop; uvicorn uses uvloop too
    except ImportError:
        run_loop = asyncio.run
    results = run_loop(asyncio.wait_for(main_async(args), RUN_LIMIT_SECONDS))
    args.output.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
