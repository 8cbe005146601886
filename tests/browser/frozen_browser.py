"""A Chromium launched with a user-data directory of its own, whose processes can be frozen.

SIGSTOP on its process group stops every process of that browser (Playwright starts it
as a group leader, and its zygote and renderers stay in the group): its sockets stay
open and nothing answers, as with a peer whose network went away. SIGCONT resumes it.
Used by tests/browser/test_far_peer_vanish.py and bench/far_peer_vanish.py.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


class FrozenBrowser:
    def __init__(self, user_data_dir: Path | str) -> None:
        self.pid = _browser_pid(Path(user_data_dir))

    def freeze(self) -> None:
        os.killpg(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.pid, signal.SIGCONT)


def _browser_pid(user_data_dir: Path) -> int:
    """The browser's main process: the one with our directory and no --type (children have one)."""
    flag = f"--user-data-dir={user_data_dir}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if flag in argv and not any(arg.startswith(b"--type=") for arg in argv):
                return int(entry.name)
    raise LookupError(f"no browser runs with {user_data_dir}")
