"""Large files: a 200 MiB document at concurrency 4, in MiB/s.

Targets: the X-Accel-Redirect mode reaches at least 90% of nginx serving the same file
statically; the streaming view at least 50% (an earlier target, still reported).

Measured with wrk (4 keep-alive connections, each downloading the file again and again
for DURATION seconds; ROUNDS rounds, the cases interleaved so that a disturbance hits
all of them):
- nginx static: nginx alone sends the file (a /static/ location whose root is the
  documents directory), the baseline;
- X-Accel-Redirect: nginx -> uvicorn (accel mode: permission check, audit row, then
  ``X-Accel-Redirect``) -> nginx sends the file;
- streaming view through nginx: nginx proxying uvicorn in stream mode, as deployed;
- streaming view direct: uvicorn in stream mode without nginx in front;
  (both: Django's async streaming response, 256 KiB chunks read by the view through
  Python, sent by uvicorn's stock httptools protocol: secure_documents/serving.py)
- the streaming view through nginx and the X-Accel-Redirect mode with 2 uvicorn workers
  (the default WEB_CONCURRENCY of docker/start_server.sh, one per core here; nginx
  itself runs one worker per core).
Each uvicorn is otherwise one worker (docker/start_server.sh with WEB_CONCURRENCY=1).
The share of nginx is computed per round against the nginx run of the same round.

    .venv/bin/python bench/large_files.py [--duration 4] [--rounds 2]

Needs PostgreSQL and Redis on 127.0.0.1, wrk, curl and nginx-light (see bench/harness.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, not bench/

from bench import harness  # noqa: E402
from bench.harness import BenchEnvironment, MiB  # noqa: E402

GiB = 1024 * MiB

CONCURRENCY = 4
TARGETS = {
    "streaming view through nginx": 0.5,
    "streaming view direct": 0.5,
    "X-Accel-Redirect": 0.9,
    "X-Accel-Redirect, 2 workers": 0.9,
}


def run(env: BenchEnvironment, *, duration: int = 4, rounds: int = 2) -> dict[str, Any]:
    stream_app = env.start_app("stream")
    accel_app = env.start_app("accel")
    stream_app_2 = env.start_app("stream", WEB_CONCURRENCY="2")
    accel_app_2 = env.start_app("accel", WEB_CONCURRENCY="2")
    stream_nginx = env.start_nginx(stream_app)
    accel_nginx = env.start_nginx(accel_app)
    stream_nginx_2 = env.start_nginx(stream_app_2)
    accel_nginx_2 = env.start_nginx(accel_app_2)
    document = env.big
    # name: (port, path, CPU meters of the processes that do the work)
    cases = {
        "nginx static": (stream_nginx.port, document.static_url, env.meters(nginx=stream_nginx)),
        "X-Accel-Redirect": (
            accel_nginx.port,
            document.url,
            env.meters(app=accel_app, nginx=accel_nginx),
        ),
        "streaming view through nginx": (
            stream_nginx.port,
            document.url,
            env.meters(app=stream_app, nginx=stream_nginx),
        ),
        "streaming view direct": (stream_app.port, document.url, env.meters(app=stream_app)),
        "streaming view through nginx, 2 workers": (
            stream_nginx_2.port,
            document.url,
            env.meters(app=stream_app_2, nginx=stream_nginx_2),
        ),
        # docker/start_server.sh's default: one worker per core of this 2-core machine.
        "X-Accel-Redirect, 2 workers": (
            accel_nginx_2.port,
            document.url,
            env.meters(app=accel_app_2, nginx=accel_nginx_2),
        ),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    try:
        for port, path, _ in cases.values():  # every path answers 200 with the whole file
            harness.check_download(port, path, env.cookie, document.size)
        for _ in range(rounds):
            for name, (port, path, meters) in cases.items():
                result = harness.wrk(
                    f"http://127.0.0.1:{port}{path}",
                    connections=CONCURRENCY,
                    duration=duration,
                    cookie=env.cookie,
                    threads=2,
                    meters=meters,
                )
                if result.errors or not result.requests:
                    raise RuntimeError(f"{name}: {result.as_dict()}")
                runs[name].append(result.as_dict())
    finally:
        for process in (
            accel_nginx_2,
            stream_nginx_2,
            accel_app_2,
            accel_nginx,
            stream_nginx,
            stream_app_2,
            accel_app,
            stream_app,
        ):
            env.stop(process)
    ratios = harness.paired_ratios(runs, "nginx static", "mib_per_s")
    summary = {}
    for name, results in runs.items():
        values: dict[str, Any] = {
            "mib_per_s": round(statistics.median(r["mib_per_s"] for r in results), 1),
            "rounds_mib_per_s": [r["mib_per_s"] for r in results],
            "of_nginx": ratios[name]["median"],
            "of_nginx_rounds": ratios[name]["rounds"],
            # Server CPU seconds per GiB sent, by process group (the client is not counted).
            "cpu_s_per_gib": {
                group: round(
                    statistics.median(
                        r["cpu_seconds"][group] / (r["bytes"] / GiB) for r in results
                    ),
                    2,
                )
                for group in results[0]["cpu_seconds"]
            },
        }
        if name in TARGETS:
            values["target"] = TARGETS[name]
            values["target_met"] = values["of_nginx"] >= TARGETS[name]
        summary[name] = values
    return {
        "document_mib": round(document.size / MiB, 1),
        "concurrency": CONCURRENCY,
        "duration_s": duration,
        "rounds": rounds,
        "summary": summary,
        "runs": runs,
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"== Large files: {result['document_mib']:.0f} MiB at concurrency "
        f"{result['concurrency']}, {result['rounds']} rounds x {result['duration_s']} s =="
    )
    print("MiB/s and share of nginx static: medians over rounds (share paired per round)")
    print(f"{'case':40} {'MiB/s':>6} {'rounds MiB/s':>22} {'of nginx':>9}  target")
    for name, values in result["summary"].items():
        rounds = "/".join(f"{v:.0f}" for v in values["rounds_mib_per_s"])
        target = ""
        if "target" in values:
            verdict = "MET" if values["target_met"] else "NOT MET"
            target = f">= {values['target']:.0%} -> {verdict}"
        print(
            f"{name:40} {values['mib_per_s']:6.0f} {rounds:>22} {values['of_nginx']:9.0%}  {target}"
        )
    print("server CPU seconds per GiB sent (median over rounds):")
    for name, values in result["summary"].items():
        cpu = values["cpu_s_per_gib"]
        parts = ", ".join(f"{group} {seconds:.2f}" for group, seconds in cpu.items())
        print(f"  {name:40} total {sum(cpu.values()):.2f} ({parts})")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    info = harness.machine_info()
    harness.print_machine(info)
    with harness.environment() as env:
        result = run(env, duration=args.duration, rounds=args.rounds)
    report(result)
    harness.save_results("large_files", {"machine": info, "large_files": result})


if __name__ == "__main__":
    main()
