"""Benchmark: what one trivial bridged call costs beyond a raw WebSocket round trip.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/bridge_call.py

In one shimmed page on one rtcshim server, times `--calls` sequential calls each of:
- a trivial bridged call: `navigator.mediaDevices.enumerateDevices()`, which the server
  answers from its list of sources (no aiortc work): the shim's call, its JSON, the
  server's validation and dispatch, the reply;
- a raw WebSocket echo: a 100-byte text frame sent back as it came by a route that this
  script adds to the same server (`/bench/echo`, never part of the product's app), over a
  socket the page opens beside the bridge's.
The difference is what the bridge adds to the transport. Each kind is timed twice: back to
back, and with `--idle-ms` of idleness before each call, as api_calls.py times getStats
(waiting out Chromium's stats cache): a round trip that starts from idle processes costs
more than one of a busy stream. Times come from
`performance.now()` in the page. Writes the samples and summaries to
bench/results/bridge_call.json. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from string import Template
from typing import Any

from harness import (
    RESULTS,
    check_network_namespace,
    load_playwright_config,
    mode_init_script,
    open_bench_page,
    summarize,
)
from playwright.sync_api import Page, sync_playwright
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "bridge_call.json"
ECHO_PATH = "/bench/echo"

# Defined in the page: `benchTime(what, count)`, each call's milliseconds.
BENCH_JS = Template("""() => {
  const echoSocket = new Promise((resolve, reject) => {
    const socket = new WebSocket(location.origin.replace(/^http/, 'ws') + '$path');
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error('no echo socket'));
  });
  const message = 'x'.repeat(100);
  const calls = {
    bridged: () => navigator.mediaDevices.enumerateDevices(),
    echo: async () => {
      const socket = await echoSocket;
      return new Promise((resolve) => { socket.onmessage = resolve; socket.send(message); });
    },
  };
  window.benchTime = async (what, count, idleMs) => {
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      if (idleMs) await new Promise((resolve) => setTimeout(resolve, idleMs));
      const start = performance.now();
      await calls[what]();
      samples.push(performance.now() - start);
    }
    return samples;
  };
}""").substitute(path=ECHO_PATH)
CALLS = ("bridged", "echo")
AFTER_IDLE = "_after_idle"  # the suffix of a kind's results timed after --idle-ms


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def with_echo_route(server: ServerThread) -> ServerThread:
    """`server` with the benchmark's echo socket, matched before the app's own routes."""
    server.app.router.routes.insert(0, WebSocketRoute(ECHO_PATH, echo))
    return server


def measure(page: Page, count: int, warmup: int, idle_count: int, idle_ms: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for call in CALLS:
        page.evaluate("([what, count]) => window.benchTime(what, count, 0)", [call, warmup])
        for name, calls, idle in ((call, count, 0.0), (call + AFTER_IDLE, idle_count, idle_ms)):
            samples = [float(ms) for ms in page.evaluate(
                "([what, count, idle]) => window.benchTime(what, count, idle)", [call, calls, idle])]
            results[name] = {"samples": samples, **summarize(samples)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--calls", type=int, default=1000, help="sequential calls of each kind (1,000)")
    parser.add_argument("--warmup", type=int, default=20, help="calls first, not counted (20)")
    parser.add_argument("--idle-calls", type=int, default=100, help="calls of each kind timed after idleness (100)")
    parser.add_argument("--idle-ms", type=float, default=60, help="idleness before each of those, ms (60)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("bridge_call.py")
    config = load_playwright_config()

    server = with_echo_route(ServerThread(strict=False)).start()  # as deployed: outgoing messages not validated
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**config.launch_args())
            page = open_bench_page(browser, server, mode_init_script(config, "shim"), BENCH_JS)
            results = measure(page, options.calls, options.warmup, options.idle_calls, options.idle_ms)
            browser_version = browser.version
            browser.close()
    finally:
        server.stop()

    ratios = {statistic: results["bridged"][statistic] / results["echo"][statistic] for statistic in ("median", "p99")}
    report = {
        "benchmark": "bridge_call", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}", "python": platform.python_version(),
        "parameters": {"calls": options.calls, "warmup": options.warmup,
                       "idle_calls": options.idle_calls, "idle_ms": options.idle_ms},
        "results": results, "ratio_bridged_over_echo": ratios,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(f"chromium {browser_version}; {options.calls} sequential calls each, ms")
    print(f"{'':26}{'median':>8}{'p99':>8}")
    for call, label in (("bridged", "bridged enumerateDevices"), ("echo", "raw WebSocket echo")):
        print(f"{label:26}{results[call]['median']:8.2f}{results[call]['p99']:8.2f}")
        idle = results[call + AFTER_IDLE]
        print(f"{'  after idle':26}{idle['median']:8.2f}{idle['p99']:8.2f}")
    print(f"{'bridged/echo':26}{ratios['median']:8.2f}{ratios['p99']:8.2f}")
    print(f"\nwritten to {options.output}")


if __name__ == "__main__":
    main()
