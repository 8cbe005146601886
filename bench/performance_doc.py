"""docs/performance.md from one run of bench/run_all.py: the table, a chart per measure,
the machine, the date and how to reproduce. Reads only the run's JSON, so the doc can be
written again from a kept run (`bench/run_all.py --from FILE`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

COLOURS = {"shim": "#d95f02", "native": "#1b9e77", "shim-native": "#7570b3", "aiortc": "#e7298a",
           "bridged": "#d95f02", "echo": "#1b9e77"}
NO_TARGET = "none"
MODE_LABELS = {"shim": "shim", "native": "native Chromium", "shim-native": "shim page ↔ native page",
               "aiortc": "aiortc ↔ aiortc (Python)"}


def number(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


class Row:
    """One line of the table: what, shim's value, native's (or what stands in for it), their
    ratio, the issue's target, and the chart that shows it."""

    def __init__(self, measure: str, shim: str, native: str, ratio: float | None, target: str, chart: str) -> None:
        self.measure, self.shim, self.native, self.ratio, self.target, self.chart = (
            measure, shim, native, ratio, target, chart)

    def markdown(self) -> str:
        ratio = number(self.ratio, 2)
        return f"| {self.measure} | {self.shim} | {self.native} | {ratio} | {self.target} | [chart]({self.chart}) |"


def bar_chart(path: Path, title: str, unit: str, values: dict[str, dict[str, float]]) -> None:
    """Bars per category (a mode, a call), one per series (median, p99) side by side."""
    series = list(next(iter(values.values())))
    width = 0.8 / len(series)
    figure, axes = plt.subplots(figsize=(6.4, 3.6))
    for index, name in enumerate(series):
        positions = [category + index * width for category in range(len(values))]
        heights = [values[category][name] for category in values]
        colours = [COLOURS.get(category, "#666666") for category in values]
        bars = axes.bar(positions, heights, width, color=colours, alpha=1.0 if index == 0 else 0.55,
                        label=name if len(series) > 1 else None)
        axes.bar_label(bars, fmt="%.3g", fontsize=8)
    axes.set_xticks([category + width * (len(series) - 1) / 2 for category in range(len(values))],
                    [MODE_LABELS.get(category, category) for category in values], fontsize=8)
    axes.set_ylabel(unit)
    axes.set_title(title, fontsize=10)
    if len(series) > 1:
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def scale_chart(path: Path, levels: list[dict[str, Any]]) -> None:
    pages = [level["pages"] for level in levels]
    figure, (cpu, memory, echo) = plt.subplots(1, 3, figsize=(9.6, 3.2))
    cpu.plot(pages, [level["server_cpu_cores"] for level in levels], "o-", color=COLOURS["shim"])
    cpu.set_title("server CPU (cores)", fontsize=10)
    memory.plot(pages, [level["server_mib_per_peer_connection"] for level in levels], "o-", color=COLOURS["shim"])
    memory.set_title("server MiB per peer connection", fontsize=10)
    echo.plot(pages, [level["echo_ms"]["p99"] for level in levels], "o-", color=COLOURS["shim"], label="p99")
    echo.plot(pages, [level["echo_ms"]["median"] for level in levels], "o--", color=COLOURS["native"], label="median")
    echo.set_title("echo round trip (ms)", fontsize=10)
    echo.legend(fontsize=8)
    for axes in (cpu, memory, echo):
        axes.set_xlabel("concurrent shimmed pages")
        axes.set_ylim(bottom=0)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def medians(report: dict[str, Any], key: Callable[[dict[str, Any]], float]) -> dict[str, dict[str, float]]:
    return {mode: {"median": key(report["results"][mode])} for mode in ("shim", "native")}


def ratio(values: dict[str, dict[str, float]], first: str = "shim", second: str = "native") -> float:
    return values[first]["median"] / values[second]["median"]


