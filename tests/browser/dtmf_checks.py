"""What DTMF tests read from the server: the tones a receiving transceiver decoded, and
the schedule webrtc-pc sets. (The page side, `dtmfCall`, `logTones`, `tonesDone`, is in
page_helpers.js.)"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.dtmf_receiver import ReceivedTone
from rtcshim.serving import ServerThread


def receiving_transceivers(server: ServerThread) -> list[TransceiverDispatcher]:
    """The server's audio transceivers that receive, oldest first."""
    return [
        obj for obj in server.registry.objects()
        if isinstance(obj, TransceiverDispatcher) and obj.dtmf_received is not None
        and obj.transceiver.currentDirection in ("sendrecv", "recvonly")
    ]


def received_tones(server: ServerThread, transceiver: TransceiverDispatcher, count: int) -> list[ReceivedTone]:
    """The first `count` tones the transceiver decoded, once all have ended (bounded wait)."""
    receiver = transceiver.dtmf_received
    assert receiver is not None

    async def wait() -> list[ReceivedTone]:
        await receiver.wait_for_digits(count)
        while not all(tone.ended for tone in receiver.tones[:count]):
            await asyncio.sleep(0.02)
        return receiver.tones[:count]

    return server.run(asyncio.wait_for(wait(), 30))


def start_spacing_ms(tones: list[ReceivedTone]) -> list[float]:
    """Milliseconds between the starts of successive tones, from their RTP timestamps."""
    return [((later.timestamp - earlier.timestamp) & 0xFFFFFFFF) * 1000 / earlier.clock_rate
            for earlier, later in pairwise(tones)]


def scheduled_ms(tones: str, duration_ms: int, gap_ms: int) -> int:
    """webrtc-pc's schedule from the first tonechange to the final "": each tone lasts
    duration + gap, a ',' 2000 ms."""
    return sum(2000 if tone == "," else duration_ms + gap_ms for tone in tones)


def assert_paced(span_ms: float, tones: str, duration_ms: int, gap_ms: int) -> None:
    """The page's tonechanges kept the schedule's wall-clock pace. A lower bound only (90%,
    for timer granularity): a slow machine makes the span longer, never shorter."""
    assert span_ms >= 0.9 * scheduled_ms(tones, duration_ms, gap_ms), span_ms
