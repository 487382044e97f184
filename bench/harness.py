"""Shared machinery of the benchmarks: a scratch deployment on 127.0.0.1 and load tools.

``BenchEnvironment`` creates, and removes afterwards:
- a scratch PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth), migrated;
- an empty Redis database number on 127.0.0.1:6379 (the first empty one of 9..12), with
  its own key prefix; the keys with that prefix are deleted at the end;
- a temporary directory for protected documents, media, collected static files (pages
  name them through the manifest, as in production) and nginx's run files;
- a member, an organization and two plain-text documents (200 MiB and 50 KiB) created
  through the real services, and a signed-in session cookie;
- uvicorn processes started with docker/start_server.sh (the production launcher: Django's
  stock ASGI handler, uvicorn's stock httptools protocol, uvloop, no access log) and
  ``WEB_CONCURRENCY=1``, so each is ONE worker; for comparison, gunicorn serving
  bench/wsgi.py (Django's stock WSGI handler), one worker process with request threads;
- nginx processes started with docker/nginx-entrypoint.sh from docker/nginx.conf, with
  only ports and directories substituted (as tests/deploy does).

Django runs with ``bench.settings``: config.settings.production plus bench/urls.py.
Set ``BENCH_KEEP_WORKDIR=1`` to keep the temporary directory (logs of every process).

Load tools: wrk (Debian: ``apt-get install wrk``; https://github.com/wg/wrk) and curl.
nginx is Debian's nginx-light (``apt-get install nginx-light``), run as a plain process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
MiB = 1024 * 1024
BIG_SIZE = 200 * MiB
SMALL_SIZE = 50 * 1024
# Hard limit for one script: every wait below is bounded too, this is the last resort.
RUN_LIMIT_SECONDS = 20 * 60


def require_tool(name: str, hint: str) -> str:
    search = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    path = shutil.which(name, path=search)
    if path is None:
        raise SystemExit(f"{name} is not installed: {hint}")
    return path


WRK_HINT = "apt-get install wrk (Debian/Ubuntu package 'wrk'; or build github.com/wg/wrk)"
NGINX_HINT = "apt-get install nginx-light (Debian), as the deployment tests use"
CURL_HINT = "apt-get install curl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_time_limit(seconds: int = RUN_LIMIT_SECONDS) -> None:
    """SIGALRM after ``seconds`` raises in the main thread, so cleanup still runs."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"benchmark run exceeded {seconds}s")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


# --- machine --------------------------------------------------------------------------------


def _command_output(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (result.stdout + result.stderr).strip()


def machine_info() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [
        line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line
    ]
    mhz = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "cpu MHz" in line]
    git_head = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _command_output(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": models[0] if models else platform.processor(),
        "cpus": os.cpu_count(),
        "cpu_mhz": mhz[0] if mhz else "",
        "memory": _command_output(["free", "-h"]),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": _command_output([require_tool("nginx", NGINX_HINT), "-v"]),
        "wrk": _command_output([require_tool("wrk", WRK_HINT), "--version"]).splitlines()[0],
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "git": git_head + (" (with uncommitted changes in the working tree)" if dirty else ""),
    }


def print_machine(info: dict[str, Any]) -> None:
    print(f"date:    {info['date']}")
    print(
        f"machine: {info['cpus']} x {info['cpu_model']} ({info['cpu_mhz']} MHz), {info['kernel']}"
    )
    print("memory:\n  " + info["memory"].replace("\n", "\n  "))
    print(f"python {info['python']}; {info['nginx']}; {info['wrk']}")
    print(f"load:    {info['load_average']} (1, 5, 15 min) before the run")
    print(f"code:    {info['git']}")
    print()