def rows_and_charts(run: dict[str, Any], charts: Path) -> list[Row]:
    """The table's rows, writing each row's chart into `charts` on the way."""
    benchmarks = run["benchmarks"]
    link = f"{charts.name}/"
    rows: list[Row] = []

    setup = benchmarks["setup_time"]
    values = medians(setup, lambda result: result["setup_ms"]["median"])
    bar_chart(charts / "setup.png", "setup: new RTCPeerConnection → data channel open, median", "ms", values)
    rows.append(Row("setup, new RTCPeerConnection → data channel open, median", number(values["shim"]["median"],
                    1, " ms"), number(values["native"]["median"], 1, " ms"), ratio(values), "≤ 1.5",
                    link + "setup.png"))
    if "setup_ms_without_playwright" in setup["results"]["shim"]:  # runs before 2026-12-06 10:00 had no such row
        values = medians(setup, lambda result: result["setup_ms_without_playwright"]["median"])
        rows.append(Row("the same, pages driven over CDP without Playwright (which copies every bridge frame)",
                        number(values["shim"]["median"], 1, " ms"), number(values["native"]["median"], 1, " ms"),
                        ratio(values), NO_TARGET, link + "setup.png"))
    values = medians(setup, lambda result: result["throughput_mib_s"]["median"])
    chunk_kib = setup["parameters"]["chunk_bytes"] // 1024
    bar_chart(charts / "throughput.png", f"data-channel throughput, {chunk_kib} KiB messages, median", "MiB/s",
              values)
    rows.append(Row(f"data-channel throughput, {chunk_kib} KiB messages, median",
                    number(values["shim"]["median"], 1, " MiB/s"), number(values["native"]["median"], 1, " MiB/s"),
                    ratio(values), "≥ 1.0", link + "throughput.png"))

    calls = benchmarks["api_calls"]
    for call, label, target in (("getStats", "getStats, median", "≤ 2"),
                                ("ecdsa", "generateCertificate ECDSA P-256, median", "≤ 2"),
                                ("rsa2048", "generateCertificate RSA-2048, median", NO_TARGET)):
        values = medians(calls, lambda result: float(result[call]["median"]))  # noqa: B023 (used at once)
        bar_chart(charts / f"{call.lower()}.png", label, "ms", values)
        rows.append(Row(label, number(values["shim"]["median"], 1, " ms"), number(values["native"]["median"], 1,
                        " ms"), ratio(values), target, link + f"{call.lower()}.png"))

    media = benchmarks["media"]
    values = medians(media, lambda result: result["rendered"]["fps"])
    cores = media["results"]["shim"]["server_cpu"]["cores_per_stream"]
    bar_chart(charts / "video.png", "640x480@30 remote video, frames per second", "fps", values)
    rows.append(Row("640x480@30 remote video", f"{number(values['shim']['median'])} fps, {number(cores, 2)} core",
                    f"{number(values['native']['median'])} fps", ratio(values), "≥ 29 fps, ≤ 0.5 core",
                    link + "video.png"))

    messages = benchmarks["messages"]
    results = messages["results"]
    measured = [mode for mode in results if "stalled" not in results[mode]]
    size, count = messages["parameters"]["size"], messages["parameters"]["messages"]
    rates = {mode: {"median": results[mode]["rate_per_s"]["median"]} for mode in measured}
    echoes = {mode: {statistic: results[mode]["echo_ms"][statistic] for statistic in ("median", "p99")}
              for mode in measured}
    if measured:
        bar_chart(charts / "message_rate.png", f"{size}-byte messages one way ({count:,}), median", "messages/s",
                  rates)
        bar_chart(charts / "echo.png", f"{size}-byte echo round trip", "ms", echoes)

    def rate_text(mode: str) -> str:
        return f"{number(rates[mode]['median'], 0)}/s" if mode in rates else f"stalled: {results[mode]['stalled']}"

    def echo_text(mode: str) -> str:
        if mode not in echoes:
            return "not measured (the rate run stalled)"
        return f"{number(echoes[mode]['median'], 2)} ms ({number(echoes[mode]['p99'], 2)})"

    def message_ratio(values: dict[str, dict[str, float]], mode: str) -> float | None:
        return ratio(values, mode) if mode in values and "native" in values else None

    rows.append(Row(f"{size}-byte messages one way ({count:,}, in one page)", rate_text("shim"), rate_text("native"),
                    message_ratio(rates, "shim"), "≥ 0.5", link + "message_rate.png"))
    rows.append(Row("echo round trip, median (p99)", echo_text("shim"), echo_text("native"),
                    message_ratio(echoes, "shim"), "≤ 2", link + "echo.png"))
    for mode in ("shim-native", "aiortc"):
        rows.append(Row(f"{size}-byte messages one way, {MODE_LABELS[mode]}", rate_text(mode), rate_text("native"),
                        message_ratio(rates, mode), NO_TARGET, link + "message_rate.png"))
        rows.append(Row(f"echo round trip, {MODE_LABELS[mode]}, median (p99)", echo_text(mode), echo_text("native"),
                        message_ratio(echoes, mode), NO_TARGET, link + "echo.png"))

    bridge = benchmarks["bridge_call"]["results"]
    values = {call: {statistic: bridge[call][statistic] for statistic in ("median", "p99")}
              for call in ("bridged", "echo")}
    bar_chart(charts / "bridge_call.png", "a trivial bridged call against a raw WebSocket echo", "ms", values)
    rows.append(Row("trivial bridged call (enumerateDevices), median (p99); native column: raw WebSocket echo",
                    f"{number(values['bridged']['median'], 2)} ms ({number(values['bridged']['p99'], 2)})",
                    f"{number(values['echo']['median'], 2)} ms ({number(values['echo']['p99'], 2)})",
                    ratio(values, "bridged", "echo"), NO_TARGET, link + "bridge_call.png"))
    if "bridged_after_idle" in bridge:  # runs before 2026-12-06 10:00 timed back to back only
        idle = {call: bridge[call + "_after_idle"] for call in ("bridged", "echo")}
        idle_ms = number(benchmarks["bridge_call"]["parameters"]["idle_ms"], 0)
        rows.append(Row(f"the same, each after {idle_ms} ms idle (as getStats is timed)",
                        f"{number(idle['bridged']['median'], 2)} ms ({number(idle['bridged']['p99'], 2)})",
                        f"{number(idle['echo']['median'], 2)} ms ({number(idle['echo']['p99'], 2)})",
                        ratio(idle, "bridged", "echo"), NO_TARGET, link + "bridge_call.png"))
    return rows


