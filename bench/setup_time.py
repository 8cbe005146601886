"""Benchmark: connection setup time and data-channel throughput, shim against native Chromium.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/setup_time.py

One run measures, in one browser and one rtcshim server:
- setup: in one page, from two `new RTCPeerConnection`s to the data channel being open on
  both ends (offer/answer and candidates passed directly between the two), repeated;
- throughput: 4 MiB in 16 KiB messages from one end of a connected pair to the other,
  with bufferedAmount flow control, repeated, with the CPU seconds the server's loop
  thread spent on each (the shim's bridge and both of its aiortc ends run there);
each for shimmed peer connections (native WebRTC removed, as in the tests) and for
Chromium's own. Times come from `performance.now()` in the page. Setup is measured again
in pages driven without Playwright (cdp_page.py), which copies each bridge frame to its
driver and client: the shim's setup as a page no one automates sees it. Prints a table and
writes everything, raw samples included, to bench/results/setup_time.json.
No thresholds: this reports, it does not judge.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from cdp_page import cdp_chromium, open_cdp_page
from harness import (
    RESULTS,
    check_mode,
    check_network_namespace,
    load_playwright_config,
    mode_init_script,
    mode_pages,
    server_loop_cpu_seconds,
    summarize,
)
from playwright.sync_api import Page, sync_playwright

from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "setup_time.json"
MIB = 1 << 20




# Defined in each page: `benchSetup()` and `benchThroughput(totalBytes, chunkBytes)`.
# A deadline turns a stalled connection into an error instead of a hang.
BENCH_JS = """() => {
  const DEADLINE_MS = 30000;
  const withDeadline = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(what + ' took longer than ' + DEADLINE_MS + ' ms')), DEADLINE_MS))]);

  // Two peer connections wired directly; resolves once the channel is open on both ends.
  const connectPair = async () => {
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = (event) => { if (event.candidate) b.addIceCandidate(event.candidate); };
    b.onicecandidate = (event) => { if (event.candidate) a.addIceCandidate(event.candidate); };
    const channel = a.createDataChannel('bench');
    const opened = (dc) => dc.readyState === 'open'
      ? Promise.resolve(dc) : new Promise((resolve) => dc.addEventListener('open', () => resolve(dc)));
    const localOpen = opened(channel);
    const remoteOpen = new Promise((resolve) => { b.ondatachannel = (event) => resolve(opened(event.channel)); });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const [local, remote] = await Promise.all([localOpen, remoteOpen]);
    return { a, b, channel: local, remoteChannel: remote };
  };

  window.benchSetup = async () => {
    const start = performance.now();
    const pair = await withDeadline(connectPair(), 'setup');
    const elapsed = performance.now() - start;
    pair.a.close();
    pair.b.close();
    return elapsed;
  };

  window.benchThroughput = async (totalBytes, chunkBytes) => {
    const { a, b, channel, remoteChannel } = await withDeadline(connectPair(), 'setup');
    const HIGH_WATER = 1 << 20;
    channel.bufferedAmountLowThreshold = 256 << 10;
    remoteChannel.binaryType = 'arraybuffer';
    let received = 0;
    const allReceived = new Promise((resolve) => {
      remoteChannel.onmessage = (event) => {
        received += event.data.byteLength;
        if (received >= totalBytes) resolve();
      };
    });
    const chunk = new Uint8Array(chunkBytes);
    const start = performance.now();
    const sendAll = async () => {
      for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
        if (channel.bufferedAmount > HIGH_WATER) {
          await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
        }
        channel.send(chunk);
      }
    };
    await withDeadline(Promise.all([sendAll(), allReceived]), 'transfer');
    const elapsed = performance.now() - start;
    a.close();
    b.close();
    return { elapsedMs: elapsed, bytes: received };
  };
}"""








def measure(
    page: Page, server: ServerThread, repetitions: int, warmup: int, throughput_runs: int, total: int, chunk: int
) -> dict[str, Any]:
    for _ in range(warmup):
        page.evaluate("window.benchSetup()")
    setup_ms = [float(page.evaluate("window.benchSetup()")) for _ in range(repetitions)]
    throughput, server_cpu = [], []
    for _ in range(throughput_runs):
        cpu_before = server_loop_cpu_seconds(server)
        run = page.evaluate("([total, chunk]) => window.benchThroughput(total, chunk)", [total, chunk])
        server_cpu.append(server_loop_cpu_seconds(server) - cpu_before)  # with the pair's setup and close
        if run["bytes"] != total:
            raise RuntimeError(f"received {run['bytes']} bytes of {total}")
        throughput.append(total / MIB / (run["elapsedMs"] / 1000))
    return {
        "setup_ms": {"samples": setup_ms, **summarize(setup_ms)},
        "throughput_mib_s": {"samples": throughput, **summarize(throughput)},
        "throughput_server_cpu_s": {"samples": server_cpu, **summarize(server_cpu)},
    }


def measure_setup_without_playwright(
    server: ServerThread, config: Any, repetitions: int, warmup: int,
) -> dict[str, Any]:
    """Setup as `measure` times it, per mode, in pages driven over CDP (cdp_page.py)."""
    results: dict[str, Any] = {}
    with cdp_chromium() as devtools:
        for mode in ("shim", "native"):
            page = open_cdp_page(devtools, f"{server.url}/static/blank.html", mode_init_script(config, mode), BENCH_JS)
            check_mode(page, mode)  # type: ignore[arg-type]  # a CdpPage evaluates as a Page does
            for _ in range(warmup):
                page.evaluate("window.benchSetup()")
            samples = [float(page.evaluate("window.benchSetup()")) for _ in range(repetitions)]
            results[mode] = {"samples": samples, **summarize(samples)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repetitions", type=int, default=20, help="setup measurements per mode (20)")
    parser.add_argument("--warmup", type=int, default=2, help="setups run first and not counted (2)")
    parser.add_argument("--throughput-runs", type=int, default=10, help="transfers per mode (10)")
    parser.add_argument("--total-mib", type=int, default=4, help="MiB per transfer (4)")
    parser.add_argument("--chunk-kib", type=int, default=16, help="KiB per message (16)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("setup_time.py")
    config = load_playwright_config()
    total, chunk = options.total_mib * MIB, options.chunk_kib * 1024

    # Not strict: the server as deployed, without validating each message it sends.
    server = ServerThread(strict=False).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**config.launch_args())
            results: dict[str, Any] = {}
            for mode, page in mode_pages(browser, server, config, BENCH_JS):
                results[mode] = measure(
                    page, server, options.repetitions, options.warmup, options.throughput_runs, total, chunk
                )
            browser_version = browser.version
            browser.close()
        without_playwright = measure_setup_without_playwright(server, config, options.repetitions, options.warmup)
        for mode, setup in without_playwright.items():
            results[mode]["setup_ms_without_playwright"] = setup
    finally:
        server.stop()

    shim, native = results["shim"], results["native"]
    ratios = {
        "setup_median": shim["setup_ms"]["median"] / native["setup_ms"]["median"],
        "setup_p90": shim["setup_ms"]["p90"] / native["setup_ms"]["p90"],
        "setup_median_without_playwright": (shim["setup_ms_without_playwright"]["median"]
                                            / native["setup_ms_without_playwright"]["median"]),
        "throughput_median": shim["throughput_mib_s"]["median"] / native["throughput_mib_s"]["median"],
        "throughput_min": shim["throughput_mib_s"]["min"] / native["throughput_mib_s"]["min"],
    }
    report = {
        "benchmark": "setup_time",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}",
        "python": platform.python_version(),
        "parameters": {
            "repetitions": options.repetitions,
            "warmup": options.warmup,
            "throughput_runs": options.throughput_runs,
            "total_bytes": total,
            "chunk_bytes": chunk,
        },
        "results": results,
        "ratio_shim_over_native": ratios,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(
        f"chromium {browser_version}; setup n={options.repetitions} (+{options.warmup} warm-up), "
        f"throughput {options.throughput_runs} x {options.total_mib} MiB in {options.chunk_kib} KiB messages"
    )
    print()
    print(f"{'':26}{'shim':>10}{'native':>10}{'shim/native':>13}")
    rows = [
        ("setup median (ms)", "setup_ms", "median", ratios["setup_median"]),
        ("setup p90 (ms)", "setup_ms", "p90", ratios["setup_p90"]),
        ("setup median, no PW (ms)", "setup_ms_without_playwright", "median",
         ratios["setup_median_without_playwright"]),
        ("throughput median (MiB/s)", "throughput_mib_s", "median", ratios["throughput_median"]),
        ("throughput min (MiB/s)", "throughput_mib_s", "min", ratios["throughput_min"]),
    ]
    for label, metric, statistic, ratio in rows:
        print(f"{label:26}{shim[metric][statistic]:10.1f}{native[metric][statistic]:10.1f}{ratio:13.2f}")
    cpu = "throughput_server_cpu_s"
    print(f"{'server CPU a transfer (s)':26}{shim[cpu]['median']:10.3f}{native[cpu]['median']:10.3f}")
    print()
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
