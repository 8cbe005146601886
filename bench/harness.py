"""What every benchmark here shares: the browser settings, the namespace check, percentiles."""

from __future__ import annotations

import importlib.util
import math
import socket
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from playwright.sync_api import Browser, Page

from rtcshim.serving import ServerThread

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
# Interfaces scripts/in-netns creates; anything else means we are not inside it.
NAMESPACE_INTERFACES = {"lo", "rtcshim0", "rtcshim1"}


def load_playwright_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playwright_config", REPO / "playwright.config.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_network_namespace(script: str) -> None:
    """WebRTC gathers candidates on every interface: benchmarks run in their namespace."""
    interfaces = {name for _, name in socket.if_nameindex()}  # this network namespace's
    if not interfaces <= NAMESPACE_INTERFACES:
        sys.exit(
            f"refusing to run outside the private network namespace (interfaces: {sorted(interfaces)});\n"
            f"run: scripts/in-netns python3 bench/{script}"
        )


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of them at or below."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarize(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "p90": percentile(samples, 0.9),
            "min": min(samples), "max": max(samples)}


def mode_pages(browser: Browser, server: ServerThread, config: ModuleType, *scripts: str) -> Iterator[tuple[str, Page]]:
    """A "shim" page (native WebRTC removed, as in the tests), then a "native" one (the shim
    installs nothing), each checked to use the RTCPeerConnection it should and closed after."""
    modes = {"shim": config.REMOVE_NATIVE_WEBRTC, "native": "window.rtcshimOptions = {mode: 'missing'};"}
    for mode, init_script in modes.items():
        page = open_bench_page(browser, server, init_script, *scripts)
        try:
            is_native = page.evaluate("RTCPeerConnection.toString().includes('[native code]')")
            if is_native != (mode == "native"):
                raise RuntimeError(f"{mode} page: RTCPeerConnection native = {is_native}")
            yield mode, page
        finally:
            page.context.close()


def open_bench_page(browser: Browser, server: ServerThread, init_script: str, *scripts: str) -> Page:
    """A blank page of the server with `init_script` run first and each of `scripts` after."""
    context = browser.new_context(base_url=server.url)
    context.add_init_script(init_script)
    page = context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function("window.rtcshim && window.rtcshim.installed")
    for script in scripts:
        if script.startswith("/"):
            page.add_script_tag(url=script)
        else:
            page.evaluate(script)
    return page
