"""A program the test starts in the foreground (nginx, turnserver), its output in a file,
stopped with every process it started: the test checks that none is left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

# Bounds a start or a stop that hangs; nothing is measured against it.
WATCHDOG_SECONDS = 30


class Daemon:
    def __init__(self, name: str, command: Sequence[str], output: Path) -> None:
        self.name = name
        self.output = output
        with output.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.stopped_pids: set[int] = set()

    def wait_listening(self, host: str, port: int) -> None:
        """Waits until `host`:`port` takes a TCP connection; if it never does, stops the
        program and fails with its output."""
        try:
            self._wait_listening(host, port)
        except RuntimeError:
            self.stop()
            raise

    def _wait_listening(self, host: str, port: int) -> None:
        deadline = time.monotonic() + WATCHDOG_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}): {self.read_output()}")
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} does not listen on {host}:{port}: {self.read_output()}") from None
                time.sleep(0.05)

    def read_output(self) -> str:
        return self.output.read_text("utf-8", errors="replace")

    def pids(self) -> set[int]:
        """The program's process and its descendants (nginx's workers), from /proc."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    # The field after the parenthesised name (which may hold spaces) is the state, then the parent.
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue  # it ended meanwhile
        found = {self.process.pid}
        while True:
            more = {pid for pid, parent in parents.items() if parent in found} - found
            if not more:
                return found
            found |= more

    def stop(self) -> None:
        """SIGTERM (both programs' fast shutdown), SIGKILL past the watchdog; then checks that
        no process it started is left."""
        self.stopped_pids = self.pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WATCHDOG_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        left = self.left_running()
        assert not left, f"{self.name} left processes running: {left}"

    def left_running(self) -> set[int]:
        """Those of the pids seen at stop() that still run (zombies excluded: they hold nothing)."""
        running = set()
        for pid in self.stopped_pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                running.add(pid)
        return running
