"""Images: rendition serving in requests/s against nginx serving the same file, and the
SQL queries of a page with 5 and with 50 images.

Cases, each measured with wrk (16 keep-alive connections, DURATION seconds, ROUNDS
interleaved rounds) against one uvicorn worker (docker/start_server.sh,
WEB_CONCURRENCY=1), as a member of a members-only organization:

- ``nginx static``: the rendition's file as a static file (nginx alone: the ceiling);
- ``rendition: stream mode``: the app checks access and sends the bytes itself;
- ``rendition: accel mode via nginx``: the app checks, nginx sends (X-Accel-Redirect);
- ``public rendition: stream mode``: the same file of an organization that has published
  its site, requested without a session (one query, no session or membership lookup).

Queries are counted in-process with CaptureQueriesContext around one GET through Django's
test client after a warm-up GET (renditions are generated on the first view).

    .venv/bin/python bench/images.py [--duration 5] [--rounds 3]

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
from bench.harness import BenchEnvironment  # noqa: E402

CONCURRENCY = 16
PAGE_SIZES = (5, 50)


def run(env: BenchEnvironment, *, duration: int = 5, rounds: int = 3) -> dict[str, Any]:
    env.manage("collectstatic", "--no-input", "--verbosity", "0", timeout=600)  # pages render
    data = env.django("images", env.email, *(str(n) for n in PAGE_SIZES))
    rendition = data["rendition"]
    pages = data["pages"]
    public_url = data["public_rendition"]["url"]
    counted = env.django("queries", env.email, rendition["url"], public_url, *pages.values())
    queries = {
        "rendition (members-only organization)": counted[rendition["url"]]["queries"],
        "rendition (published organization)": counted[public_url]["queries"],
        **{f"page with {n} images": counted[pages[str(n)]]["queries"] for n in PAGE_SIZES},
    }
    app = env.start_app("stream")
    accel_app = env.start_app("accel")
    nginx = env.start_nginx(accel_app)
    static_path = "/static/" + rendition["relative_path"]
    cases = {
        "nginx static": (nginx.port, static_path, env.meters(nginx=nginx)),
        "rendition: stream mode": (app.port, rendition["url"], env.meters(app=app)),
        "rendition: accel mode via nginx": (
            nginx.port,
            rendition["url"],
            env.meters(app=accel_app, nginx=nginx),
        ),
        "public rendition: stream mode": (
            app.port,
            data["public_rendition"]["url"],
            env.meters(app=app),
        ),
    }
    anonymous = {"public rendition: stream mode"}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    try:
        for name, (port, path, _) in cases.items():
            cookie = "" if name in anonymous else env.cookie
            harness.check_download(port, path, cookie, rendition["size"])
        for number in range(rounds):
            order = list(cases.items())
            if number % 2:
                order.reverse()
            for name, (port, path, meters) in order:
                result = harness.wrk(
                    f"http://127.0.0.1:{port}{path}",
                    connections=CONCURRENCY,
                    duration=duration,
                    cookie=None if name in anonymous else env.cookie,
                    meters=meters,
                )
                if result.errors or not result.requests:
                    raise RuntimeError(f"{name}: {result.as_dict()}")
                runs[name].append(result.as_dict())
    finally:
        for process in (nginx, accel_app, app):
            env.stop(process)
    ratios = harness.paired_ratios(runs, "nginx static", "requests_per_s")
    summary = {
        name: {
            "requests_per_s_median": round(
                statistics.median(r["requests_per_s"] for r in results), 1
            ),
            "latency_p99_ms_median": round(
                statistics.median(r["latency_p99_ms"] for r in results), 2
            ),
            "of_nginx_static": ratios[name]["median"],
        }
        for name, results in runs.items()
    }
    return {
        "rendition_bytes": rendition["size"],
        "queries": queries,
        "summary": summary,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    info = harness.machine_info()
    harness.print_machine(info)
    with harness.environment() as env:
        results = run(env, duration=args.duration, rounds=args.rounds)
    print(f"\nrendition of {results['rendition_bytes']} bytes, {CONCURRENCY} connections")
    for name, figures in results["summary"].items():
        print(
            f"  {name:<34} {figures['requests_per_s_median']:>8.1f} req/s"
            f"  p99 {figures['latency_p99_ms_median']:>7.2f} ms"
            f"  {figures['of_nginx_static']:.3f} of nginx static"
        )
    print("SQL queries (in-process, after a warm-up view):")
    for name, count in results["queries"].items():
        print(f"  {name:<34} {count:>3}")
    target = harness.save_results("images", {"machine": info, **results})
    print(f"results: {target}")


if __name__ == "__main__":
    main()
