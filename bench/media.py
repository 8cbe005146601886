"""Benchmark: a 640x480@30 video call in one page, shim against native Chromium.

Run inside the private network namespace (see bench/README.md):

    cd /work/main && scripts/in-netns python3 bench/media.py

One run, in one browser and one rtcshim server, for shimmed peer connections (native WebRTC
removed, as in the tests) and for Chromium's own: getUserMedia at 640x480@30, two peer
connections in the page (loopback, candidates passed directly), the remote track played in
a <video>. After a warm-up, over a window of ~10 s it measures:

- rendered fps: requestVideoFrameCallback calls on the remote <video> per second;
- glass-to-glass latency (shim only): in each callback, Date.now() minus the capture time
  the server's synthetic camera stamped into that frame (read from its pixels with
  /static/frame-pattern.js); Chromium's fake camera stamps nothing, so native has none;
- server CPU per stream (shim only): the CPU time of this process (the server runs in a
  thread of it) over the window, minus an idle baseline measured the same way with the
  page open and no call, as cores = CPU seconds / wall seconds.

Both modes do the same per-frame work in the page (the frame is drawn to a canvas and its
stamp looked for), so the fps compare like for like. Prints a table with the targets
(>= 29 fps, <= 0.5 core per stream) and writes everything, per-frame latencies included, to
bench/results/media.json. No thresholds: this reports, it does not judge.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from harness import RESULTS, check_network_namespace, load_playwright_config, mode_pages, percentile
from playwright.sync_api import Page, sync_playwright

from rtcshim.serving import ServerThread

DEFAULT_OUTPUT = RESULTS / "media.json"
WIDTH, HEIGHT, FRAME_RATE = 640, 480, 30
TARGET_FPS = 29.0
TARGET_CORES_PER_STREAM = 0.5
# Chromium's own camera for the native page: a fake device at the call's frame rate, and no
# permission prompt. (rtcshim.browser_setup.FAKE_MEDIA_ARGS has the plain fake device.)
NATIVE_CAMERA_ARGS = [
    "--use-fake-ui-for-media-stream",
    f"--use-fake-device-for-media-stream=fps={FRAME_RATE}",
]




# Defined in each page: `benchCall(width, height, frameRate)` connects the call and resolves
# once the remote <video> shows frames; `benchMeasure(seconds)` then counts and reads frames.
# Only the remote track is played: the page shows no local preview.
BENCH_JS = """() => {
  const DEADLINE_MS = 30000;
  const withDeadline = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(what + ' took longer than ' + DEADLINE_MS + ' ms')), DEADLINE_MS))]);
  const call = {};

  window.benchCall = async (width, height, frameRate) => {
    const stream = await navigator.mediaDevices.getUserMedia(
      { video: { width: { exact: width }, height: { exact: height }, frameRate: { ideal: frameRate } } });
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = (event) => { if (event.candidate) b.addIceCandidate(event.candidate); };
    b.onicecandidate = (event) => { if (event.candidate) a.addIceCandidate(event.candidate); };
    const remote = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
    stream.getTracks().forEach((track) => a.addTrack(track, stream));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.appendChild(video);
    video.srcObject = await withDeadline(remote, 'the remote track');
    await withDeadline(video.play(), 'playing the remote video');
    await withDeadline(new Promise((resolve) => video.requestVideoFrameCallback(() => resolve())),
      'the first remote frame');
    Object.assign(call, { a, b, stream, video });
    return { settings: stream.getVideoTracks()[0].getSettings() };
  };

  window.benchMeasure = (seconds) => new Promise((resolve) => {
    const { video } = call;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const latencies = [];
    const counters = [];
    let frames = 0;
    const sizes = new Set();
    let start = null;
    const onFrame = (now) => {
      if (start === null) {
        start = now;  // the window opens on a frame: it counts the frames after it
      } else {
        frames += 1;
        if (now - start >= seconds * 1000) {
          resolve({ frames, elapsedMs: now - start, latencies, counters, sizes: [...sizes] });
          return;
        }
      }
      const width = video.videoWidth;
      const height = video.videoHeight;
      sizes.add(width + 'x' + height);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      context.drawImage(video, 0, 0, width, height);
      const stamp = readFramePattern(context.getImageData(0, 0, width, height));
      if (stamp) {
        latencies.push(Date.now() - stamp.timestamp);
        counters.push(stamp.counter);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });

  window.benchHangUp = () => {
    call.a.close();
    call.b.close();
    call.stream.getTracks().forEach((track) => track.stop());
    call.video.srcObject = null;
  };
}"""

WAIT_JS = "(ms) => new Promise((resolve) => setTimeout(resolve, ms))"






def process_cores(page: Page, js: str, arg: Any) -> tuple[Any, float, float]:
    """Runs page.evaluate(js, arg); returns its result, this process's CPU seconds over it, and its wall seconds."""
    cpu_start, wall_start = time.process_time(), time.monotonic()
    result = page.evaluate(js, arg)
    return result, time.process_time() - cpu_start, time.monotonic() - wall_start


def measure(page: Page, seconds: float, warmup: float, with_cpu: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if with_cpu:
        # The idle baseline: this page open (its bridge socket connected), no call.
        _, idle_cpu, idle_wall = process_cores(page, WAIT_JS, seconds * 1000)
        result["idle"] = {"cpu_seconds": idle_cpu, "wall_seconds": idle_wall, "cores": idle_cpu / idle_wall}
    connected = page.evaluate("([w, h, r]) => window.benchCall(w, h, r)", [WIDTH, HEIGHT, FRAME_RATE])
    result["capture_settings"] = connected["settings"]
    page.evaluate(WAIT_JS, warmup * 1000)
    run, cpu, wall = process_cores(page, "(seconds) => window.benchMeasure(seconds)", seconds)
    page.evaluate("window.benchHangUp()")

    fps = run["frames"] / (run["elapsedMs"] / 1000)
    result["rendered"] = {
        "frames": run["frames"], "elapsed_ms": run["elapsedMs"], "fps": fps, "sizes": run["sizes"],
    }
    latencies: list[float] = [float(value) for value in run["latencies"]]
    counters: list[int] = run["counters"]
    if latencies:
        result["latency_ms"] = {
            "median": statistics.median(latencies), "p90": percentile(latencies, 0.9),
            "min": min(latencies), "max": max(latencies), "samples": latencies,
        }
        # Distinct captured frames shown, against how many the camera made over the same span.
        result["stamped"] = {
            "distinct_frames": len(set(counters)), "counter_span": max(counters) - min(counters) + 1,
        }
    if with_cpu:
        baseline = result["idle"]["cores"]
        result["server_cpu"] = {
            "cpu_seconds": cpu, "wall_seconds": wall, "cores": cpu / wall,
            "cores_per_stream": cpu / wall - baseline,  # one stream: the loopback's one video track
        }
    return result




def format_value(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-s", "--seconds", type=float, default=10.0, help="measuring window per mode (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of call before the window opens (2)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    options = parser.parse_args()
    check_network_namespace("media.py")
    config = load_playwright_config()

    # Not strict: the server as deployed, without validating each message it sends.
    server = ServerThread(strict=False).start()
    try:
        with sync_playwright() as playwright:
            launch = config.launch_args()
            launch["args"] = [*launch["args"], *NATIVE_CAMERA_ARGS]
            browser = playwright.chromium.launch(**launch)
            results: dict[str, Any] = {}
            for mode, page in mode_pages(browser, server, config, "/static/frame-pattern.js", BENCH_JS):
                results[mode] = measure(page, options.seconds, options.warmup, with_cpu=mode == "shim")
            browser_version = browser.version
            browser.close()
    finally:
        server.stop()

    shim, native = results["shim"], results["native"]
    shim_fps, native_fps = shim["rendered"]["fps"], native["rendered"]["fps"]
    latency = shim.get("latency_ms", {})
    cores_per_stream = shim["server_cpu"]["cores_per_stream"]
    ratios = {"fps": shim_fps / native_fps}
    targets = {
        "fps": {"target": TARGET_FPS, "shim": shim_fps, "met": shim_fps >= TARGET_FPS},
        "cores_per_stream": {
            "target": TARGET_CORES_PER_STREAM, "shim": cores_per_stream,
            "met": cores_per_stream <= TARGET_CORES_PER_STREAM,
        },
    }
    report = {
        "benchmark": "media",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "browser": f"chromium {browser_version}",
        "python": platform.python_version(),
        "parameters": {
            "width": WIDTH, "height": HEIGHT, "frame_rate": FRAME_RATE,
            "seconds": options.seconds, "warmup_seconds": options.warmup,
            "native_camera_args": NATIVE_CAMERA_ARGS,
        },
        "results": results,
        "ratio_shim_over_native": ratios,
        "targets": targets,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")

    print(
        f"chromium {browser_version}; {WIDTH}x{HEIGHT}@{FRAME_RATE} loopback call in one page, "
        f"{options.seconds:g} s window after {options.warmup:g} s warm-up"
    )
    print()
    print(f"{'':34}{'shim':>10}{'native':>10}{'shim/native':>13}")
    rows: list[tuple[str, float | None, float | None, float | None, int]] = [
        ("remote video fps (rVFC)", shim_fps, native_fps, ratios["fps"], 1),
        ("glass-to-glass median (ms)", latency.get("median"), None, None, 0),
        ("glass-to-glass p90 (ms)", latency.get("p90"), None, None, 0),
        ("server CPU per stream (cores)", cores_per_stream, None, None, 2),
    ]
    for label, shim_value, native_value, ratio, digits in rows:
        print(
            f"{label:34}{format_value(shim_value, digits):>10}{format_value(native_value, digits):>10}"
            f"{format_value(ratio, 2):>13}"
        )
    print()
    stamped = shim.get("stamped")
    if stamped:
        print(
            f"shim: {stamped['distinct_frames']} distinct camera frames shown of {stamped['counter_span']} "
            f"captured in the window; server process idle {shim['idle']['cores']:.2f} cores, "
            f"in the call {shim['server_cpu']['cores']:.2f} cores"
        )
    print(
        f"targets: >= {TARGET_FPS:g} fps: {'met' if targets['fps']['met'] else 'NOT met'} ({shim_fps:.1f}); "
        f"<= {TARGET_CORES_PER_STREAM:g} core per stream: "
        f"{'met' if targets['cores_per_stream']['met'] else 'NOT met'} ({cores_per_stream:.2f})"
    )
    print()
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
