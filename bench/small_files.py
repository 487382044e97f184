"""Small files and portal pages: a 50 KiB document and a signed-in portal page at
concurrency 16, in requests/s, and queries per request.

Targets: on the deployment shape (uvicorn behind nginx), a signed-in portal page
(the organization's overview, /o/<slug>/) and a permission-checked 50 KiB download each
reach at least 75% of the requests/s of a minimal signed-in Django view at an ordinary URL
(the framework floor: the whole middleware stack runs); at most 2 SQL queries per download;
the organization middleware adds at most 1 query to a portal page.

The floor views (bench/views.py, routed by bench/urls.py) authenticate the session and
return 50 KiB of bytes. Measured with wrk (16 keep-alive connections, DURATION seconds,
ROUNDS rounds, the cases interleaved and their order reversed every other round) against
one uvicorn worker (docker/start_server.sh, WEB_CONCURRENCY=1), directly (stream mode) and
through nginx (accel mode, as deployed), and against the other deployment shape: gunicorn
with one worker process of 8 threads serving Django's stock WSGI handler (bench/wsgi.py).
Each case is compared with the floor on the same front in the same round, and each
gunicorn case with the same case on uvicorn.

Queries are counted twice:
- in-process, with django.test.utils.CaptureQueriesContext around one GET through
  Django's test client (the same settings, middleware and view; after one warm-up GET);
  the organization middleware's share is the floor view inside an organization's URL
  (/o/<slug>/bench/floor-async/) minus the same view under /documents/, which the
  middleware skips;
- on the running server: transactions in pg_stat_database over the life of a fresh worker
  serving DURATION seconds of downloads, minus those of one serving 1 second, divided by
  the difference in audit rows (Django runs in autocommit, so every statement outside an
  atomic block is one transaction; the worker's one-off statements cancel out).

    .venv/bin/python bench/small_files.py [--duration 4] [--rounds 2]

Needs PostgreSQL and Redis on 127.0.0.1, wrk, curl and nginx-light (see bench/harness.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, not bench/

from bench import harness  # noqa: E402
from bench.harness import BenchEnvironment  # noqa: E402

CONCURRENCY = 16
TARGET_RATIO = 0.75
TARGET_QUERIES = 2
TARGET_MIDDLEWARE_QUERIES = 1
FLOOR_ASYNC = "/bench/floor-async/"
FLOOR_SYNC = "/bench/floor-sync/"
FLOOR_BARE = "/documents/bench/floor-async/"
FLOOR_ORGANIZATION = "/o/{slug}/bench/floor-async/"
PORTAL_PAGE = "/o/{slug}/"
SLUG = "benchmark"  # bench/django_setup.py's organization


def _server_counts(env: BenchEnvironment, duration: int) -> dict[str, int]:
    """pg_stat_database over the whole life of a fresh worker that serves ``duration``
    seconds of downloads (a backend reports its statistics at the latest when it ends)."""
    before = env.pg_counters()
    app = env.start_app("stream")
    try:
        harness.check_download(app.port, env.small.url, env.cookie, env.small.size)
        result = harness.wrk(
            f"http://127.0.0.1:{app.port}{env.small.url}",
            connections=CONCURRENCY,
            duration=duration,
            cookie=env.cookie,
        )
    finally:
        env.stop(app)  # its database sessions end and flush their statistics
    time.sleep(1)
    after = env.pg_counters()
    counts = {key: after[key] - before[key] for key in after}
    return {**counts, "wrk_requests": result.requests}


def _server_queries(env: BenchEnvironment, duration: int) -> dict[str, Any]:
    """Transactions per download from PostgreSQL's own statistics: two fresh workers, one
    serving 1 s of downloads and one ``duration`` s; the difference between them per
    extra download, so that what a worker does once (opening its pooled connections,
    start-up checks) cancels out."""
    short = _server_counts(env, 1)
    long = _server_counts(env, duration)
    downloads = long["download_audits"] - short["download_audits"]
    transactions = long["transactions"] - short["transactions"]
    inserted = long["inserted"] - short["inserted"]
    return {
        "short_run": short,
        "long_run": long,
        "audited_downloads": downloads,
        "transactions": transactions,
        "rows_inserted": inserted,
        "transactions_per_download": round(transactions / max(downloads, 1), 2),
        "rows_inserted_per_download": round(inserted / max(downloads, 1), 2),
    }


def _median(results: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in results), 1)


def run(env: BenchEnvironment, *, duration: int = 4, rounds: int = 2) -> dict[str, Any]:
    small = env.small
    portal = PORTAL_PAGE.format(slug=SLUG)
    in_organization = FLOOR_ORGANIZATION.format(slug=SLUG)
    counted = env.django(
        "queries", env.email, small.url, portal, FLOOR_ASYNC, FLOOR_SYNC, FLOOR_BARE,
        in_organization,
    )  # fmt: skip
    app = env.start_app("stream")
    accel_app = env.start_app("accel")
    accel_nginx = env.start_nginx(accel_app)
    wsgi_app = env.start_wsgi("stream")
    direct = env.meters(app=app)
    via_nginx = env.meters(app=accel_app, nginx=accel_nginx)
    wsgi = env.meters(app=wsgi_app)
    # name: (port, path, CPU meters of the processes that do the work, its floor)
    cases = {
        "floor: async view": (app.port, FLOOR_ASYNC, direct, "floor"),
        "floor: sync view": (app.port, FLOOR_SYNC, direct, "floor"),
        "portal page": (app.port, portal, direct, "floor"),
        "download: stream mode": (app.port, small.url, direct, "floor"),
        "floor: async view via nginx": (accel_nginx.port, FLOOR_ASYNC, via_nginx, "nginx"),
        "floor: sync view via nginx": (accel_nginx.port, FLOOR_SYNC, via_nginx, "nginx"),
        "portal page via nginx": (accel_nginx.port, portal, via_nginx, "nginx"),
        "download: accel mode via nginx": (accel_nginx.port, small.url, via_nginx, "nginx"),
        "WSGI: floor: sync view": (wsgi_app.port, FLOOR_SYNC, wsgi, "wsgi"),
        "WSGI: portal page": (wsgi_app.port, portal, wsgi, "wsgi"),
        "WSGI: download: stream mode": (wsgi_app.port, small.url, wsgi, "wsgi"),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    try:
        for port, path, _, _ in cases.values():
            if path in (FLOOR_ASYNC, FLOOR_SYNC, small.url):
                harness.check_download(port, path, env.cookie, small.size)
            elif (status := harness.http_status(port, path, env.cookie)) != 200:
                raise RuntimeError(f"GET {path} on :{port} answered {status}")
        for number in range(rounds):
            # The order is reversed every other round, so that a machine getting slower or
            # faster during a round does not always favour the case measured first.
            order = list(cases.items())
            if number % 2:
                order.reverse()
            for name, (port, path, meters, _) in order:
                result = harness.wrk(
                    f"http://127.0.0.1:{port}{path}",
                    connections=CONCURRENCY,
                    duration=duration,
                    cookie=env.cookie,
                    meters=meters,
                )
                if result.errors or not result.requests:
                    raise RuntimeError(f"{name}: {result.as_dict()}")
                runs[name].append(result.as_dict())
    finally:
        for process in (wsgi_app, accel_nginx, accel_app, app):
            env.stop(process)
    server = _server_queries(env, duration=max(4, duration))

    # On each front the floor is the faster KIND of minimal view (by its median over the
    # rounds), paired round by round with each case.
    def faster(*names: str) -> str:
        return max(names, key=lambda n: statistics.median(r["requests_per_s"] for r in runs[n]))

    floor_kind = faster("floor: async view", "floor: sync view")
    floor_kind_nginx = faster("floor: async view via nginx", "floor: sync view via nginx")
    ratios = harness.paired_ratios(runs, floor_kind, "requests_per_s")
    ratios_nginx = harness.paired_ratios(runs, floor_kind_nginx, "requests_per_s")
    ratios_wsgi = harness.paired_ratios(runs, "WSGI: floor: sync view", "requests_per_s")
    by_front = {"floor": ratios, "nginx": ratios_nginx, "wsgi": ratios_wsgi}
    # The two shapes side by side: gunicorn's requests/s over uvicorn's, per round.
    shapes = {
        name: harness.paired_ratios(
            {"wsgi": runs[f"WSGI: {name}"], "asgi": runs[name]}, "asgi", "requests_per_s"
        )["wsgi"]["median"]
        for name in ("floor: sync view", "portal page", "download: stream mode")
    }
    summary = {}
    for name, results in runs.items():
        ratio = by_front[cases[name][3]][name]
        summary[name] = {
            "requests_per_s": _median(results, "requests_per_s"),
            "rounds_requests_per_s": [r["requests_per_s"] for r in results],
            "latency_p50_ms": _median(results, "latency_p50_ms"),
            "latency_p99_ms": _median(results, "latency_p99_ms"),
            "of_floor": ratio["median"],
            "of_floor_rounds": ratio["rounds"],
            # Server CPU milliseconds per request, by process group (the client not counted).
            "cpu_ms_per_request": {
                group: round(
                    statistics.median(
                        1000 * r["cpu_seconds"][group] / r["requests"] for r in results
                    ),
                    2,
                )
                for group in results[0]["cpu_seconds"]
            },
        }
    targets = {
        name: summary[name]["of_floor"]
        for name in (
            "portal page",
            "download: stream mode",
            "portal page via nginx",
            "download: accel mode via nginx",
            "WSGI: portal page",
            "WSGI: download: stream mode",
        )
    }
    queries = counted[small.url]["queries"]
    middleware = counted[in_organization]["queries"] - counted[FLOOR_BARE]["queries"]
    return {
        "document_kib": small.size / 1024,
        "concurrency": CONCURRENCY,
        "duration_s": duration,
        "rounds": rounds,
        "summary": summary,
        "runs": runs,
        "floor_kind": floor_kind,
        "floor_kind_nginx": floor_kind_nginx,
        "ratios": targets,
        "target_ratio": TARGET_RATIO,
        # The deployment shape is uvicorn-only (decision 38), as deployed: through nginx.
        "ratio_target_met": min(
            targets["portal page via nginx"], targets["download: accel mode via nginx"]
        )
        >= TARGET_RATIO,
        "wsgi_over_asgi": shapes,
        "queries_in_process": counted,
        "queries_on_server": server,
        "target_queries": TARGET_QUERIES,
        "queries_target_met": queries <= TARGET_QUERIES
        and server["transactions_per_download"] <= TARGET_QUERIES,
        "middleware_queries": middleware,
        "target_middleware_queries": TARGET_MIDDLEWARE_QUERIES,
        "middleware_target_met": middleware <= TARGET_MIDDLEWARE_QUERIES,
    }


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def report(result: dict[str, Any]) -> None:
    print(
        f"== Small files and portal pages: {result['document_kib']:.0f} KiB at concurrency "
        f"{result['concurrency']}, {result['rounds']} rounds x {result['duration_s']} s =="
    )
    print(
        "req/s: median over rounds; 'of floor': per round against the same round's floor on "
        f"the same front (direct: the {result['floor_kind']}; via nginx: the "
        f"{result['floor_kind_nginx']}), median"
    )
    print(f"{'case':36} {'req/s':>6} {'rounds':>14} {'p50 ms':>7} {'p99 ms':>7} {'of floor':>9}")
    for name, values in result["summary"].items():
        rounds = "/".join(f"{v:.0f}" for v in values["rounds_requests_per_s"])
        print(
            f"{name:36} {values['requests_per_s']:6.0f} {rounds:>14} "
            f"{values['latency_p50_ms']:7.1f} {values['latency_p99_ms']:7.1f} "
            f"{values['of_floor']:9.0%}"
        )
    print("server CPU milliseconds per request (median over rounds):")
    for name, values in result["summary"].items():
        cpu = values["cpu_ms_per_request"]
        parts = ", ".join(f"{group} {ms:.2f}" for group, ms in cpu.items())
        print(f"  {name:36} total {sum(cpu.values()):5.2f} ({parts})")
    for name, ratio in result["ratios"].items():
        print(f"{name} / floor: {ratio:.0%}")
    print(
        f"target (the deployment shape, uvicorn behind nginx): both >= "
        f"{result['target_ratio']:.0%} -> {_verdict(result['ratio_target_met'])}"
    )
    print("gunicorn (WSGI) requests/s over uvicorn's, same case, paired per round:")
    for name, ratio in result["wsgi_over_asgi"].items():
        print(f"  {name}: {ratio:.2f}x")
    print("queries per request (in-process, CaptureQueriesContext):")
    for url, values in result["queries_in_process"].items():
        print(f"  {url}: {values['queries']}  (status {values['status']}, {values['bytes']} bytes)")
        for sql in values["sql"]:
            print(f"      {sql[:100]}")
    server = result["queries_on_server"]
    print(
        f"on the server (pg_stat_database, long run minus short run): "
        f"{server['transactions']} transactions and {server['rows_inserted']} inserted rows "
        f"for {server['audited_downloads']} more audited downloads = "
        f"{server['transactions_per_download']} transactions, "
        f"{server['rows_inserted_per_download']} inserts per download"
    )
    print(
        f"target: <= {result['target_queries']} queries per download -> "
        f"{_verdict(result['queries_target_met'])}"
    )
    print(
        f"organization middleware on a portal page: {result['middleware_queries']} "
        f"queries; target <= {result['target_middleware_queries']} -> "
        f"{_verdict(result['middleware_target_met'])}"
    )
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
    harness.save_results("small_files", {"machine": info, "small_files": result})


if __name__ == "__main__":
    main()
