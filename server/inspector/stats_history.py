"""A peer connection's recent getStats reports, kept as chrome://webrtc-internals keeps
them for its dumps: one series per stats object and numeric field, bounded in length and
in number."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime
from typing import Any

# Samples a series keeps (one a second: two minutes), and series a connection keeps.
SAMPLES_PER_SERIES = 120
MAX_SERIES = 1000


def iso_time(milliseconds: float) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="milliseconds")


class StatsHistory:
    def __init__(self) -> None:
        # "<stats id>-<field>" -> (stats type, its (timestamp, value) samples)
        self._series: dict[str, tuple[str, deque[tuple[float, float]]]] = {}

    def add(self, report: list[dict[str, Any]]) -> None:
        for entry in report:
            for field, value in entry.items():
                if field == "timestamp" or isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                key = f"{entry['id']}-{field}"
                if key not in self._series:
                    if len(self._series) >= MAX_SERIES:
                        continue
                    self._series[key] = (entry["type"], deque(maxlen=SAMPLES_PER_SERIES))
                self._series[key][1].append((entry["timestamp"], value))

    def dump(self) -> dict[str, dict[str, Any]]:
        """webrtc-internals' "stats" of a peer connection: per series its statsType, the
        first and last sample's time and the values as a JSON array in a string."""
        return {
            key: {"statsType": stats_type, "startTime": iso_time(samples[0][0]),
                  "endTime": iso_time(samples[-1][0]), "values": json.dumps([value for _, value in samples])}
            for key, (stats_type, samples) in self._series.items() if samples
        }
