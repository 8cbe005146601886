"""What stats tests expect of a report: the types a call has, the fields that refer to
other stats, and the page-side check that a report is complete. (The call itself,
`statsCall`, and the readers `statsOf`, `legacyStatsOf`, `whenStats`, are in page_helpers.js.)"""

from __future__ import annotations

import json

# The W3C webrtc-stats types a browser reports for a call with media and a data channel.
ALL_TYPES = {
    "peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate",
    "certificate", "codec", "inbound-rtp", "outbound-rtp", "remote-inbound-rtp",
    "remote-outbound-rtp", "media-source", "data-channel",
}
DATA_ONLY_TYPES = {
    "peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate",
    "certificate", "data-channel",
}
# Fields that name another stats object of the same report.
REFERENCES = ("transportId", "codecId", "localCandidateId", "remoteCandidateId", "mediaSourceId",
              "remoteId", "localId", "selectedCandidatePairId", "localCertificateId", "remoteCertificateId")

# Until every type is in a report, with decoded frames, RTCP round trips measured and the
# peer's sender reports in for both kinds.
ALL_TYPES_READY = """(stats) => {
  const types = new Set(Object.values(stats).map((entry) => entry.type));
  return ALL_TYPES.every((type) => types.has(type))
    && ofType(stats, 'inbound-rtp').some((entry) => entry.framesDecoded > 0)
    && ofType(stats, 'remote-inbound-rtp').filter((entry) => entry.roundTripTime !== undefined).length === 2
    && ofType(stats, 'remote-outbound-rtp').length === 2;
}""".replace("ALL_TYPES", json.dumps(sorted(ALL_TYPES)))