def scale_section(scale: dict[str, Any], charts: Path) -> list[str]:
    parameters = scale["parameters"]
    lines = [
        "## Scale: concurrent shimmed pages",
        "",
        f"Each page: one shimmed peer connection and an echoing data channel to its own aiortc peer (in the "
        f"benchmark's process); each page pings {parameters['pings']} times, every {parameters['interval_ms']:g} ms, "
        f"{parameters['size']} bytes. Server: `python -m rtcshim serve`, a process of its own; Chromium: one "
        f"context, at most {parameters['renderers']} renderer processes. Target (issue 13): 200 concurrent peer "
        "connections on 2 cores at ≤ 2 MB each with p99 echo ≤ 50 ms. The CPU of Chromium (all its "
        "processes) and of the echoing peers (the benchmark's process) over the same window show which of the "
        "three a slow echo waits for.",
        "",
        "| pages | server CPU (cores) | server RSS (MiB) | MiB per peer connection | echo median | echo p99 "
        "| Chromium CPU (cores) | echo peers CPU (cores) | connecting took |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in scale["levels"]:
        lines.append(
            f"| {level['pages']} | {level['server_cpu_cores']:.2f} | {level['server_rss_mib']:.0f} | "
            f"{level['server_mib_per_peer_connection']:.2f} | {level['echo_ms']['median']:.1f} ms | "
            f"{level['echo_ms']['p99']:.1f} ms | {level['browser_cpu_cores']:.2f} | "
            f"{level['bench_process_cpu_cores']:.2f} | {level['connect_seconds']:.0f} s |")
    lines.append("")
    if scale["levels"]:
        scale_chart(charts / "scale.png", scale["levels"])
        lines += [f"![scale]({charts.name}/scale.png)", ""]
    stopped = scale["stopped"]
    if stopped:
        lines += [f"Stopped at {stopped['pages']} pages ({stopped['connected']} connected): {stopped['reason']}", ""]
    lines += [f"Server RSS with no page (after one warm-up page came and went): {scale['baseline_rss_mib']:.0f} MiB.",
              ""]
    return lines


def profile_section(profile: list[dict[str, Any]], messages: int) -> list[str]:
    if not profile:
        return []
    lines = [
        "## Where the server spends a shim message",
        "",
        f"cProfile on the server's event loop during one more shim rate run ({messages:,} messages; the profiler "
        "slows it, so this run is not in the table): the functions with the most time of their own, and their "
        "share of the loop's busy time (its waits in epoll left out).",
        "",
        "| own time (share) | calls | function |",
        "|---:|---:|---|",
    ]
    for row in profile:
        lines.append(f"| {row['own_s']:.3f} s ({row['own_share']:.1%}) | {row['calls']:,} | `{row['function']}` |")
    return [*lines, ""]


def write(run: dict[str, Any], doc: Path, results_name: str) -> None:
    """Writes `doc` and its charts (in a folder named after it, beside it) from `run`."""
    charts = doc.with_suffix("")
    charts.mkdir(parents=True, exist_ok=True)
    rows = rows_and_charts(run, charts)
    machine = run["machine"]
    benchmarks = run["benchmarks"]
    lines = [
        "# Performance",
        "",
        "<!-- GENERATED by bench/run_all.py: edits are lost on the next run -->",
        "",
        f"Measured {run['created']}{' (quick mode: a smoke run, too small to read)' if run['quick'] else ''}, "
        f"shim and native Chromium side by side in one run; ratio = shim / native (for rates and fps, above 1 is "
        "faster; for times, below 1 is faster). Targets are issue 13's; nothing here judges them.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']:.0f} GiB, Linux "
        f"{machine['kernel']}; {benchmarks['setup_time']['browser']}, aiortc {machine['aiortc']}, Python "
        f"{machine['python']}. Load average (1 min) {machine['load_before']:.2f} before the run, "
        f"{machine['load_after']:.2f} after.",
        "",
    ]
    if run.get("note"):
        lines += [f"Conditions: {run['note']}", ""]
    lines += [
        "| measure | shim | native Chromium | shim/native | target | chart |",
        "|---|---:|---:|---:|---|---|",
        *(row.markdown() for row in rows),
        "",
        *scale_section(benchmarks["scale"], charts),
        *profile_section(benchmarks["messages"]["server_profile"],
                         benchmarks["messages"]["parameters"]["profile_messages"]),
        "## How to reproduce",
        "",
        "As root, from the repository (`pip install -e '.[test,bench]'` first):",
        "",
        "```sh",
        "scripts/in-netns python3 bench/run_all.py          # everything, about 10 minutes; writes this file",
        "scripts/in-netns python3 bench/run_all.py --quick  # a smoke run of every benchmark",
        f"python3 bench/run_all.py --from docs/{results_name}  # this file again from the kept results",
        "```",
        "",
        f"`docs/{results_name}` holds every benchmark's full report (parameters, raw samples). What each "
        "benchmark measures, and how: bench/README.md.",
        "",
    ]
    doc.write_text("\n".join(lines))
