"""getStats in every engine: the standard report and Chrome's 2013 callback form."""

from __future__ import annotations

from .engine_page import EnginePage, every_engine

# A data channel call in the page; after one message each way, a's standard report and
# its legacy table.
STATS = """async () => {
  const call = await statsCall();
  call.remoteChannel.send('to a');
  call.channel.send('to b');
  const standard = await whenStats(call.a, (stats) => ofType(stats, 'data-channel').some(
    (entry) => entry.messagesSent === 1 && entry.messagesReceived === 1), 'the channel counts one message each way');
  const pair = ofType(standard, 'candidate-pair').find((entry) => entry.nominated);
  const legacy = await legacyStatsOf(call.a);
  const result = {
    types: [...new Set(Object.values(standard).map((entry) => entry.type))].sort(),
    pairState: pair && pair.state,
    legacyTypes: [...new Set(Object.values(legacy).map((entry) => entry.type))].sort(),
  };
  call.a.close();
  call.b.close();
  return result;
}"""


@every_engine
def test_get_stats_standard_and_legacy(engine_page: EnginePage) -> None:
    result = engine_page.evaluate(STATS)
    assert {"peer-connection", "data-channel", "transport", "candidate-pair", "local-candidate",
            "remote-candidate", "certificate"} <= set(result["types"]), result
    assert result["pairState"] == "succeeded", result
    assert {"googCandidatePair", "localcandidate", "remotecandidate"} <= set(result["legacyTypes"]), result
