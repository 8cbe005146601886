"""RTCRtpReceiver.getSynchronizationSources and getContributingSources.

Both are synchronous in the page, so the server tells it, at most every
`REPORT_INTERVAL_S` (100 ms) while packets arrive, the sources a receiver heard from in the
last ten seconds (webrtc-pc): each SSRC and CSRC with its last RTP timestamp, how long ago its
last packet arrived (the page turns that into a timestamp on its own clock), and, for an
SSRC, the audio level its ssrc-audio-level header extension gave (RFC 6464's -dBov, as the
linear level webrtc-pc asks for).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from .aiortc_seams import RtpPacketTaps, RtpTap

REPORT_INTERVAL_S = 0.1
KEPT_S = 10.0


@dataclass
class HeardSource:
    source: int
    rtp_timestamp: int
    arrival: float  # time.monotonic()
    audio_level: float | None


class RtpSources:
    def __init__(self, report: Callable[[dict[str, Any]], None]) -> None:
        self._report = report
        self.synchronization: dict[int, HeardSource] = {}
        self.contributing: dict[int, HeardSource] = {}
        self._report_due: asyncio.TimerHandle | None = None

    def watch(self, receiver: RTCRtpReceiver) -> None:
        """Note every packet the receiver takes in: the SOURCES tap on its incoming RTP
        (`aiortc_seams.RtpTap` says what it sees)."""
        RtpPacketTaps.of(receiver).add(RtpTap.SOURCES, after=self.heard)

    def last_heard_ms(self, ssrc: int) -> float | None:
        """When this SSRC's last packet arrived, in ms since the epoch (getStats'
        lastPacketReceivedTimestamp), if it was heard."""
        heard = self.synchronization.get(ssrc)
        if heard is None:
            return None
        return (time.time() - (time.monotonic() - heard.arrival)) * 1000

    def heard(self, packet: RtpPacket) -> None:
        now = time.monotonic()
        level = getattr(packet.extensions, "audio_level", None)
        self.synchronization[packet.ssrc] = HeardSource(
            packet.ssrc, packet.timestamp, now, 10 ** (-level[1] / 20) if level is not None else None)
        for csrc in packet.csrc:
            self.contributing[csrc] = HeardSource(csrc, packet.timestamp, now, None)
        if self._report_due is None:
            self._report_due = asyncio.get_running_loop().call_later(REPORT_INTERVAL_S, self._send_report)

    def _send_report(self) -> None:
        self._report_due = None
        now = time.monotonic()
        self._report({name: [_wire(heard, now) for heard in sources.values() if now - heard.arrival < KEPT_S]
                      for name, sources in (("synchronization", self.synchronization),
                                            ("contributing", self.contributing))})

    def stop(self) -> None:
        if self._report_due is not None:
            self._report_due.cancel()
            self._report_due = None


def _wire(heard: HeardSource, now: float) -> dict[str, Any]:
    sent: dict[str, Any] = {"source": heard.source, "rtpTimestamp": heard.rtp_timestamp,
                            "ageMs": (now - heard.arrival) * 1000}
    if heard.audio_level is not None:
        sent["audioLevel"] = heard.audio_level
    return sent
