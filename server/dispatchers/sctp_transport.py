"""RTCSctpTransport: the peer connection's aiortc SCTP association, as a browser shows it.

aiortc's SCTP transport has no state event at all: `aiortc_seams.on_sctp_state_change`
reports each change of its association. The state names the DtlsTransport handle it runs
over, which bundling may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiortc import RTCSctpTransport

from ..aiortc_seams import on_sctp_state_change, sctp_max_message_size
from ..dispatcher import Dispatcher
from ..sctp_tuning import tune_sctp
from .dtls_transport import DtlsTransportDispatcher

if TYPE_CHECKING:
    from .peer_connection import PeerConnectionDispatcher


class SctpTransportDispatcher(Dispatcher):
    interface = "SctpTransport"

    def __init__(
        self, parent: PeerConnectionDispatcher, sctp: RTCSctpTransport, transport: DtlsTransportDispatcher
    ) -> None:
        super().__init__(parent.session, parent.session.new_handle("SctpTransport"), parent)
        self.sctp = sctp
        self.transport = transport
        self._reported = self._state()
        on_sctp_state_change(sctp, self.report_state)
        self.tuning = tune_sctp(sctp)  # bundling and delayed SACKs (sctp_tuning.py)

    def initializer(self) -> dict[str, Any]:
        return self._reported

    def use_transport(self, transport: DtlsTransportDispatcher) -> None:
        """Bundling moved the association onto another DTLS transport."""
        self.transport = transport
        self.report_state()

    def _state(self) -> dict[str, Any]:
        # The spec's state starts at "connecting"; aiortc's at "new".
        state = "connecting" if self.sctp.state == "new" else self.sctp.state
        return {"transport": self.transport.guid, "state": state,
                "maxMessageSize": float(sctp_max_message_size(self.sctp)),
                "maxChannels": self.sctp.maxChannels if state == "connected" else None}

    def report_state(self) -> None:
        if not self.disposed and (state := self._state()) != self._reported:
            self._reported = state
            self.emit("stateChange", state)
