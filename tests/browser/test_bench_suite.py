"""bench/run_all.py --quick end to end, so the benchmarks cannot rot: every benchmark runs
(tiny), and the doc, its charts and its JSON come out whole. Shapes only, never timings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_ALL = REPO / "bench" / "run_all.py"
BENCHMARKS = {"setup_time", "api_calls", "media", "messages", "bridge_call", "scale"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_all(*arguments: str) -> None:
    result = subprocess.run([sys.executable, str(RUN_ALL), *arguments], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_run_all_quick_writes_the_doc_its_charts_and_json(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    run_all("--quick", "--doc", str(doc))

    run = json.loads(doc.with_suffix(".json").read_text())
    assert run["quick"] is True
    assert set(run["benchmarks"]) == BENCHMARKS
    assert {"cpu", "cores", "aiortc", "load_before", "load_after"} <= set(run["machine"])
    setup = run["benchmarks"]["setup_time"]
    for mode in setup["results"].values():  # measured through Playwright, then without it
        assert len(mode["setup_ms"]["samples"]) == len(mode["setup_ms_without_playwright"]["samples"]) \
            == setup["parameters"]["repetitions"]
    messages = run["benchmarks"]["messages"]
    assert set(messages["results"]) == {"shim", "native", "shim-native", "aiortc"}
    for mode in messages["results"].values():
        assert len(mode["echo_ms"]["samples"]) == messages["parameters"]["echoes"]
        assert mode["rate_per_s"]["median"] > 0
    assert len(messages["server_profile"]) == 10
    bridge = run["benchmarks"]["bridge_call"]
    assert {len(bridge["results"][call]["samples"]) for call in ("bridged", "echo")} == {bridge["parameters"]["calls"]}
    assert {len(bridge["results"][call + "_after_idle"]["samples"]) for call in ("bridged", "echo")} == {
        bridge["parameters"]["idle_calls"]}
    scale = run["benchmarks"]["scale"]
    assert scale["stopped"] is None
    assert [level["pages"] for level in scale["levels"]] == scale["parameters"]["pages"]
    for level in scale["levels"]:
        assert len(level["echo_ms"]["samples"]) == level["pages"] * scale["parameters"]["pings"]

    text = doc.read_text()
    assert "| measure | shim | native Chromium | shim/native | target | chart |" in text
    assert "quick mode" in text
    charts = re.findall(r"\((performance/[a-z0-9_]+\.png)\)", text)
    assert len(set(charts)) == 10  # one per measure, and the scale's
    for chart in set(charts):
        assert (tmp_path / chart).read_bytes().startswith(PNG_SIGNATURE), chart

    # The doc again from the kept JSON, elsewhere: the same text.
    again = tmp_path / "again" / "performance.md"
    run_all("--from", str(doc.with_suffix(".json")), "--doc", str(again))
    assert again.read_text() == text
