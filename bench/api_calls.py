"""Benchmark: the cost of issue 4's calls, shim against native Chromium.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/api_calls.py

On a connected data-channel pair in one page, for shimmed peer connections (native
WebRTC removed, as in the tests) and for Chromium's own, in one browser and one server:
- `getStats()`: time to the report, and how many stats objects it holds;
- `RTCPeerConnection.generateCertificate` for ECDSA P-256 and for RSA-2048.
Times come from `performance.now()` in the page. Prints a table and writes everything,
raw samples included, to bench/results/api_calls.json. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from harness import RESULTS, check_network_namespace, load_playwright_config, mode_pages, summarize
from playwright.sync_api import Page, sync_playwright

from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "api_calls.json"

# Defined in each page: `benchConnect()`, then `benchTime(what)` times one call.
BENCH_JS = """() => {
  window.benchConnect = async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
    b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
    const channel = a.createDataChannel('bench');
    const open = new Promise((resolve) => { channel.onopen = resolve; });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    await open;
    window.benchPair = { a, b };
  };
  const calls = {
    getStats: () => window.benchPair.a.getStats().then((report) => report.size),
    ecdsa: () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' }).then(() => 0),
    rsa2048: () => RTCPeerConnection.generateCertificate({
      name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256',
    }).then(() => 0),
  };
  window.benchTime = async (what) => {
    // Chromium answers getStats from a cache for 50 ms after a report: wait that out, so
    // both modes build a fresh report each time.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const start = performance.now();
    const size = await calls[what]();
    return { ms: performance.now() - start, size };
  };
}"""

CALLS = ("getStats", "ecdsa", "rsa2048")


def measure(page: Page, repetitions: dict[str, int]) -> dict[str, Any]:
    page.evaluate("window.benchConnect()")
    results: dict[str, Any] = {}
    for call in CALLS:
        page.evaluate("(what) => window.benchTime(what)", call)  # warm-up
        runs = [page.evaluate("(what) => window.benchTime(what)", call) for _ in range(repetitions[call])]
        samples = [float(run["ms"]) for run in runs]
        results[call] = {"samples": samples, **summarize(samples), "size": runs[-1]["size"]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repetitions", type=int, default=30, help="getStats and ECDSA calls per mode (30)")
    parser.add_argument("--rsa", type=int, default=5, help="RSA-2048 certificates per mode (5)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("api_calls.py")
    config = load_playwright_config()
    repetitions = {"getStats": options.repetitions, "ecdsa": options.repetitions, "rsa2048": options.rsa}

    server = ServerThread(strict=False).start()  # as deployed: outgoing messages not validated
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**config.launch_args())
            results: dict[str, Any] = {}
            for mode, page in mode_pages(browser, server, config, BENCH_JS):
                results[mode] = measure(page, repetitions)
            browser_version = browser.version
            browser.close()
    finally:
        server.stop()

    ratios = {call: results["shim"][call]["median"] / results["native"][call]["median"] for call in CALLS}
    report = {
        "benchmark": "api_calls", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}", "python": platform.python_version(),
        "parameters": repetitions, "results": results, "ratio_shim_over_native": ratios,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(f"chromium {browser_version}; median (p90) ms per call")
    print(f"{'call':<10} {'shim':>16} {'native':>16} {'shim/native':>12}")
    for call in CALLS:
        shim, native = results["shim"][call], results["native"][call]
        print(f"{call:<10} {shim['median']:>8.1f} ({shim['p90']:>5.1f})"
              f" {native['median']:>8.1f} ({native['p90']:>5.1f}) {ratios[call]:>12.2f}")
    sizes = {mode: results[mode]["getStats"]["size"] for mode in results}
    print(f"getStats objects: shim {sizes['shim']}, native {sizes['native']}")


if __name__ == "__main__":
    main()
