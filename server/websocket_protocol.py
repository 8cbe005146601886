"""The WebSocket protocol uvicorn runs for rtcshim: its websockets-sansio one, reading on
while the app keeps up.

uvicorn stops reading the socket when it hands the app a message and starts again when the
app has taken every one (`pause_reading`, then `resume_reading` in `receive`). A page
that waits for each reply, as a bridged call does, pays that on every frame: two
selector changes (asyncio's, in Python) for nothing, as the session's reader is already
waiting. A raw WebSocket echo costs the server 7 system calls with uvicorn's, 5 here, and
10,000 of them 0.60-0.62 s of user CPU, 0.45-0.50 s here. Reading stops once the app is a
message behind, so what waits unread is still bounded (two messages, not uvicorn's one).
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# Messages waiting for the app before the socket is no longer read (uvicorn's: 1).
QUEUED_MESSAGES_READING_STOPS = 2


class ReadAheadWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol (`ws="websockets-sansio"`), pausing its reads only
    when the app is behind; its `receive` resumes them once the app has caught up."""

    def send_receive_event_to_app(self) -> None:
        paused = self.read_paused
        self.read_paused = True  # uvicorn's own pause: skipped
        super().send_receive_event_to_app()
        self.read_paused = paused
        if not paused and self.queue.qsize() >= QUEUED_MESSAGES_READING_STOPS:
            self.read_paused = True
            self.transport.pause_reading()
