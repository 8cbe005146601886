"""The root object of a session: the page's entry point for creating peer connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .configuration import to_aiortc_configuration
from .dispatcher import Dispatcher, Params, Result
from .peer_connection import PeerConnectionDispatcher
from .protocol import ROOT_HANDLE

if TYPE_CHECKING:
    from .session import Session


class SessionDispatcher(Dispatcher):
    interface = "Session"

    def __init__(self, session: Session) -> None:
        super().__init__(session, ROOT_HANDLE, None)
        self.commands = {"createPeerConnection": self.create_peer_connection}

    async def create_peer_connection(self, params: Params) -> Result:
        configuration = params["configuration"]
        PeerConnectionDispatcher(
            self.session, params["peerConnection"], self, configuration,
            to_aiortc_configuration(configuration),
        )
        return {}
