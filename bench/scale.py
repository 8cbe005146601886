"""Benchmark: N shimmed pages at once, each echoing over a data channel, against one server.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/scale.py

The rtcshim server runs as `python -m rtcshim serve`, a process of its own, so its CPU and
memory are its alone. One Chromium opens the pages as tabs of one context (renderer
processes capped by `--renderer-process-limit`); each page's shimmed peer connection
connects to its own answering aiortc peer in this process (bench/channel_peers.py, on a
loop thread), which echoes. For each N in `--pages` (10 50 100 200), pages are added until
N are connected; then every page sends a 100-byte ping every `--interval-ms` (staggered
over the interval), `--pings` times, and:
- server CPU: the server process's CPU seconds (/proc) over that window / wall seconds;
  and the same for Chromium (all its processes) and for this process (the echoing peers),
  to see which of the three a slow echo waits for;
- memory per peer connection: the server's RSS with N connected, minus its RSS after one
  warm-up page came and went, / N (each page holds one peer connection on the server);
- echo: every round trip's time in the pages (median, p99). This process's heap (the
  echoing peers) is frozen for the window, out of its garbage collector's full scans.
When pages cannot be added or pinged (an error, a timeout), the run keeps what it measured
and says where and why it stopped. Writes bench/results/scale.json. No thresholds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiortc
import channel_peers
from harness import (
    RESULTS,
    check_mode,
    check_network_namespace,
    load_bench_page,
    load_playwright_config,
    mode_init_script,
    summarize,
)
from playwright.sync_api import BrowserContext, Error, Page, sync_playwright

from rtcshim.serving import free_port

DEFAULT_OUTPUT = RESULTS / "scale.json"
MIB = 1 << 20
# Many tabs, few renderers; and no throttling of the pages' timers (they pace the pings).
BROWSER_ARGS = ["--disable-background-timer-throttling",
                "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]


class ServerProcess:
    """`python -m rtcshim serve` on a free loopback port, with its CPU time and RSS."""

    def __init__(self, sessions: int) -> None:
        self.port = free_port()
        # The default of 64 sessions per origin bounds one hostile site on a developer's
        # machine; here every page is a session of one origin.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rtcshim", "serve", "--port", str(self.port), "--log-level", "warning",
             "--max-sessions-per-origin", str(sessions)])
        deadline = time.monotonic() + 30
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the rtcshim server did not start")
            time.sleep(0.05)

    def _listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.process.pid)

    def rss_bytes(self) -> int:
        return rss_of(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces): field 3 first."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds_of(pid: int) -> float:
    fields = stat_fields(pid)
    user, system = int(fields[11]), int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return (user + system) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(server: ServerProcess) -> float:
    """CPU seconds of every process this one started but the server: Playwright's driver,
    Chromium and its renderers. Processes that ended meanwhile are not counted."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(stat_fields(int(entry.name))[1]), []).append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    total, pending = 0.0, [pid for pid in children.get(os.getpid(), []) if pid != server.process.pid]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        try:
            total += cpu_seconds_of(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def rss_of(pid: int | str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class ShimPages:
    """Shimmed tabs of one context, each with peer "a" connected to an echoing aiortc peer."""

    def __init__(self, context: BrowserContext, peers: channel_peers.LoopThread) -> None:
        self.context = context
        self.peers = peers
        self.pages: list[Page] = []
        self.far_peers: list[aiortc.RTCPeerConnection] = []

    def add(self) -> Page:
        page = load_bench_page(self.context.new_page(), channel_peers.PAGE_JS)
        self.pages.append(page)
        if len(self.pages) == 1:
            check_mode(page, "shim")
        offer = page.evaluate("() => window.benchOffer('a')")
        far_peer, answer = self.peers.run(channel_peers.answer(offer))
        self.far_peers.append(far_peer)
        page.evaluate("(answer) => window.benchAccept('a', answer)", answer)
        return page

    def ping_all(self, pings: int, size: int, interval_ms: float) -> list[float]:
        """Every page pings at once (each starting at its own point of the interval); every
        round trip's milliseconds, once all pages are done."""
        for index, page in enumerate(self.pages):
            delay = interval_ms * index / len(self.pages)
            page.evaluate(
                "([delay, count, size, interval]) => { window.benchScale = new Promise((resolve) =>"
                " setTimeout(resolve, delay)).then(() => window.benchEcho('a', count, size, interval)); }",
                [delay, pings, size, interval_ms])
        return [float(ms) for page in self.pages for ms in page.evaluate("window.benchScale")]

    def close_last(self) -> None:
        self.pages.pop().close()
        self.peers.run(self.far_peers.pop().close())

    def close(self) -> None:
        self.context.close()  # first: far peers closing first would send events to closing pages
        for far_peer in self.far_peers:
            self.peers.run(far_peer.close())


def measure_level(
    server: ServerProcess, pages: ShimPages, count: int, baseline_rss: int, options: argparse.Namespace
) -> dict[str, Any]:
    connect_start = time.monotonic()
    while len(pages.pages) < count:
        pages.add()
    connect_seconds = time.monotonic() - connect_start
    time.sleep(options.settle)
    rss = server.rss_bytes()
    bench_rss = rss_of("self")
    # The echoing peers are this process's, not rtcshim's: a full collection of their
    # heap (90-125 ms at 200 peers) would stall every echo at once. It is left out of the
    # window; the server gets no such help.
    gc.collect()
    gc.freeze()
    cpu_start, bench_cpu_start, wall_start = server.cpu_seconds(), time.process_time(), time.monotonic()
    browser_cpu_start = browser_cpu_seconds(server)
    try:
        echoes = pages.ping_all(options.pings, options.size, options.interval_ms)
    finally:
        gc.unfreeze()
    wall = time.monotonic() - wall_start
    browser_cpu = browser_cpu_seconds(server) - browser_cpu_start
    return {
        "pages": count,
        "connect_seconds": connect_seconds,
        "server_cpu_cores": (server.cpu_seconds() - cpu_start) / wall,
        "server_rss_mib": rss / MIB,
        "server_mib_per_peer_connection": (rss - baseline_rss) / count / MIB,
        "bench_process_cpu_cores": (time.process_time() - bench_cpu_start) / wall,
        "bench_process_rss_mib": bench_rss / MIB,
        "browser_cpu_cores": browser_cpu / wall,
        "window_seconds": wall,
        "echo_ms": {"samples": echoes, **summarize(echoes)},
    }


def measure(server: ServerProcess, context: BrowserContext, options: argparse.Namespace) -> dict[str, Any]:
    peers = channel_peers.LoopThread()
    pages = ShimPages(context, peers)
    levels: list[dict[str, Any]] = []
    stopped = None
    try:
        # One page first, gone before the baseline: the server's lazy imports and first
        # allocations are not any page's memory.
        pages.add()
        pages.ping_all(3, options.size, 0)
        pages.close_last()
        time.sleep(options.settle)
        baseline_rss = server.rss_bytes()
        for count in sorted(options.pages):
            try:
                levels.append(measure_level(server, pages, count, baseline_rss, options))
            except (Error, TimeoutError, RuntimeError) as error:
                stopped = {"pages": count, "connected": len(pages.pages), "reason": f"{type(error).__name__}: {error}"}
                break
            print(f"{count} pages: {summary_line(levels[-1])}", flush=True)
    finally:
        pages.close()
        peers.stop()
    return {"baseline_rss_mib": baseline_rss / MIB, "levels": levels, "stopped": stopped}


def summary_line(level: dict[str, Any]) -> str:
    echo = level["echo_ms"]
    return (f"server {level['server_cpu_cores']:.2f} cores (browser {level['browser_cpu_cores']:.2f}, "
            f"echo peers {level['bench_process_cpu_cores']:.2f}), "
            f"{level['server_mib_per_peer_connection']:.2f} MiB per peer connection, "
            f"echo median {echo['median']:.1f} ms, p99 {echo['p99']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 50, 100, 200],
                        help="numbers of concurrent pages, each measured (10 50 100 200)")
    parser.add_argument("--pings", type=int, default=20, help="pings per page at each level (20)")
    parser.add_argument("--interval-ms", type=float, default=500, help="ms between a page's pings (500)")
    parser.add_argument("--size", type=int, default=100, help="bytes per ping (100)")
    parser.add_argument("--renderers", type=int, default=8, help="Chromium's renderer process limit (8)")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait before measuring memory (1)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("scale.py")
    config = load_playwright_config()

    server = ServerProcess(sessions=max(options.pages) + 1)  # and the warm-up page's
    try:
        with sync_playwright() as playwright:
            launch = config.launch_args()
            launch["args"] = [*launch["args"], *BROWSER_ARGS, f"--renderer-process-limit={options.renderers}"]
            browser = playwright.chromium.launch(**launch)
            context = browser.new_context(base_url=server.url)
            context.add_init_script(mode_init_script(config, "shim"))
            results = measure(server, context, options)
            browser_version = browser.version
            browser.close()
    finally:
        server.stop()

    report = {
        "benchmark": "scale", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}", "aiortc": aiortc.__version__, "python": platform.python_version(),
        "parameters": {"pages": sorted(options.pages), "pings": options.pings, "interval_ms": options.interval_ms,
                       "size": options.size, "renderers": options.renderers},
        **results,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    if results["stopped"]:
        print(f"stopped at {results['stopped']['pages']} pages ({results['stopped']['connected']} connected): "
              f"{results['stopped']['reason']}")
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
