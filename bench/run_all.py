"""All three benchmarks on one scratch deployment, in one run: memory, large files, small
files. Prints the machine, the figures and the verdicts, and writes them to
bench/results/all.json (docs/benchmarks.md records a run).

    .venv/bin/python bench/run_all.py [--rounds 2]

About 5 minutes on 2 cores with the default rounds. Needs PostgreSQL (127.0.0.1:5432, user
postgres, trust auth) and Redis (127.0.0.1:6379) running, and wrk, curl and nginx-light installed
(``apt-get install wrk curl nginx-light`` on Debian); see bench/harness.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, not bench/

from bench import harness, large_files, memory, small_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of wrk runs")
    args = parser.parse_args()
    started = time.monotonic()
    info = harness.machine_info()
    harness.print_machine(info)
    with harness.environment() as env:
        results = {"machine": info}
        results["memory"] = memory.run(env)
        memory.report(results["memory"])
        results["large_files"] = large_files.run(env, rounds=args.rounds)
        large_files.report(results["large_files"])
        results["small_files"] = small_files.run(env, rounds=args.rounds)
        small_files.report(results["small_files"])
    results["wall_seconds"] = round(time.monotonic() - started)
    results["load_average_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"whole run: {results['wall_seconds']} s; load after: {results['load_average_after']}")
    print(f"results: {harness.save_results('all', results)}")


if __name__ == "__main__":
    main()
