"""/inspector: every session and peer connection of this server, live, as
chrome://webrtc-internals shows a browser's (docs/inspector.md).

recorder.py keeps what the registry's feeds tell (records.py: one session, one peer
connection); sampler.py adds a getStats report a second (stats_view.py, stats_history.py
read it); sdp_view.py makes descriptions readable; feed.py pushes it all to the open
inspector pages; access.py says who may see it; routes.py serves it (static/inspector.*).
"""

from .feed import InspectorFeed
from .routes import inspector_routes

__all__ = ["InspectorFeed", "inspector_routes"]
