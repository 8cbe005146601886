"""One parse of a session description's text, shared by every part of rtcshim that reads it.

A setup's few descriptions are each read by several modules (the candidates announced,
negotiation-needed, ICE restart's credentials, the ICE of transports without candidates,
the check that aiortc can parse it): aiortc's parser took 0.08 ms a time, 17 times a
setup. Callers only read what they get: it is the same object for the same text.
"""

from __future__ import annotations

import functools

from aiortc.sdp import SessionDescription

# Descriptions in use at once: a few per peer connection being negotiated.
KEPT_DESCRIPTIONS = 64


@functools.lru_cache(maxsize=KEPT_DESCRIPTIONS)
def parsed_sdp(sdp: str) -> SessionDescription:
    """aiortc's parse of `sdp`, made once while it is in use; not to be changed."""
    return SessionDescription.parse(sdp)
