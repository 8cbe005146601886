"""Benchmark: small data-channel messages, one way and echoed, in four pairings.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/messages.py

One run, in one browser and one rtcshim server, connects an offering peer to an answering
one (bench/channel_peers.py: the far end counts a `rate` channel and echoes an `echo` one)
in each mode:
- shim: both peers shimmed, in one page (every message crosses the bridge twice);
- native: both Chromium's own, in one page;
- shim-native: the offering peer in a shimmed page, the answering one in a native page;
- aiortc: two aiortc peers in this Python process, no browser (after the browser closed),
  with the SCTP tuning and socket buffers rtcshim's server gives its own.
and measures:
- rate: `--messages` 100-byte messages one way, from the first send to the far end's count
  coming back, as messages per second (median of `--rate-runs`);
- echo: `--echoes` sequential ping-pongs of 100 bytes, each round trip's time (median, p99).
With `--profile`, one more shim rate run (`--profile-messages`) under cProfile on the
server's event loop: its top functions by own time go in the results. Writes everything,
raw samples included, to bench/results/messages.json. No thresholds: this reports, it does not judge.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import platform
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

import aiortc
import channel_peers
from harness import (
    RESULTS,
    check_mode,
    check_network_namespace,
    load_playwright_config,
    mode_init_script,
    open_bench_page,
    summarize,
)
from playwright.sync_api import Browser, Error, Page, sync_playwright

from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "messages.json"
MODES = ("shim", "native", "shim-native", "aiortc")
PROFILE_TOP = 10
# The event loop waiting for work: not a cost of the messages.
IDLE = "<method 'poll' of 'select.epoll' objects>"


def connect_pages(offering: Page, answering: Page) -> None:
    """Connects peer "a" of `offering` to peer "b" of `answering` (the same page or not)."""
    offer = offering.evaluate("() => window.benchOffer('a')")
    answer = answering.evaluate("(offer) => window.benchAnswer('b', offer)", offer)
    offering.evaluate("(answer) => window.benchAccept('a', answer)", answer)


def measure_page(page: Page, far_page: Page, options: argparse.Namespace) -> dict[str, Any]:
    """Rate and echo runs from peer "a" of `page`, already connected to `far_page`'s "b".
    A rate run that stalls (no count back within the page's deadline) ends the mode's
    measurement: its result says how far it got instead."""
    rates = []
    for run_index in range(options.rate_runs):
        try:
            run = page.evaluate("([count, size]) => window.benchRate('a', count, size)",
                                [options.messages, options.size])
        except Error as error:
            counted = far_page.evaluate("window.benchCounted")
            return {"stalled": f"rate run {run_index + 1}: {error.message.splitlines()[0]}; "
                               f"the far end had counted {counted}"}
        rates.append(rate_of(run, options.messages))
    page.evaluate("([count, size]) => window.benchEcho('a', count, size)", [options.warmup, options.size])
    echoes = [float(ms) for ms in page.evaluate(
        "([count, size]) => window.benchEcho('a', count, size)", [options.echoes, options.size])]
    return results_of(rates, echoes)


def rate_of(run: dict[str, float], count: int) -> float:
    if run["received"] != count:
        raise RuntimeError(f"the far end counted {run['received']} messages of {count}")
    return count / (run["elapsedMs"] / 1000)


def results_of(rates: list[float], echoes: list[float]) -> dict[str, Any]:
    return {
        "rate_per_s": {"samples": rates, "median": statistics.median(rates), "min": min(rates), "max": max(rates)},
        "echo_ms": {"samples": echoes, **summarize(echoes)},
    }


async def measure_aiortc(options: argparse.Namespace) -> dict[str, Any]:
    offering, answering, channels = await channel_peers.connect_pair()
    try:
        rates = []
        for run_index in range(options.rate_runs):
            try:
                run = await channel_peers.rate(channels["rate"], options.messages, options.size)
            except TimeoutError:
                return {"stalled": f"rate run {run_index + 1}: no count back within the deadline"}
            rates.append(rate_of(run, options.messages))
        await channel_peers.echo(channels["echo"], options.warmup, options.size)
        echoes = await channel_peers.echo(channels["echo"], options.echoes, options.size)
        return results_of(rates, echoes)
    finally:
        await offering.close()
        await answering.close()


def profile_rate(server: ServerThread, page: Page, options: argparse.Namespace) -> list[dict[str, Any]]:
    """One more shim rate run with cProfile on the server's loop thread (where the bridge
    and aiortc run): the functions that cost most of their own time, most first, each with
    its share of the loop's busy time (waiting in epoll left out)."""
    profiler = cProfile.Profile()

    async def switch(enable: bool) -> None:  # cProfile profiles the thread that enables it
        profiler.enable() if enable else profiler.disable()

    server.run(switch(True))
    try:
        page.evaluate("([count, size]) => window.benchRate('a', count, size)",
                      [options.profile_messages, options.size])
    finally:
        server.run(switch(False))
    entries = pstats.Stats(profiler).stats.items()  # type: ignore[attr-defined]
    busy = [(where, entry) for where, entry in entries if where[2] != IDLE]
    total = sum(entry[2] for _, entry in busy)
    rows = sorted(busy, key=lambda item: item[1][2], reverse=True)
    return [
        {"function": f"{Path(filename).name}:{line}({name})", "calls": calls, "own_s": own, "cumulative_s": cumulative,
         "own_share": own / total if total else 0.0}
        for (filename, line, name), (_, calls, own, cumulative, _) in rows[:PROFILE_TOP]
    ]


