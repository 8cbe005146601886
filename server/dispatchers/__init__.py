"""The server half of each protocol interface: one module per interface, named after it.

Each module holds the `Dispatcher` subclass that serves one `[interfaces.X]` of
protocol.toml (whose pointer line names the module): `session`, `certificate`,
`peer_connection`, `data_channel`, `media_stream_track`, `transceiver`, `dtls_transport`,
`sctp_transport`, `dtmf_sender`. Each but the root (`session`) wraps one aiortc object for
one session and translates where aiortc and a browser differ. What they use that speaks no
protocol lives beside this package: the translation helpers (SDP fixes, stats, DTMF
packets, RTP parameters and sources, ...) as flat modules, the media in `media/`, and every
private name of aiortc in `aiortc_seams.py` (docs/design.md's module map lists them all).
"""
