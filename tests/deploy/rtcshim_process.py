"""`rtcshim serve` in a process of its own, as an operator runs it, with its log read back.

It logs one JSON object a line (`--log-format json`): the test finds there the sessions
the process opened (rtcshim.session) and the WebSockets it accepted, with the client
address uvicorn took from the proxy's X-Forwarded-For.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from typing import Any, NamedTuple

from .daemon import WATCHDOG_SECONDS

ANNOUNCEMENT = re.compile(r"rtcshim: examples at (http://\S+)/examples/")
SESSION_OPENED = re.compile(r"session (\S+) opened ")
# uvicorn's line for an accepted WebSocket handshake.
ACCEPTED = re.compile(r'(\S+) - "WebSocket (\S+)" \[accepted\]')


class AcceptedSocket(NamedTuple):
    client_host: str
    path: str


class RtcshimProcess:
    """`rtcshim serve` on a free loopback port with the examples; `arguments` are more options."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rtcshim", "serve", "--port", "0", "--log-format", "json", *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.records: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read_log, name="rtcshim log", daemon=True)
        self._reader.start()
        assert self.process.stdout is not None
        announced = ANNOUNCEMENT.match(self.process.stdout.readline())  # once it listens
        if announced is None:
            self.stop()
            raise RuntimeError(f"rtcshim serve did not start: {self.records}")
        self.url = announced.group(1)
        self.address = self.url.removeprefix("http://")

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                self.records.append(json.loads(line))
            except json.JSONDecodeError:
                self.records.append({"message": line.rstrip("\n")})

    def messages(self) -> list[str]:
        return [str(record.get("message", "")) for record in list(self.records)]

    def opened_sessions(self) -> set[str]:
        return {found.group(1) for message in self.messages() if (found := SESSION_OPENED.match(message))}

    def accepted_sockets(self) -> list[AcceptedSocket]:
        sockets = []
        for message in self.messages():
            found = ACCEPTED.match(message)
            if found:
                sockets.append(AcceptedSocket(found.group(1).rsplit(":", 1)[0], found.group(2)))
        return sockets

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(WATCHDOG_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(WATCHDOG_SECONDS)
        assert self.process.stdout is not None
        self.process.stdout.close()
