"""deploy/k8s rendered by the real kustomize (``kubectl kustomize``) and every object
validated against the Kubernetes API schemas that ship in kubernetes-validate's wheel;
then the properties docs/deployment.md promises, checked on the rendered output."""

from __future__ import annotations

import functools
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import ROOT, require_tool

OVERLAYS = ["production", "staging"]
# The oldest Kubernetes the manifests are for (preStop sleep, autoscaling/v2) and the newest
# schema in the wheel.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
QUEUES = {"default", "documents", "notifications", "maintenance"}


@functools.cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = require_tool(
        "kubectl", "kubectl (which embeds kustomize) comes with the machine image's kubectl package"
    )
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered(overlay) if doc["kind"] == kind}


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["spec"]["template"]["spec"]["containers"])


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid(overlay: str, version: str) -> None:
    import kubernetes_validate

    for doc in rendered(overlay):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_workloads(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    assert set(deployments) == {
        "orgportal-web",
        "orgportal-websocket",
        "orgportal-beat",
        *(f"orgportal-worker-{queue}" for queue in QUEUES),
    }
    namespace = {doc["metadata"].get("namespace") for doc in rendered(overlay)} - {None}
    assert len(namespace) == 1, namespace
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= pod["metadata"]["labels"].items()
        ), name
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True, name
        for container in containers(deployment):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert {"cpu", "memory"} <= set(resources["limits"]), name
            # Secrets from the environment: the Secret made from the .env file.
            refs = [ref.get("secretRef", {}).get("name") for ref in container["envFrom"]]
            assert "orgportal-env" in refs, name
            assert container["image"].split(":")[-1] == (
                "v1.0.0" if overlay == "production" else "main"
            ), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_use_the_health_endpoints(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    for name in ("orgportal-web", "orgportal-websocket"):
        (container,) = containers(deployments[name])
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        port = container["readinessProbe"]["httpGet"]["port"]
        assert port in {p["name"] for p in container["ports"]}
    for queue in QUEUES:
        (container,) = containers(deployments[f"orgportal-worker-{queue}"])
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"][-2:] == [
                "/app/docker/healthcheck.py",
                "worker",
            ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_worker_per_queue_and_exactly_one_beat(overlay: str) -> None:
    from django.conf import settings

    deployments = objects(overlay, "Deployment")
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    routed.add(settings.CELERY_TASK_DEFAULT_QUEUE)
    consumed = set()
    for queue in QUEUES:
        (container,) = containers(deployments[f"orgportal-worker-{queue}"])
        queues = set(env_of(container)["CELERY_QUEUES"].split(","))
        assert queue in queues
        consumed |= queues
    assert routed <= consumed
    assert "celery" in consumed  # Celery's fallback queue
    beat = deployments["orgportal-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert not [h for h in objects(overlay, "HorizontalPodAutoscaler").values() if "beat" in str(h)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_job(overlay: str) -> None:
    job = objects(overlay, "Job")["orgportal-migrate"]
    (container,) = containers(job)
    assert env_of(container)["RUN_MIGRATIONS"] == "true"
    assert container["command"][0] == "/app/docker/entrypoint.sh"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The serving pods do not migrate: the Job does, once per release.
    config = objects(overlay, "ConfigMap")["orgportal-config"]["data"]
    assert config["RUN_MIGRATIONS"] == "false"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling(overlay: str) -> None:
    hpas = objects(overlay, "HorizontalPodAutoscaler")
    deployments = objects(overlay, "Deployment")
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    web = hpas["orgportal-web"]["spec"]["metrics"][0]
    assert web["type"] == "Resource"
    assert web["resource"]["name"] == "cpu"
    for queue in QUEUES:
        (metric,) = hpas[f"orgportal-worker-{queue}"]["spec"]["metrics"]
        assert metric["type"] == "External"
        assert metric["external"]["metric"]["name"] == "orgportal_celery_queue_length"
        assert metric["external"]["metric"]["selector"]["matchLabels"] == {"queue": queue}
    # The adapter rule that serves that metric names the same series /metrics exports.
    rules = yaml.safe_load(
        (ROOT / "deploy" / "k8s" / "monitoring" / "prometheus-adapter-rules.yaml").read_text()
    )
    assert rules["external"][0]["name"]["as"] == "orgportal_celery_queue_length"
    from config.metrics import QUEUE_LENGTH

    assert QUEUE_LENGTH._name == "orgportal_celery_queue_length"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_select_running_pods(overlay: str) -> None:
    budgets = objects(overlay, "PodDisruptionBudget")
    deployments = objects(overlay, "Deployment")
    assert {"orgportal-web", "orgportal-websocket"} <= set(budgets)
    for name, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"].items()
        assert any(
            selector <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in deployments.values()
        ), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_websockets_and_services_select_pods(overlay: str) -> None:
    services = objects(overlay, "Service")
    deployments = objects(overlay, "Deployment")
    for name, service in services.items():
        selector = service["spec"]["selector"].items()
        assert any(
            selector <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in deployments.values()
        ), name
    (ingress,) = objects(overlay, "Ingress").values()
    paths = {
        path["path"]: path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert paths["/ws/"] == "orgportal-websocket"
    assert paths["/"] == "orgportal-web"
    assert set(paths.values()) <= set(services)
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    host = ingress["spec"]["rules"][0]["host"]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]
    config = objects(overlay, "ConfigMap")["orgportal-config"]["data"]
    assert config["SITE_URL"] == f"https://{host}"
    # Pods share no disk: documents go to S3, downloads are presigned redirects.
    assert config["DOCUMENT_STORAGE"] == "s3"
    assert config["DOCUMENT_SERVE_MODE"] == "s3"
