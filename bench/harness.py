"""What every benchmark here shares: the browser settings, the namespace check, percentiles."""

from __future__ import annotations

import importlib.util
import math
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Protocol

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


def server_loop_cpu_seconds(server: ServerThread) -> float:
    """CPU seconds (user and system) the server's event-loop thread has used so far: the
    bridge and the aiortc peers of its pages all work there."""
    seconds: float = server.run(_thread_time())
    return seconds


async def _thread_time() -> float:
    return time.thread_time()


def summarize(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "p90": percentile(samples, 0.9),
            "p99": percentile(samples, 0.99), "min": min(samples), "max": max(samples)}


def mode_init_script(config: ModuleType, mode: str) -> str:
    """What runs first in a "shim" page (native WebRTC removed, as in the tests) or a
    "native" one (the shim installs nothing)."""
    return config.REMOVE_NATIVE_WEBRTC if mode == "shim" else "window.rtcshimOptions = {mode: 'missing'};"


def check_mode(page: Page, mode: str) -> None:
    """Refuses a page whose RTCPeerConnection is not the one its mode says."""
    is_native = page.evaluate("RTCPeerConnection.toString().includes('[native code]')")
    if is_native != (mode == "native"):
        raise RuntimeError(f"{mode} page: RTCPeerConnection native = {is_native}")


def mode_pages(browser: Browser, server: ServerThread, config: ModuleType, *scripts: str) -> Iterator[tuple[str, Page]]:
    """A "shim" page (native WebRTC removed, as in the tests), then a "native" one (the shim
    installs nothing), each checked to use the RTCPeerConnection it should and closed after."""
    for mode in ("shim", "native"):
        page = open_bench_page(browser, server, mode_init_script(config, mode), *scripts)
        try:
            check_mode(page, mode)
            yield mode, page
        finally:
            page.context.close()


class Served(Protocol):
    """A running rtcshim server: a ServerThread, or one in a process of its own."""

    @property
    def url(self) -> str: ...


def open_bench_page(browser: Browser, server: Served, init_script: str, *scripts: str) -> Page:
    """A blank page of the server with `init_script` run first and each of `scripts` after."""
    context = browser.new_context(base_url=server.url)
    context.add_init_script(init_script)
    return load_bench_page(context.new_page(), *scripts)


def load_bench_page(page: Page, *scripts: str) -> Page:
    """Loads the server's blank page in `page`, waits for the shim, then runs `scripts`."""
    page.goto("/static/blank.html")
    page.wait_for_function("window.rtcshim && window.rtcshim.installed")
    for script in scripts:
        if script.startswith("/"):
            page.add_script_tag(url=script)
        else:
            page.evaluate(script)
    return page
