"""Benchmark: what a WebSocket frame costs the server, in CPU seconds, without a browser.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/websocket_frames.py

A client in this process (websockets' sync client, in threads of its own) talks to one
rtcshim server (a ServerThread, with bridge_call.py's `/bench/echo` route), and the
server's loop thread's CPU time is read on that thread (harness.server_loop_cpu_seconds:
the kernel's count, whatever the load) for `--frames` frames of each kind:
- echo: sequential round trips of a 100-byte text frame on the raw echo route, the
  transport alone (uvicorn, its WebSocket protocol, Starlette);
- stream: the same frames sent back to back while another thread reads their echoes,
  as a burst of messages comes;
- bridged: sequential `enumerateDevices` calls on /bridge, the transport plus the
  session (parsing, dispatch, the writer).
Times are per 10,000 frames (a round trip counts one), median of `--runs`, with the wall
time per frame beside them. Writes bench/results/websocket_frames.json. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge_call import ECHO_PATH, with_echo_route
from harness import RESULTS, check_network_namespace, server_loop_cpu_seconds
from websockets.sync.client import ClientConnection, connect

from rtcshim.admission import SUBPROTOCOL
from rtcshim.protocol import BATCH_SUBPROTOCOL
from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "websocket_frames.json"
MESSAGE = "x" * 100
ENUMERATE_DEVICES = '{"id": %d, "guid": "Session", "method": "enumerateDevices", "params": {}}'


def echo(socket: ClientConnection, frames: int) -> None:
    for _ in range(frames):
        socket.send(MESSAGE)
        socket.recv()


def stream(socket: ClientConnection, frames: int) -> None:
    def read() -> None:
        for _ in range(frames):
            socket.recv()

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(frames):
        socket.send(MESSAGE)
    reader.join()


def bridged(socket: ClientConnection, frames: int) -> None:
    for call_id in range(1, frames + 1):
        socket.send(ENUMERATE_DEVICES % call_id)
        socket.recv()


KINDS: dict[str, tuple[str, Callable[[ClientConnection, int], None]]] = {
    "echo": (ECHO_PATH, echo), "stream": (ECHO_PATH, stream), "bridged": ("/bridge", bridged)}


def measure(server: ServerThread, kind: str, frames: int, warmup: int) -> dict[str, float]:
    path, exchange = KINDS[kind]
    url = server.url.replace("http", "ws", 1) + path
    with connect(url, origin=server.url, subprotocols=[SUBPROTOCOL, BATCH_SUBPROTOCOL],  # type: ignore[list-item]
                 compression=None) as socket:
        if path == "/bridge":
            socket.recv()  # hello
        exchange(socket, warmup)
        cpu, wall = server_loop_cpu_seconds(server), time.perf_counter()
        exchange(socket, frames)
        cpu, wall = server_loop_cpu_seconds(server) - cpu, time.perf_counter() - wall
    return {"cpu_seconds_per_10k": cpu * 10_000 / frames, "wall_us_per_frame": wall * 1e6 / frames}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=10_000, help="frames (or round trips) per run (10,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (3)")
    parser.add_argument("--warmup", type=int, default=200, help="frames first, not counted (200)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("websocket_frames.py")

    server = with_echo_route(ServerThread(strict=False)).start()  # as deployed: outgoing messages not validated
    try:
        runs = {kind: [measure(server, kind, options.frames, options.warmup) for _ in range(options.runs)]
                for kind in KINDS}
    finally:
        server.stop()

    results: dict[str, Any] = {kind: {
        "runs": kind_runs,
        **{key: statistics.median(run[key] for run in kind_runs) for key in kind_runs[0]},
    } for kind, kind_runs in runs.items()}
    report = {
        "benchmark": "websocket_frames", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(), "load_average": os.getloadavg(),
        "parameters": {"frames": options.frames, "runs": options.runs, "warmup": options.warmup},
        "results": results,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(f"{options.frames} frames a run, median of {options.runs}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':10}{'server CPU s/10k':>18}{'wall us/frame':>15}")
    for kind, result in results.items():
        print(f"{kind:10}{result['cpu_seconds_per_10k']:18.3f}{result['wall_us_per_frame']:15.1f}")
    print(f"\nwritten to {options.output}")


if __name__ == "__main__":
    main()
