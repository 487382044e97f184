"""A Redis master, a replica and three sentinels as real processes on free local ports
(the system ``redis-server``, started in sentinel mode for the sentinels), with
passwords on both the data nodes and the sentinels, as a production set-up would have."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port

MASTER_NAME = "orgportal"
PASSWORD = "data-node-secret"
SENTINEL_PASSWORD = "sentinel-secret"
# How long the sentinels wait before calling the master down (production: 5-30 s).
DOWN_AFTER_MS = 1000


def redis_server_binary() -> str:
    path = shutil.which("redis-server", path=os.environ.get("PATH", "") + ":/usr/bin:/usr/sbin")
    if path is None:
        pytest.fail("redis-server is not installed: .ci/run installs the redis-server package")
    return path


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise AssertionError(f"no {what} after {timeout}s")


@dataclass
class Node:
    name: str
    port: int
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def freeze(self) -> None:
        """SIGSTOP: the server answers nothing more (a hung host, a partition), while the
        kernel still delivers what it had already written (replies, replication)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class SentinelCluster:
    workdir: Path
    nodes: dict[str, Node] = field(default_factory=dict)

    @property
    def sentinel_ports(self) -> list[int]:
        return [node.port for name, node in self.nodes.items() if name.startswith("sentinel")]

    @property
    def sentinels_setting(self) -> str:
        """The value of REDIS_SENTINELS."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def env(self, db: int = 0) -> dict[str, str]:
        """The application's environment for this cluster: settings only."""
        return {
            "REDIS_URL": f"redis://{MASTER_NAME}/{db}",
            "REDIS_SENTINELS": self.sentinels_setting,
            "REDIS_PASSWORD": PASSWORD,
            "REDIS_SENTINEL_PASSWORD": SENTINEL_PASSWORD,
        }

    def sentinel_client(self, port: int | None = None) -> redis.Redis:
        return redis.Redis(
            port=port or self.sentinel_ports[0],
            password=SENTINEL_PASSWORD,
            socket_timeout=2,
            decode_responses=True,
        )

    def master_port(self) -> int:
        """The master's port as the sentinels' majority sees it."""
        answers = []
        for port in self.sentinel_ports:
            with contextlib.suppress(redis.RedisError):
                client = self.sentinel_client(port)
                answers.append(int(client.sentinel_get_master_addr_by_name(MASTER_NAME)[1]))
                client.close()
        return max(set(answers), key=answers.count)

    def data_client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=PASSWORD, socket_timeout=2)

    def node_on(self, port: int) -> Node:
        return next(node for node in self.nodes.values() if node.port == port)

    def taken_ports(self) -> set[int]:
        return {node.port for node in self.nodes.values()}

    def describe(self) -> str:
        """What each sentinel knows and the end of every node's log, for a failed start."""
        lines = []
        for port in self.sentinel_ports:
            try:
                client = self.sentinel_client(port)
                replicas = len(client.sentinel_slaves(MASTER_NAME))
                peers = len(client.sentinel_sentinels(MASTER_NAME))
                lines.append(f"sentinel {port}: {replicas} replica(s), {peers} peer(s)")
            except redis.RedisError as exc:
                lines.append(f"sentinel {port}: {exc!r}")
        for node in self.nodes.values():
            tail = (
                node.log.read_text(errors="replace").splitlines()[-8:] if node.log.exists() else []
            )
            lines.append(f"--- {node.name} (port {node.port}, running={node.running()})")
            lines.extend(tail)
        return "\n".join(lines)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.kill()


def _data_node(name: str, workdir: Path, replica_of: int | None = None) -> Node:
    port = free_port()
    data = workdir / name
    data.mkdir()
    argv = [
        redis_server_binary(),
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)),
        *("--save", "", "--appendonly", "no"),
        *("--requirepass", PASSWORD, "--masterauth", PASSWORD),
    ]
    if replica_of is not None:
        argv += ["--replicaof", "127.0.0.1", str(replica_of)]
    return Node(name, port, argv, workdir / f"{name}.log")


def _unused_port(taken: set[int]) -> int:
    while (port := free_port()) in taken:
        pass
    return port


def _sentinel_node(name: str, workdir: Path, taken: set[int], master_port: int) -> Node:
    port = _unused_port(taken)
    config = workdir / f"{name}.conf"
    # Sentinels rewrite their configuration file as they learn the topology.
    config.write_text(
        "\n".join(
            [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {workdir}",
                f"requirepass {SENTINEL_PASSWORD}",
                f"sentinel sentinel-pass {SENTINEL_PASSWORD}",
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2",
                f"sentinel auth-pass {MASTER_NAME} {PASSWORD}",
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
                f"sentinel failover-timeout {MASTER_NAME} 10000",
                f"sentinel parallel-syncs {MASTER_NAME} 1",
                "",
            ]
        )
    )
    argv = [redis_server_binary(), str(config), "--sentinel"]
    return Node(name, port, argv, workdir / f"{name}.log")


def _answers(port: int, password: str) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        pass
    return bool(redis.Redis(port=port, password=password, socket_timeout=1).ping())


@contextlib.contextmanager
def sentinel_cluster(workdir: Path) -> Iterator[SentinelCluster]:
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = SentinelCluster(workdir)
    try:
        master = cluster.nodes["master"] = _data_node("master", workdir)
        master.start()
        wait_for(lambda: _answers(master.port, PASSWORD), 15, "master")
        replica = cluster.nodes["replica"] = _data_node("replica", workdir, master.port)
        replica.start()
        wait_for(
            lambda: (
                cluster.data_client(replica.port).info("replication")["master_link_status"] == "up"
            ),
            20,
            "replication link",
        )
        for index in range(3):
            node = cluster.nodes[f"sentinel-{index}"] = _sentinel_node(
                f"sentinel-{index}", workdir, cluster.taken_ports(), master.port
            )
            node.start()
            # Wait until this sentinel holds its port before picking the next one: a port
            # the kernel handed out but nobody has bound yet can be handed out again, and
            # a second sentinel on it would exit while the first one answers for both.
            wait_for(
                lambda node=node: node.running() and _answers(node.port, SENTINEL_PASSWORD),
                15,
                f"{node.name} on port {node.port}",
            )

        def topology_known() -> bool:
            for port in cluster.sentinel_ports:
                client = cluster.sentinel_client(port)
                if len(client.sentinel_slaves(MASTER_NAME)) != 1:
                    return False
                if len(client.sentinel_sentinels(MASTER_NAME)) != 2:
                    return False
            return True

        # A failover needs every sentinel to know the replica and its two peers. Hello
        # messages go out every 2 s; a loaded machine can take much longer.
        try:
            wait_for(topology_known, 60, "complete sentinel topology")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{cluster.describe()}") from None
        yield cluster
    finally:
        cluster.stop()
