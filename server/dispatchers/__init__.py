"""The server half of each protocol interface: one module per interface, named after it.

Each module holds the `Dispatcher` subclass that serves one `[interfaces.X]` of
protocol.toml (whose pointer line names the module): `session`, `certificate`,
`peer_connection`, `data_channel`, `media_stream_track`, `transceiver`, `dtls_transport`,
`sctp_transport`, `dtmf_sender`. Each wraps one aiortc object for one session and
translates where aiortc and a browser differ; the helpers they share (SDP fixes, stats,
DTMF packets, RTP parameters) are the flat modules beside this package.
"""