# --- processes ------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int = 0
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} ({self.log_path}) ---\n{text[-chars:]}"

    def wait_until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited before {what}\n{self.tail()}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {what} after {timeout}s\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Signal this process, wait, then kill whatever is left in its own process group."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (nginx workers, uvicorn workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(
                    int(entry.name)
                )
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(parents.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(pid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class RssSampler:
    """Samples VmRSS every ``interval`` seconds in a thread, keeping the maximum."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, KeyError):
                self.peak = max(self.peak, proc_status(self.pid)["VmRSS"])
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- load -----------------------------------------------------------------------------------


@dataclass
class WrkResult:
    url: str
    connections: int
    duration_s: float
    requests: int
    bytes: int
    errors: dict[str, int]
    latency_p50_ms: float
    latency_p99_ms: float
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s

    @property
    def mib_per_s(self) -> float:
        return self.bytes / MiB / self.duration_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "connections": self.connections,
            "duration_s": round(self.duration_s, 2),
            "requests": self.requests,
            "bytes": self.bytes,
            "requests_per_s": round(self.requests_per_s, 1),
            "mib_per_s": round(self.mib_per_s, 1),
            "errors": self.errors,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "cpu_seconds": self.cpu_seconds,
        }


def wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    cookie: str | None = None,
    threads: int = 2,
    timeout: int = 60,
    meters: dict[str, Callable[[], float]] | None = None,
) -> WrkResult:
    """One wrk run of ``duration`` seconds with ``connections`` keep-alive connections.
    ``meters`` (name -> CPU seconds so far) are read before and after the run."""
    meters = meters or {}
    cpu_before = {name: meter() for name, meter in meters.items()}
    argv = [
        require_tool("wrk", WRK_HINT),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout}s",
        "-s",
        str(BENCH / "wrk_report.lua"),
    ]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    argv.append(url)
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + timeout + 30, check=False
    )
    cpu = {name: round(meter() - cpu_before[name], 3) for name, meter in meters.items()}
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {url}:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = {
        key.removesuffix("_errors"): data[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        if data[key]
    }
    return WrkResult(
        url=url,
        connections=connections,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        bytes=data["bytes"],
        errors=errors,
        latency_p50_ms=round(data["latency_p50_us"] / 1000, 2),
        latency_p99_ms=round(data["latency_p99_us"] / 1000, 2),
        cpu_seconds=cpu,
    )


@dataclass
class Download:
    status: int
    size: int
    first_byte: float  # seconds until the response started
    seconds: float


def curl_parallel(url: str, count: int, *, cookie: str, max_time: int = 240) -> list[Download]:
    """``count`` downloads started at once (one curl process each), body to /dev/null."""
    curl = require_tool("curl", CURL_HINT)
    argv = [
        curl,
        "-sS",
        "-o",
        "/dev/null",
        "--max-time",
        str(max_time),
        "-H",
        f"Cookie: {cookie}",
        "-w",
        "%{http_code} %{size_download} %{time_starttransfer} %{time_total}",
        url,
    ]
    processes = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    downloads = []
    for process in processes:
        out, err = process.communicate(timeout=max_time + 30)
        parts = out.split()
        if len(parts) != 4:
            raise RuntimeError(f"curl failed on {url}: {out} {err}")
        downloads.append(Download(int(parts[0]), int(parts[1]), float(parts[2]), float(parts[3])))
    return downloads


# --- the environment ------------------------------------------------------------------------


@dataclass
class Document:
    id: int
    url: str
    filename: str
    relative_path: str
    path: str
    size: int
    content_type: str

    @property
    def wagtail_url(self) -> str:
        return f"/bench/wagtail-serve/{self.id}/{quote(self.filename)}"

    @property
    def static_url(self) -> str:
        """The same file as a static file of nginx (NGINX_STATIC_ROOT is the documents root)."""
        return "/static/" + quote(self.relative_path)


@dataclass
class BenchEnvironment:
    workdir: Path = field(init=False)
    database: str = field(init=False)
    redis_db: int = field(init=False)
    cookie: str = field(init=False)
    email: str = field(init=False)
    big: Document = field(init=False)
    small: Document = field(init=False)
    processes: list[Process] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    # One key for every process: the session's auth hash is signed with it.
    secret_key: str = field(default_factory=lambda: "bench-" + secrets.token_urlsafe(40))
    redis_prefix: str = field(default_factory=lambda: f"orgportal-bench-{secrets.token_hex(4)}")

    # -- set-up ------------------------------------------------------------------------------

    def __enter__(self) -> BenchEnvironment:
        try:
            self._set_up()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _set_up(self) -> None:
        for tool, hint in (("wrk", WRK_HINT), ("nginx", NGINX_HINT), ("curl", CURL_HINT)):
            require_tool(tool, hint)
        self.workdir = Path(tempfile.mkdtemp(prefix="orgportal-bench-"))
        self.workdir.chmod(0o755)  # nginx's unprivileged workers read documents from here
        if not os.environ.get("BENCH_KEEP_WORKDIR"):
            self._stack.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        for sub in ("protected", "media", "static", "logs"):
            (self.workdir / sub).mkdir(mode=0o755)
        self._stack.callback(self._stop_processes)
        self._create_database()
        self._claim_redis_db()
        started = time.monotonic()
        self.manage("migrate", "--no-input", timeout=300)
        print(f"[setup] migrated the scratch database in {time.monotonic() - started:.0f}s")
        # Pages name static files through the manifest, as in production.
        self.manage("collectstatic", "--no-input", timeout=300)
        data = self.django("setup", str(self.workdir), str(BIG_SIZE), str(SMALL_SIZE))
        self.cookie = f"{data['cookie_name']}={data['cookie']}; {data['csrf_cookie']}"
        self.email = data["email"]
        self.big = Document(**data["documents"]["big"])
        self.small = Document(**data["documents"]["small"])
        # Both documents in the page cache before anything is measured.
        for document in (self.big, self.small):
            with open(document.path, "rb") as handle:
                while handle.read(8 * MiB):
                    pass

    def _create_database(self) -> None:
        import psycopg

        self.database = f"orgportal_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self._stack.callback(self._drop_database)

    def _drop_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _claim_redis_db(self) -> None:
        import redis

        for number in range(9, 13):
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
            if client.dbsize() == 0:
                self.redis_db = number
                self._stack.callback(self._delete_redis_keys, client)
                return
        raise SystemExit("Redis databases 9..12 on 127.0.0.1:6379 are all in use")

    def _delete_redis_keys(self, client: Any) -> None:
        """Only our keys (cache and channel-layer prefix): the database may have been taken
        into use by someone else meanwhile. Celery runs eagerly, so it leaves no keys."""
        for key in client.scan_iter(match=f"{self.redis_prefix}*", count=500):
            client.delete(key)

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def app_env(self, **overrides: str) -> dict[str, str]:
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}"
        env = {
            "PATH": os.pathsep.join([str(VENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "http://127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": self.redis_prefix,
            "CHANNEL_LAYER_PREFIX": self.redis_prefix,
            # Document processing (hash, type, scan) runs inline at upload, as a worker
            # would run it, and leaves no broker keys behind.
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "SECURE_DOCUMENTS_ROOT": str(self.workdir / "protected"),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "STATIC_ROOT": str(self.workdir / "static"),
            "DOCUMENT_MAX_UPLOAD_BYTES": str(300 * MiB),
            "DOCUMENT_SERVE_MODE": "stream",
            "PYTHONPATH": str(ROOT),
        }
        env.update(overrides)
        return env

    def manage(self, *args: str, timeout: int = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.app_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def django(self, *args: str, timeout: int = 300) -> Any:
        """Run bench/django_setup.py with the app's environment; its JSON answer."""
        result = subprocess.run(
            [sys.executable, "-m", "bench.django_setup", *args],
            cwd=ROOT,
            env=self.app_env(LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if result.returncode != 0 or line is None:
            raise RuntimeError(f"django_setup {args[0]} failed:\n{result.stdout}{result.stderr}")
        return json.loads(line.removeprefix("BENCH_JSON "))

    # -- processes ---------------------------------------------------------------------------

    def start_app(self, mode: str = "stream", name: str = "", **overrides: str) -> Process:
        """uvicorn via docker/start_server.sh, serving documents in ``mode``: one worker
        unless ``WEB_CONCURRENCY`` is overridden."""
        port = free_port()
        settings = {
            "DOCUMENT_SERVE_MODE": mode,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
        }
        env = self.app_env(**{**settings, **overrides})
        name = name or f"app-{mode}-{port}"
        process = Process(
            name,
            ["bash", str(ROOT / "docker" / "start_server.sh")],
            env,
            self.workdir / "logs" / f"{name}.log",
            port=port,
        ).start()
        self.processes.append(process)
        process.wait_until(lambda: http_status(port, "/health/live") == 200, 60, "liveness")
        return process

    def start_wsgi(self, mode: str = "stream", threads: int = 8, **overrides: str) -> Process:
        """gunicorn serving bench/wsgi.py (Django's stock WSGI handler): ONE worker process
        with ``threads`` request threads (gthread, which keeps connections alive)."""
        port = free_port()
        env = self.app_env(DOCUMENT_SERVE_MODE=mode, **overrides)
        name = f"wsgi-{mode}-{port}"
        argv = [
            require_tool("gunicorn", "pip install -r requirements/dev.txt"),
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "75",
            "--forwarded-allow-ips",
            "127.0.0.1",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        process = Process(name, argv, env, self.workdir / "logs" / f"{name}.log", port=port)
        process.start()
        self.processes.append(process)
        process.wait_until(lambda: http_status(port, "/health/live") == 200, 60, "liveness")
        return process

    def start_nginx(self, upstream: Process) -> Process:
        port = free_port()
        run_dir = self.workdir / f"nginx-{port}"
        env = {
            "PATH": os.pathsep.join(["/usr/sbin", "/usr/bin", "/bin"]),
            "NGINX_TEMPLATE": str(ROOT / "docker" / "nginx.conf"),
            "NGINX_RUN_DIR": str(run_dir),
            "NGINX_PORT": str(port),
            "NGINX_APP_UPSTREAM": f"127.0.0.1:{upstream.port}",
            # The documents root doubles as the static root: /static/<path> is the same
            # file served by nginx alone, the baseline of the large-file benchmark.
            "NGINX_STATIC_ROOT": str(self.workdir / "protected"),
            "NGINX_MEDIA_ROOT": str(self.workdir / "media"),
            "NGINX_PROTECTED_ROOT": str(self.workdir / "protected"),
            "NGINX_CLIENT_MAX_BODY_SIZE": "300m",
            "NGINX_BIN": require_tool("nginx", NGINX_HINT),
        }
        process = Process(
            f"nginx-{port}",
            ["sh", str(ROOT / "docker" / "nginx-entrypoint.sh")],
            env,
            self.workdir / "logs" / f"nginx-{port}.log",
            port=port,
        ).start()
        self.processes.append(process)
        process.wait_until(lambda: http_status(port, "/nginx-health") == 200, 15, "health")
        return process

    def stop(self, process: Process) -> None:
        process.stop(signal.SIGQUIT if process.name.startswith("nginx") else signal.SIGTERM)
        if process in self.processes:
            self.processes.remove(process)

    def _stop_processes(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                self.stop(process)

    # -- CPU meters --------------------------------------------------------------------------

    def postgres_backends(self) -> list[int]:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            ).fetchall()
        return [row[0] for row in rows]

    def meters(self, **processes: Process) -> dict[str, Callable[[], float]]:
        """CPU-time meters for these processes (with their children) and for PostgreSQL's
        backends serving the scratch database."""
        meters: dict[str, Callable[[], float]] = {
            name: (lambda p=process: cpu_seconds(process_tree(p.pid)))
            for name, process in processes.items()
        }
        meters["postgres"] = lambda: cpu_seconds(self.postgres_backends())
        return meters

    # -- database statistics -----------------------------------------------------------------

    def pg_counters(self) -> dict[str, int]:
        """Transactions and inserted rows in the scratch database (pg_stat_database)."""
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            row = conn.execute(
                "SELECT xact_commit + xact_rollback, tup_inserted FROM pg_stat_database "
                "WHERE datname = current_database()"
            ).fetchone()
            downloads = conn.execute(
                "SELECT count(*) FROM organizations_auditevent WHERE action = 'document.downloaded'"
            ).fetchone()
        assert row is not None
        assert downloads is not None
        return {"transactions": row[0], "inserted": row[1], "download_audits": downloads[0]}


def http_status(port: int, path: str, cookie: str | None = None) -> int:
    import httpx

    headers = {"Cookie": cookie} if cookie else {}
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=5)
    return response.status_code


def check_download(port: int, path: str, cookie: str, size: int) -> None:
    """One full download must answer 200 with exactly ``size`` bytes."""
    import httpx

    received = 0
    headers = {"Cookie": cookie, "Accept-Encoding": "identity"}  # as wrk and curl send
    with httpx.stream(
        "GET", f"http://127.0.0.1:{port}{path}", headers=headers, timeout=120
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} on :{port} answered {response.status_code}")
        for chunk in response.iter_raw():
            received += len(chunk)
    if received != size:
        raise RuntimeError(f"GET {path} on :{port} sent {received} bytes, expected {size}")


def paired_ratios(
    runs: dict[str, list[dict[str, Any]]], baseline: str, key: str
) -> dict[str, dict[str, Any]]:
    """Each case against the baseline measured in the same round (so that a disturbance of
    the machine during one round affects both): the median of the per-round ratios."""
    ratios = {}
    for name, results in runs.items():
        per_round = [
            result[key] / base[key] for result, base in zip(results, runs[baseline], strict=True)
        ]
        ratios[name] = {
            "rounds": [round(r, 3) for r in per_round],
            "median": round(statistics.median(per_round), 3),
        }
    return ratios


def save_results(name: str, results: dict[str, Any]) -> Path:
    target = BENCH / "results" / f"{name}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    return target


@contextlib.contextmanager
def environment() -> Iterator[BenchEnvironment]:
    install_time_limit()
    with BenchEnvironment() as env:
        yield env
