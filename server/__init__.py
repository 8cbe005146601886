"""rtcshim: a complete WebRTC API for any page, backed by aiortc in this process."""

from .app import create_app
from .embedded_server import Server
from .handles import (
    AsyncDataChannel,
    AsyncPageSession,
    AsyncPeerConnection,
    AsyncRecording,
    AsyncTrack,
    DataChannel,
    Evaluates,
    PageSession,
    PeerConnection,
    Recording,
    Track,
)
from .media.sources import MediaSources
from .page_tree import PageTree
from .registry import Registry
from .settings import SettingsError

__all__ = [
    "AsyncDataChannel", "AsyncPageSession", "AsyncPeerConnection", "AsyncRecording", "AsyncTrack", "DataChannel",
    "Evaluates", "MediaSources", "PageSession", "PageTree", "PeerConnection", "Recording", "Registry", "Server",
    "SettingsError", "Track", "create_app",
]
__version__ = "0.1.0"
