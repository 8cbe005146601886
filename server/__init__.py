"""rtcshim: a complete WebRTC API for any page, backed by aiortc in this process."""

from .app import create_app
from .page_tree import PageTree
from .registry import Registry

__all__ = ["PageTree", "Registry", "create_app"]
__version__ = "0.1.0"
