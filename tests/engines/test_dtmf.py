"""DTMF in every engine: RTCRtpSender.dtmf and the 2013 createDTMFSender, between two peers
in the page; the receiving end on the server decodes the tones."""

from __future__ import annotations

from rtcshim.serving import ServerThread

from ..browser.dtmf_checks import received_tones, receiving_transceivers
from .engine_page import EnginePage, every_engine

# Tones through the standard sender, then through the legacy one (the same track).
DTMF = """async () => {
  const { a, sender } = await dtmfCall();
  const standard = sender.dtmf;
  logTones(standard);
  standard.insertDTMF('1#', 70, 50);
  const standardTones = (await tonesDone(standard)).map((entry) => entry.tone);
  // The same object as sender.dtmf (webrtc-pc's legacy form), so it logs on too.
  const legacy = a.createDTMFSender(sender.track);
  const legacyTones = [];
  legacy.ontonechange = (event) => legacyTones.push(event.tone);
  legacy.insertDTMF('9');
  await until(() => legacyTones.includes(''), () => `the legacy sender's final tonechange (${legacyTones})`);
  return { same: legacy === standard, standard: standardTones, canInsert: legacy.canInsertDTMF, legacy: legacyTones };
}"""


@every_engine
def test_dtmf_tones_standard_and_legacy(engine_page: EnginePage, server: ServerThread) -> None:
    assert engine_page.evaluate(DTMF) == {
        "same": True, "standard": ["1", "#", ""], "canInsert": True, "legacy": ["9", ""],
    }
    [receiving] = receiving_transceivers(server)
    assert [tone.tone for tone in received_tones(server, receiving, 3)] == ["1", "#", "9"]
    engine_page.evaluate("() => { window.dtmfPair.a.close(); window.dtmfPair.b.close(); }")
