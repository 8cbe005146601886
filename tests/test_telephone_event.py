"""telephone-event is rtcshim's codec only: in its peers' descriptions, never in aiortc's
global table nor in a plain aiortc peer's offer in the same process."""

from __future__ import annotations

import subprocess
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpCodecCapability
from aiortc.codecs import get_capabilities

from rtcshim.serving import ServerThread
from rtcshim.telephone_event import MIME_TYPE, capabilities

from .fake_page import FakePage, connect_bridge, new_handle

IMPORT_EVERYTHING = """
import importlib, pkgutil
import aiortc.codecs, aiortc.rtcpeerconnection

table = aiortc.codecs.CODECS
before = {kind: [repr(codec) for codec in codecs] for kind, codecs in table.items()}
import rtcshim
for module in pkgutil.walk_packages(rtcshim.__path__, "rtcshim."):
    if module.name != "rtcshim.__main__":  # that one runs the CLI
        importlib.import_module(module.name)
assert aiortc.codecs.CODECS is table and aiortc.rtcpeerconnection.CODECS is table, "the table was replaced"
after = {kind: [repr(codec) for codec in codecs] for kind, codecs in table.items()}
assert after == before, after
print("unchanged")
"""


def test_importing_rtcshim_leaves_aiortcs_codec_table_alone() -> None:
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, check=False)
    assert result.stdout == "unchanged\n", result.stderr


def audio_offer_of_a_page(server: ServerThread) -> str:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        guid = page.create_peer_connection()
        page.call(guid, "addTransceiver", {
            "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
            "receiverTrackId": "receiver-track", "kind": "audio", "track": None,
            "init": {"direction": "sendrecv", "streams": []}})
        offer: str = page.call(guid, "createOffer", {"options": {}})["result"]["description"]["sdp"]
        return offer


async def plain_aiortc_audio_offer() -> str:
    peer_connection = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peer_connection.addTransceiver("audio")
    offer = await peer_connection.createOffer()
    await peer_connection.close()
    return offer.sdp


def test_only_rtcshim_peers_offer_telephone_event(server: ServerThread) -> None:
    assert "telephone-event/48000" in audio_offer_of_a_page(server)
    assert "telephone-event/8000" in audio_offer_of_a_page(server)
    # The same process and event loop, after the app was created: aiortc's codecs only.
    assert "telephone-event" not in server.run(plain_aiortc_audio_offer())
    assert "telephone-event" in audio_offer_of_a_page(server)  # and the page's still have it


def test_capabilities_have_telephone_event_for_rtcshim_peers_only(server: ServerThread) -> None:
    def event_rates(codecs: list[RTCRtpCodecCapability]) -> list[int]:
        return [codec.clockRate for codec in codecs if codec.mimeType == MIME_TYPE]

    assert event_rates(capabilities("audio").codecs) == [48000, 8000]
    assert event_rates(get_capabilities("audio").codecs) == []
    assert capabilities("video") == get_capabilities("video")
