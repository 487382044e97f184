"""Memory: 16 concurrent downloads of a 200 MiB document from ONE uvicorn worker.

Target: the worker's peak RSS grows by at most 64 MiB in the app's streaming mode
(Django's async streaming response with the view's 256 KiB chunks, sent by uvicorn's stock
httptools protocol: secure_documents/serving.py). Beside it, the same load on Wagtail's stock
serve view (wagtail.documents.views.serve.serve, routed by bench/urls.py for the same
document) and, for reference, the X-Accel-Redirect mode through nginx.

Each case gets a fresh worker (docker/start_server.sh, WEB_CONCURRENCY=1). After a warm-up
of 16 concurrent small downloads on the same route (database pool, thread pool, imports),
the peak RSS is reset (``echo 5 > /proc/<pid>/clear_refs``); growth = VmHWM after the 16
downloads - VmRSS before them. VmRSS is also sampled every 10 ms as a cross-check.

    .venv/bin/python bench/memory.py

Needs PostgreSQL and Redis on 127.0.0.1, wrk, curl and nginx-light (see bench/harness.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, not bench/

from bench import harness  # noqa: E402
from bench.harness import BenchEnvironment, MiB  # noqa: E402

CONCURRENCY = 16
TARGET_GROWTH = 64 * MiB


def measure(
    env: BenchEnvironment,
    *,
    label: str,
    mode: str,
    path: str,
    warm_path: str,
    via_nginx: bool,
    overrides: dict[str, str] | None = None,
) -> dict[str, Any]:
    app = env.start_app(mode, **(overrides or {}))
    front = env.start_nginx(app) if via_nginx else app
    try:
        base = f"http://127.0.0.1:{front.port}"
        harness.check_download(front.port, warm_path, env.cookie, env.small.size)
        harness.curl_parallel(base + warm_path, CONCURRENCY, cookie=env.cookie)
        time.sleep(0.5)
        exact = harness.reset_peak_rss(app.pid)
        before = harness.proc_status(app.pid)["VmRSS"]
        started = time.monotonic()
        with harness.RssSampler(app.pid) as sampler:
            downloads = harness.curl_parallel(base + path, CONCURRENCY, cookie=env.cookie)
        elapsed = time.monotonic() - started
        status = harness.proc_status(app.pid)
    finally:
        if via_nginx:
            env.stop(front)
        env.stop(app)
    complete = [d for d in downloads if d.status == 200 and d.size == env.big.size]
    failed = [f"{d.status} after {d.seconds:.1f}s" for d in downloads if d not in complete]
    first_bytes = sorted(d.first_byte for d in downloads)
    peak = status["VmHWM"] if exact else sampler.peak
    return {
        "label": label,
        "mode": mode,
        "url": path,
        "through_nginx": via_nginx,
        "settings": overrides or {},
        "downloads": len(downloads),
        "complete": len(complete),
        "failed": failed,
        "first_byte_s": {
            "min": round(first_bytes[0], 2),
            "median": round(first_bytes[len(first_bytes) // 2], 2),
            "max": round(first_bytes[-1], 2),
        },
        "rss_before_mib": round(before / MiB, 1),
        "peak_rss_mib": round(peak / MiB, 1),
        "growth_mib": round((peak - before) / MiB, 1),
        "sampled_peak_growth_mib": round((sampler.peak - before) / MiB, 1),
        "peak_from": "VmHWM after clear_refs" if exact else "sampled VmRSS",
        "seconds": round(elapsed, 1),
        "aggregate_mib_per_s": round(len(complete) * env.big.size / MiB / elapsed, 1),
    }


def run(env: BenchEnvironment) -> dict[str, Any]:
    cases = [
        measure(
            env,
            label="Org Portal serve view, stream mode (async streaming, 256 KiB chunks)",
            mode="stream",
            path=env.big.url,
            warm_path=env.small.url,
            via_nginx=False,
        ),
        measure(
            env,
            label="Wagtail stock serve view (FileResponse)",
            mode="stream",
            path=env.big.wagtail_url,
            warm_path=env.small.wagtail_url,
            via_nginx=False,
            # A sync view keeps its pooled database connection until the response is
            # sent; with the default pool of 10, downloads 11..16 would wait 10 s for one
            # and fail with 500 before buffering anything.
            overrides={"DATABASE_POOL_MAX_SIZE": "20"},
        ),
        measure(
            env,
            label="Org Portal serve view, accel mode (X-Accel-Redirect, through nginx)",
            mode="accel",
            path=env.big.url,
            warm_path=env.small.url,
            via_nginx=True,
        ),
    ]
    ours = cases[0]["growth_mib"]
    return {
        "document_mib": round(env.big.size / MiB, 1),
        "concurrency": CONCURRENCY,
        "cases": cases,
        "target_growth_mib": TARGET_GROWTH / MiB,
        "target_met": ours <= TARGET_GROWTH / MiB and not cases[0]["failed"],
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"== Memory: {result['concurrency']} concurrent downloads of a "
        f"{result['document_mib']:.0f} MiB document, one uvicorn worker =="
    )
    print(
        f"{'case':72} {'before':>7} {'peak':>7} {'growth':>7} {'sampled':>7} {'ok':>5} "
        f"{'MiB/s':>6} {'first byte min/med/max s':>24}"
    )
    for case in result["cases"]:
        fb = case["first_byte_s"]
        print(
            f"{case['label']:72} {case['rss_before_mib']:7.1f} {case['peak_rss_mib']:7.1f} "
            f"{case['growth_mib']:7.1f} {case['sampled_peak_growth_mib']:7.1f} "
            f"{case['complete']:>2}/{case['downloads']:<2} {case['aggregate_mib_per_s']:6.0f} "
            f"{fb['min']:>10.2f}/{fb['median']:.2f}/{fb['max']:.2f}"
        )
        if case["settings"]:
            print(f"    settings: {case['settings']}")
        if case["failed"]:
            print(f"    failed: {', '.join(case['failed'])}")
    verdict = "MET" if result["target_met"] else "NOT MET"
    print(f"(RSS in MiB) target: growth <= {result['target_growth_mib']:.0f} MiB -> {verdict}")
    print()


def main() -> None:
    info = harness.machine_info()
    harness.print_machine(info)
    with harness.environment() as env:
        result = run(env)
    report(result)
    harness.save_results("memory", {"machine": info, "memory": result})


if __name__ == "__main__":
    main()
