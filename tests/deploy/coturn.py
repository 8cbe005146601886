"""Debian's coturn running deploy/coturn/turnserver.conf on loopback, its state in a folder of the test's."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from ..conftest import REPO
from .config_template import fill
from .daemon import Daemon

TURNSERVER_CONF = REPO / "deploy" / "coturn" / "turnserver.conf"
REALM = "rtcshim.test"
USER = "rtcshim"
# coturn's log line for each allocation it made, with the user it authenticated.
ALLOCATION = re.compile(r"session \d+: new, realm=<[^>]*>, username=<([^>]*)>, lifetime=")

# For the tests only: the relay's addresses and the peers' are all loopback here, which
# coturn refuses as peers unless told (dangerous in production, as coturn says); and
# `verbose` logs each allocation, which the tests read.
TESTS_ONLY = """
# tests/deploy/coturn.py: every peer is on loopback; log each allocation.
allow-loopback-peers
verbose
"""


def turnserver_executable() -> str:
    found = shutil.which("turnserver")
    if found is None:
        raise RuntimeError("Debian's coturn is missing: apt-get install coturn (scripts/test installs it)")
    return found


class Coturn(Daemon):
    """turnserver on 127.0.0.1:`port`, relaying from 127.0.0.1, with one user of a new password."""

    def __init__(self, folder: Path, port: int) -> None:
        self.password = secrets.token_urlsafe(12)
        self.url = f"turn:127.0.0.1:{port}"
        configuration = folder / "turnserver.conf"
        configuration.write_text(fill(TURNSERVER_CONF, {
            "TURN_LISTENING_IP": "127.0.0.1", "TURN_PORT": str(port), "TURN_RELAY_IP": "127.0.0.1",
            "TURN_MIN_PORT": "49152", "TURN_MAX_PORT": "65535",
            "TURN_REALM": REALM, "TURN_USER": USER, "TURN_PASSWORD": self.password, "TURN_STATE_DIR": str(folder),
        }) + TESTS_ONLY)
        self.log = folder / "turnserver.log"  # flushed line by line (its stdout is not)
        super().__init__("turnserver", [turnserver_executable(), "-c", str(configuration)], folder / "output.log")
        self.wait_listening("127.0.0.1", port)  # TCP: the same port as the UDP listener

    def allocations(self) -> list[str]:
        """The user of each allocation coturn made so far, from its log."""
        return ALLOCATION.findall(self.log.read_text("utf-8", errors="replace") if self.log.exists() else "")

    @property
    def ice_server(self) -> dict[str, Any]:
        """The RTCIceServer a page names it with."""
        return {"urls": self.url, "username": USER, "credential": self.password}
