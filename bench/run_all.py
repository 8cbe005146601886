"""Every benchmark in one command, and docs/performance.md from their results.

Run inside the private network namespace (see bench/README.md):

    scripts/in-netns python3 bench/run_all.py                # all of them (about 10 minutes)
    scripts/in-netns python3 bench/run_all.py --quick        # each one tiny: a smoke run
    python3 bench/run_all.py --from docs/performance.json    # the doc again from a kept run

Runs setup_time, api_calls, media, messages, bridge_call and scale one after the other,
each as its own process (as when run alone: its own server and browser), then writes
`--doc` (docs/performance.md), its charts (docs/performance/*.png) and beside it the
run's JSON (docs/performance.json): the machine, the date and every benchmark's report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiortc
import performance_doc
from harness import REPO, check_network_namespace

BENCH = REPO / "bench"
DEFAULT_DOC = REPO / "docs" / "performance.md"
# Each benchmark's arguments: as the table wants them, and for a smoke run.
BENCHMARKS: dict[str, dict[str, list[str]]] = {
    "setup_time": {"full": [], "quick": ["-n", "1", "--warmup", "0", "--throughput-runs", "1", "--total-mib", "1"]},
    "api_calls": {"full": [], "quick": ["-n", "2", "--rsa", "1"]},
    "media": {"full": [], "quick": ["--seconds", "0.5", "--warmup", "0.2"]},
    "messages": {"full": ["--profile"],
                 "quick": ["--profile", "--profile-messages", "200", "--messages", "200", "--rate-runs", "1",
                           "--echoes", "20", "--warmup", "2"]},
    "bridge_call": {"full": [], "quick": ["--calls", "20", "--warmup", "2", "--idle-calls", "5"]},
    "scale": {"full": [], "quick": ["--pages", "2", "--pings", "3", "--interval-ms", "50", "--settle", "0.2"]},
}


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    return {
        "cpu": models[0] if models else platform.processor() or "unknown CPU",
        "cores": os.cpu_count(),
        "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "aiortc": aiortc.__version__,
        "load_before": os.getloadavg()[0],
    }


def run_benchmarks(quick: bool, note: str | None) -> dict[str, Any]:
    run: dict[str, Any] = {"created": time.strftime("%Y-%m-%d %H:%M %Z"), "quick": quick, "note": note,
                           "machine": machine(), "benchmarks": {}}
    with tempfile.TemporaryDirectory(prefix="rtcshim-bench-") as folder:
        for name, arguments in BENCHMARKS.items():
            output = Path(folder) / f"{name}.json"
            command = [sys.executable, str(BENCH / f"{name}.py"), *arguments["quick" if quick else "full"],
                       "--output", str(output)]
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            start = time.monotonic()
            subprocess.run(command, check=True)
            run["benchmarks"][name] = json.loads(output.read_text())
            run["benchmarks"][name]["seconds"] = time.monotonic() - start
    run["machine"]["load_after"] = os.getloadavg()[0]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every benchmark tiny: checks they run, not speed")
    parser.add_argument("--from", dest="results", type=Path, help="write the doc from this run's JSON, run nothing")
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC,
                        help="the doc to write (docs/performance.md); its JSON and charts go beside it")
    parser.add_argument("--note", help="the conditions of the run, for the doc (a shared machine, say)")
    options = parser.parse_args()
    results = options.doc.with_suffix(".json")
    if options.results:
        run = json.loads(options.results.read_text())
    else:
        check_network_namespace("run_all.py")
        run = run_benchmarks(options.quick, options.note)
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(run, indent=1) + "\n")
    performance_doc.write(run, options.doc, results.name)
    print(f"wrote {options.doc} and {results}")


if __name__ == "__main__":
    main()
