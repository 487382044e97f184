"""The monitoring profile with the real tools: promtool checks the Prometheus
configuration and the alert rules and runs a unit test for every alert, amtool checks
Alertmanager's configuration as its entry point fills it in, and every metric an alert or
the Grafana dashboard uses is found in a real scrape of its source (the stack's /metrics,
and redis_exporter, postgres_exporter, node_exporter and blackbox_exporter run against
the stack's Redis, PostgreSQL, backup metrics and readiness endpoint)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from tests.deploy.conftest import (
    ROOT,
    SITE_HOST,
    STACK_METRICS_TOKEN,
    Process,
    Stack,
    base_env,
    compose_config,
    free_port,
    require_tool,
)

MONITORING = ROOT / "docker" / "monitoring"
ALERTS = MONITORING / "alerts.yml"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "orgportal-overview.json"
DEBIAN = ".ci/run installs Debian's {} package"


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


# --- promtool and amtool ------------------------------------------------------------------


def test_promtool_checks_the_rules() -> None:
    promtool = require_tool("promtool", DEBIAN.format("prometheus"))
    result = run([promtool, "check", "rules", str(ALERTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_and_they_pass() -> None:
    promtool = require_tool("promtool", DEBIAN.format("prometheus"))
    tests = yaml.safe_load((MONITORING / "alerts.test.yml").read_text())
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alert_rules()} <= tested
    result = run([promtool, "test", "rules", str(MONITORING / "alerts.test.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_prometheus_configuration(tmp_path: Path) -> None:
    """The file as compose mounts it; only the token file's path is local."""
    promtool = require_tool("promtool", DEBIAN.format("prometheus"))
    token = tmp_path / "metrics_token"
    token.write_text("token")
    config = (MONITORING / "prometheus.yml").read_text()
    assert "credentials_file: /run/secrets/metrics_token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/run/secrets/metrics_token", str(token))
    )
    (tmp_path / "alerts.yml").write_text(ALERTS.read_text())
    result = run([promtool, "check", "config", str(tmp_path / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = {job["job_name"] for job in yaml.safe_load(config)["scrape_configs"]}
    assert {"orgportal-app", "orgportal-ready", "redis", "postgres", "node"} <= jobs


def test_alertmanager_configuration_as_its_entrypoint_writes_it(tmp_path: Path) -> None:
    amtool = require_tool("amtool", DEBIAN.format("prometheus-alertmanager"))
    config = tmp_path / "alertmanager.yml"
    env = {
        **base_env(),
        "ALERT_WEBHOOK_URL": "https://hooks.example.com/orgportal?team=ops",
        "ALERTMANAGER_TEMPLATE": str(MONITORING / "alertmanager.yml"),
        "ALERTMANAGER_CONFIG": str(config),
        "ALERTMANAGER_BIN": "true",
    }
    script = str(MONITORING / "alertmanager-entrypoint.sh")
    result = run(["sh", script], env=env)
    assert result.returncode == 0, result.stderr
    assert "https://hooks.example.com/orgportal?team=ops" in config.read_text()
    checked = run([amtool, "check-config", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Without a URL, or with one that would break out of its YAML string, it refuses.
    for bad in ("", 'https://x.example/"evil'):
        refused = run(["sh", script], env={**env, "ALERT_WEBHOOK_URL": bad})
        assert refused.returncode != 0


def test_monitoring_profile_services() -> None:
    services = compose_config("monitoring", "backup")["services"]
    expected = {
        "prometheus",
        "alertmanager",
        "grafana",
        "redis-exporter-broker",
        "redis-exporter-cache",
        "postgres-exporter",
        "node-exporter",
        "blackbox-exporter",
    }
    assert expected <= set(services)
    assert not expected & set(compose_config()["services"])  # only with the profile
    for name in expected:
        service = services[name]
        assert service["profiles"] == ["monitoring"], name
        assert service["healthcheck"]["test"], name
        assert service["deploy"]["resources"]["limits"]["memory"], name
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name
    assert services["prometheus"]["secrets"][0]["source"] == "metrics_token"
    mounts = {volume["target"] for volume in services["prometheus"]["volumes"]}
    assert {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"} <= mounts
    # The backup writes its freshness where node_exporter's textfile collector reads it.
    backup_metrics = services["backup"]["environment"]["BACKUP_METRICS_FILE"]
    textfile = next(
        arg.split("=", 1)[1]
        for arg in services["node-exporter"]["command"]
        if arg.startswith("--collector.textfile.directory=")
    )
    assert str(Path(backup_metrics).parent) == textfile
    grafana_mounts = {volume["target"] for volume in services["grafana"]["volumes"]}
    assert {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} <= grafana_mounts


def test_grafana_dashboard_is_provisioned_from_the_repository() -> None:
    import promql_parser

    provider = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "dashboards" / "orgportal.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    datasource = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"][0]
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        for target in panel["targets"]:
            promql_parser.parse(target["expr"])


# --- every metric exists ------------------------------------------------------------------

SOURCES = ("django_", "orgportal_", "redis_", "pg_", "node_", "probe_")


def used_metrics() -> set[str]:
    expressions = [rule["expr"] for rule in alert_rules()]
    expressions += [
        target["expr"]
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel["targets"]
    ]
    names = set()
    for expr in expressions:
        names |= set(re.findall(r"\b((?:" + "|".join(SOURCES) + r")[a-z0-9_]+)", expr))
    return names


def exposed(text: str) -> set[str]:
    """Sample names of a Prometheus exposition, with those of families that have no
    sample yet (a labelled counter before its first increment)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            suffixes = {
                "counter": ["_total"],
                "histogram": ["_bucket", "_sum", "_count"],
                "summary": ["_sum", "_count"],
            }.get(kind, [""])
            names |= {family + suffix for suffix in suffixes}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def scrape(url: str, **kwargs: Any) -> str:
    response = httpx.get(url, timeout=20, **kwargs)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    return response.text


@pytest.fixture(scope="module")
def exporters(stack: Stack, workdir: Path) -> Iterator[dict[str, int]]:
    """redis_exporter, postgres_exporter, node_exporter and blackbox_exporter from Debian,
    as the monitoring profile runs them, pointed at the stack."""
    textfile = workdir / "textfile"
    textfile.mkdir()
    # What scripts/backup.sh writes after a backup (test_backup_restore checks that).
    backup = run(
        [str(ROOT / "scripts" / "backup.sh")],
        env={
            **base_env(),
            "DATABASE_URL": stack.database_url,
            "BACKUP_DIR": str(workdir / "monitoring-backups"),
            "BACKUP_METRICS_FILE": str(textfile / "orgportal_backup.prom"),
        },
    )
    assert backup.returncode == 0, backup.stderr
    ports = {name: free_port() for name in ("redis", "postgres", "node", "blackbox")}
    database = urlparse(stack.database_url)
    commands = {
        "redis": (
            [
                require_tool(
                    "prometheus-redis-exporter", DEBIAN.format("prometheus-redis-exporter")
                ),
                f"--redis.addr={stack.redis['redis'].url()}",
                f"--web.listen-address=127.0.0.1:{ports['redis']}",
            ],
            {},
        ),
        "postgres": (
            [
                require_tool(
                    "prometheus-postgres-exporter", DEBIAN.format("prometheus-postgres-exporter")
                ),
                f"--web.listen-address=127.0.0.1:{ports['postgres']}",
            ],
            {
                "DATA_SOURCE_NAME": (
                    f"postgresql://{database.username}@{database.hostname}:{database.port or 5432}"
                    f"{database.path}?sslmode=disable"
                )
            },
        ),
        "node": (
            [
                require_tool("prometheus-node-exporter", DEBIAN.format("prometheus-node-exporter")),
                f"--collector.textfile.directory={textfile}",
                f"--web.listen-address=127.0.0.1:{ports['node']}",
            ],
            {},
        ),
        "blackbox": (
            [
                require_tool(
                    "prometheus-blackbox-exporter", DEBIAN.format("prometheus-blackbox-exporter")
                ),
                f"--config.file={MONITORING / 'blackbox.yml'}",
                f"--web.listen-address=127.0.0.1:{ports['blackbox']}",
            ],
            {},
        ),
    }
    processes = []
    try:
        for name, (argv, env) in commands.items():
            process = Process(
                f"{name}-exporter", argv, {**base_env(), **env}, workdir / f"{name}-exporter.log"
            ).start()
            processes.append(process)
            process.wait_until(
                lambda port=ports[name]: (
                    httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
                ),
                20,
                "metrics",
            )
        yield ports
    finally:
        for process in processes:
            process.stop()


def registered_families() -> set[str]:
    """Sample names of every metric family the app registers for /metrics, including
    labelled ones that have no sample until their first event (prometheus_client then
    leaves them out of the exposition: websocket closes before any socket closed)."""
    from prometheus_client import REGISTRY

    import config.metrics  # noqa: F401 - registers the app's metrics

    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in suffixes.get(family.type, [""])
    }


def test_every_metric_an_alert_or_the_dashboard_uses_exists(
    stack: Stack, exporters: dict[str, int]
) -> None:
    # A task runs first (the reconciling sweep: nothing to do on this stack), so the
    # workers' task counters have samples.
    probe = stack.celery_probe()
    report = probe.send_task("secure_documents.sweep", queue="maintenance").get(timeout=60)
    assert "requeued" in report
    token = STACK_METRICS_TOKEN
    app = scrape(
        f"http://127.0.0.1:{stack.app_port}/metrics",
        headers={"Host": SITE_HOST, "Authorization": f"Bearer {token}"},
    )
    # The blackbox module that probes /health/ready, against the stack's nginx (which the
    # site's Host header gets through to the app).
    probe_result = scrape(
        f"http://127.0.0.1:{exporters['blackbox']}/probe",
        params={
            "module": "http_ready",
            "target": f"http://127.0.0.1:{stack.nginx_port}/nginx-health",
        },
    )
    found = exposed(app) | exposed(probe_result) | registered_families()
    for name in ("redis", "postgres", "node"):
        found |= exposed(scrape(f"http://127.0.0.1:{exporters[name]}/metrics"))
    missing = sorted(used_metrics() - found)
    assert missing == [], f"no source exports {missing}"
    # Sanity of the sources themselves.
    assert "probe_success 1" in probe_result
    node = scrape(f"http://127.0.0.1:{exporters['node']}/metrics")
    assert re.search(r"^orgportal_backup_last_success_timestamp_seconds \d", node, re.MULTILINE)
    assert re.search(
        r'^orgportal_celery_tasks_total\{.*task="secure_documents.sweep"', app, re.MULTILINE
    )
    assert re.search(r'^orgportal_celery_workers\{queue="documents"\} [1-9]', app, re.MULTILINE)
    assert re.search(r'^orgportal_celery_queue_length\{queue="default"\} \d', app, re.MULTILINE)


def test_metrics_refuse_a_scrape_without_the_token(stack: Stack) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{stack.app_port}/metrics", headers={"Host": SITE_HOST}, timeout=10
    )
    assert response.status_code == 403
