"""docker/build-docker-images.sh and docker/update-services.sh against a stand-in
``docker`` client that records its calls (this machine has no Docker engine)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, base_env

FAKE_DOCKER = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "image_tag": os.environ.get("IMAGE_TAG")}) + "\n")
if args[:1] == ["compose"] and "up" in args:
    if os.environ.get("IMAGE_TAG") in os.environ.get("FAKE_UNHEALTHY_TAGS", "").split():
        print("service app is unhealthy", file=sys.stderr)
        sys.exit(1)
if args[:2] == ["image", "ls"]:
    print("\n".join(os.environ.get("FAKE_IMAGE_TAGS", "").split()))
if args[:1] == ["compose"] and "run" in args:
    if "migrate" in args:  # `migrate --check`: 1 when migrations are pending
        sys.exit(1 if os.environ.get("FAKE_PENDING_MIGRATIONS") == "true" else 0)
    if args[-1] == "backup":
        if os.environ.get("FAKE_BACKUP_FAILS") == "true":
            print("backup: error: pg_dump failed", file=sys.stderr)
            sys.exit(1)
        print("/backups/20260101T021500Z")
"""


@pytest.fixture
def fake_docker(tmp_path: Path) -> Path:
    path = tmp_path / "docker"
    path.write_text(FAKE_DOCKER)
    path.chmod(0o755)
    return path


def calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "docker" / script), *args],
        cwd=ROOT,
        env={**base_env(), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_build_tags_from_git_describe_and_pushes_to_the_registry(
    fake_docker: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    result = run(
        "build-docker-images.sh",
        env={
            "DOCKER": str(fake_docker),
            "FAKE_DOCKER_LOG": str(log),
            "REGISTRY": "registry.test/acme/",
        },
    )
    assert result.returncode == 0, result.stderr
    version = git("describe", "--tags", "--always", "--dirty")
    tag = result.stdout.strip()
    assert tag == version.replace("/", "-")
    builds = [c["args"] for c in calls(log) if c["args"][0] == "build"]  # type: ignore[index]
    assert [b[b.index("--target") + 1] for b in builds] == ["app", "worker", "nginx"]  # type: ignore[union-attr]
    for build, target in zip(builds, ["app", "worker", "nginx"], strict=True):
        assert isinstance(build, list)
        assert f"VERSION={version}" in build
        assert f"GIT_COMMIT={git('rev-parse', 'HEAD')}" in build
        assert build[build.index("--tag") + 1] == f"registry.test/acme/orgportal-{target}:{tag}"
        assert build[build.index("--file") + 1] == "docker/Dockerfile"
        assert build[-1] == "."
    pushes = [c["args"] for c in calls(log) if c["args"][0] == "push"]  # type: ignore[index]
    assert pushes == [
        ["push", f"registry.test/acme/orgportal-{t}:{tag}"] for t in ("app", "worker", "nginx")
    ]


def test_build_without_registry_does_not_push(fake_docker: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    result = run(
        "build-docker-images.sh",
        env={
            "DOCKER": str(fake_docker),
            "FAKE_DOCKER_LOG": str(log),
            "VERSION": "v1.2.3",
            "TARGETS": "app",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "v1.2.3"
    assert [c["args"][0] for c in calls(log)] == ["build"]  # type: ignore[index]


@pytest.fixture
def deploy_dir(tmp_path: Path) -> Path:
    env_file = tmp_path / "prod.env"
    env_file.write_text("IMAGE_PREFIX=registry.test/orgportal\nIMAGE_TAG=v1\nSECRET_KEY=x\n")
    return tmp_path


def update(
    deploy_dir: Path, fake_docker: Path, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "DOCKER": str(fake_docker),
        "FAKE_DOCKER_LOG": str(deploy_dir / "calls.jsonl"),
        "ENV_FILE": str(deploy_dir / "prod.env"),
        "STATE_DIR": str(deploy_dir / "state"),
        "WAIT_TIMEOUT": "5",
        **extra,
    }
    return run("update-services.sh", *args, env=env)


def env_tag(deploy_dir: Path) -> str:
    lines = (deploy_dir / "prod.env").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("IMAGE_TAG="))


def compose_calls(deploy_dir: Path) -> list[tuple[str | None, list[str]]]:
    result = []
    for call in calls(deploy_dir / "calls.jsonl"):
        args = call["args"]
        assert isinstance(args, list)
        if args[0] == "compose":
            rest = list(args[3:])
            while rest[0].startswith("-"):  # global options, --profile takes a value
                rest = rest[2:] if rest[0] == "--profile" else rest[1:]
            result.append((call["image_tag"], rest))  # type: ignore[arg-type]
    return result


def test_update_pulls_starts_waits_and_records(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(
        deploy_dir, fake_docker, "v2", FAKE_IMAGE_TAGS="v2 v1 v0 old-1 old-2", KEEP_IMAGES="1"
    )
    assert result.returncode == 0, result.stderr
    steps = compose_calls(deploy_dir)
    # No migrations pending in v2 (migrate --check exits 0): no backup.
    assert [(tag, args[0]) for tag, args in steps] == [
        ("v2", "pull"),
        ("v2", "run"),
        ("v2", "up"),
        ("v2", "exec"),
    ]
    assert "migrate" in steps[1][1]
    assert "--check" in steps[1][1]
    up = steps[2][1]
    assert "-d" in up
    assert "--wait" in up
    assert up[up.index("--wait-timeout") + 1] == "5"
    assert "reload" in " ".join(steps[3][1])
    assert env_tag(deploy_dir) == "v2"
    assert (deploy_dir / "state" / "previous-tag").read_text().strip() == "v1"
    removed = [
        c["args"][-1] for c in calls(deploy_dir / "calls.jsonl") if c["args"][:2] == ["image", "rm"]
    ]  # type: ignore[index]
    # v2 (current), v1 (previous) and one more (v0) stay, for each of the three images.
    assert sorted(removed) == sorted(
        f"registry.test/orgportal-{image}:{tag}"
        for image in ("app", "worker", "nginx")
        for tag in ("old-1", "old-2")
    )


def test_update_rolls_back_when_unhealthy(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(deploy_dir, fake_docker, "v2-broken", FAKE_UNHEALTHY_TAGS="v2-broken")
    assert result.returncode == 1
    assert "rolled back to v1" in result.stderr
    ups = [tag for tag, args in compose_calls(deploy_dir) if args[0] == "up"]
    assert ups == ["v2-broken", "v1"]
    assert env_tag(deploy_dir) == "v1"
    assert not (deploy_dir / "state" / "previous-tag").exists()


def test_update_reports_a_failed_rollback(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(deploy_dir, fake_docker, "v2", FAKE_UNHEALTHY_TAGS="v1 v2")
    assert result.returncode == 1
    assert "intervene by hand" in result.stderr


def test_rollback_option_returns_to_the_previous_tag(deploy_dir: Path, fake_docker: Path) -> None:
    assert update(deploy_dir, fake_docker, "v2").returncode == 0
    result = update(deploy_dir, fake_docker, "--rollback")
    assert result.returncode == 0, result.stderr
    assert env_tag(deploy_dir) == "v1"
    assert (deploy_dir / "state" / "previous-tag").read_text().strip() == "v2"


def test_update_rejects_a_bad_tag(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(deploy_dir, fake_docker, "v2;rm -rf /")
    assert result.returncode == 1
    assert calls(deploy_dir / "calls.jsonl") == []


def test_update_backs_up_before_migrations(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(deploy_dir, fake_docker, "v2", FAKE_PENDING_MIGRATIONS="true")
    assert result.returncode == 0, result.stderr

    def step(args: list[str]) -> str:
        if args[0] != "run":
            return args[0]
        return "migrate --check" if "migrate" in args else args[-1]

    steps = [step(args) for _, args in compose_calls(deploy_dir)]
    # migrate --check says migrations are pending: the backup runs before anything starts.
    assert steps == ["pull", "migrate --check", "backup", "up", "exec"]
    backup = next(
        call["args"]
        for call in calls(deploy_dir / "calls.jsonl")
        if call["args"][-1] == "backup"  # type: ignore[index]
    )
    assert "--profile" in backup  # type: ignore[operator]
    assert "backup written: /backups/20260101T021500Z" in result.stderr
    assert env_tag(deploy_dir) == "v2"


def test_update_stops_when_the_backup_fails(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(
        deploy_dir, fake_docker, "v2", FAKE_PENDING_MIGRATIONS="true", FAKE_BACKUP_FAILS="true"
    )
    assert result.returncode == 1
    assert "the backup before the update failed: nothing changed" in result.stderr
    verbs = [args[0] for _, args in compose_calls(deploy_dir)]
    assert "up" not in verbs
    assert env_tag(deploy_dir) == "v1"


def test_rollback_after_migrations_names_the_backup(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(
        deploy_dir,
        fake_docker,
        "v2",
        FAKE_PENDING_MIGRATIONS="true",
        FAKE_UNHEALTHY_TAGS="v2",
    )
    assert result.returncode == 1
    assert "the backup taken before them is /backups/20260101T021500Z" in result.stderr
    assert "rolled back to v1" in result.stderr
    assert env_tag(deploy_dir) == "v1"


@pytest.mark.parametrize(("policy", "backups"), [("always", 1), ("never", 0)])
def test_backup_policy(deploy_dir: Path, fake_docker: Path, policy: str, backups: int) -> None:
    result = update(
        deploy_dir, fake_docker, "v2", BACKUP_BEFORE_UPDATE=policy, FAKE_PENDING_MIGRATIONS="true"
    )
    assert result.returncode == 0, result.stderr
    ran = [args for _, args in compose_calls(deploy_dir) if args[0] == "run"]
    assert [args[-1] for args in ran].count("backup") == backups
    assert not [args for args in ran if "migrate" in args]  # the policy alone decides


def test_update_rejects_an_unknown_backup_policy(deploy_dir: Path, fake_docker: Path) -> None:
    result = update(deploy_dir, fake_docker, "v2", BACKUP_BEFORE_UPDATE="sometimes")
    assert result.returncode == 1
    assert calls(deploy_dir / "calls.jsonl") == []


def test_entrypoint_adds_the_containers_own_addresses_to_allowed_hosts() -> None:
    result = subprocess.run(
        [str(ROOT / "docker" / "entrypoint.sh"), "printenv", "ALLOWED_HOSTS"],
        cwd=ROOT,
        env={
            **base_env(),
            "SKIP_DB_WAIT": "true",
            "ALLOWED_HOSTS": "portal.example.com",
            "ALLOWED_HOSTS_OWN_ADDRESSES": "true",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    hosts = result.stdout.strip().split(",")
    assert hosts[0] == "portal.example.com"
    own = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True).stdout
    for address in own.split():
        assert (f"[{address}]" if ":" in address else address) in hosts