def measure_browser_modes(
    browser: Browser, server: ServerThread, options: argparse.Namespace
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config = load_playwright_config()
    pages = {mode: open_bench_page(browser, server, mode_init_script(config, mode), channel_peers.PAGE_JS)
             for mode in ("shim", "native")}
    results: dict[str, Any] = {}
    profile: list[dict[str, Any]] = []
    try:
        for mode, page in pages.items():
            check_mode(page, mode)
        for mode, (offering, answering) in {
            "shim": (pages["shim"], pages["shim"]),
            "native": (pages["native"], pages["native"]),
            "shim-native": (pages["shim"], pages["native"]),
        }.items():
            connect_pages(offering, answering)
            results[mode] = measure_page(offering, answering, options)
            if "stalled" in results[mode]:
                print(f"{mode}: stalled, {results[mode]['stalled']}", flush=True)
            elif mode == "shim" and options.profile:
                profile = profile_rate(server, offering, options)
            for page in {offering, answering}:
                page.evaluate("window.benchClose()")
    finally:
        for page in pages.values():
            page.context.close()
    return results, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000, help="messages per rate run (10,000)")
    parser.add_argument("--rate-runs", type=int, default=3, help="rate runs per mode (3)")
    parser.add_argument("--echoes", type=int, default=1000, help="sequential echoes per mode (1,000)")
    parser.add_argument("--warmup", type=int, default=20, help="echoes first, not counted (20)")
    parser.add_argument("--size", type=int, default=100, help="bytes per message (100)")
    parser.add_argument("--profile", action="store_true", help="profile the server during one more shim rate run")
    parser.add_argument("--profile-messages", type=int, default=2000,
                        help="messages in the profiled run (2,000: the profiler slows the server several times)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("messages.py")
    config = load_playwright_config()

    server = ServerThread(strict=False).start()  # as deployed: outgoing messages not validated
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**config.launch_args())
            results, profile = measure_browser_modes(browser, server, options)
            browser_version = browser.version
            browser.close()
    finally:
        server.stop()
    results["aiortc"] = asyncio.run(measure_aiortc(options))

    measured = [mode for mode in MODES if "stalled" not in results[mode]]
    native = results["native"]
    ratios = {mode: {"rate": results[mode]["rate_per_s"]["median"] / native["rate_per_s"]["median"],
                     "echo_median": results[mode]["echo_ms"]["median"] / native["echo_ms"]["median"],
                     "echo_p99": results[mode]["echo_ms"]["p99"] / native["echo_ms"]["p99"]}
              for mode in measured if mode != "native" and "native" in measured}
    report = {
        "benchmark": "messages", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}", "aiortc": aiortc.__version__, "python": platform.python_version(),
        "parameters": {"messages": options.messages, "rate_runs": options.rate_runs, "echoes": options.echoes,
                       "warmup": options.warmup, "size": options.size,
                       "profile_messages": options.profile_messages if options.profile else 0},
        "results": results, "ratio_over_native": ratios, "server_profile": profile,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(f"chromium {browser_version}, aiortc {aiortc.__version__}; {options.size}-byte messages: "
          f"{options.rate_runs} x {options.messages} one way, {options.echoes} echoes")
    print(f"{'mode':<12} {'messages/s':>11} {'echo median':>12} {'echo p99':>9}"
          f" {'rate/native':>12} {'echo/native':>12}")
    for mode in measured:
        rate, echo = results[mode]["rate_per_s"]["median"], results[mode]["echo_ms"]
        ratio = ratios.get(mode, {"rate": 1.0, "echo_median": 1.0})
        print(f"{mode:<12} {rate:>11,.0f} {echo['median']:>9.2f} ms {echo['p99']:>6.2f} ms"
              f" {ratio['rate']:>12.3f} {ratio['echo_median']:>12.2f}")
    for mode in MODES:
        if mode not in measured:
            print(f"{mode:<12} stalled: {results[mode]['stalled']}")
    if profile:
        print("\nserver loop, top functions by own time during one shim rate run:")
        for row in profile:
            print(f"  {row['own_share']:6.1%} {row['calls']:>8} calls  {row['function']}")
    print(f"\nwritten to {options.output}")


if __name__ == "__main__":
    main()
