"""Fixtures shared by every test: the server in a thread, and the browser settings."""

from __future__ import annotations

import fcntl
import importlib.util
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rtcshim.serving import ServerThread

REPO = Path(__file__).resolve().parent.parent


def _load_playwright_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playwright_config", REPO / "playwright.config.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLAYWRIGHT_CONFIG = _load_playwright_config()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    """pytest-playwright launches Debian's Chromium with our flags."""
    return PLAYWRIGHT_CONFIG.launch_args(fake_media=True)


@pytest.fixture(autouse=True)
def alone_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under xdist, a test marked `alone` runs while no other worker runs a test: it
    measures real time (a source's pace, a continuous tone), which a neighbour busy with
    a browser would starve. Other tests share a lock; an `alone` test takes it whole, and
    first holds the turnstile that new tests pass through, so they cannot keep it waiting."""
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is None:  # one process: nothing runs beside the test
        yield
        return
    prefix = Path(tempfile.gettempdir()) / f"rtcshim-tests-{workerinput['testrunuid']}"
    with open(f"{prefix}.turnstile", "a") as turnstile, open(f"{prefix}.lock", "a") as lock:
        if request.node.get_closest_marker("alone"):
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(lock, fcntl.LOCK_EX)
        else:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(turnstile, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_server() -> Iterator[ServerThread]:
    """One server for the whole test process (each xdist worker has its own, on its own
    port); tests reach it through `server`, which empties it after each of them."""
    with ServerThread(strict=True) as running:
        yield running


@pytest.fixture
def server(shared_server: ServerThread) -> Iterator[ServerThread]:
    """The process's server, empty: its registry shows exactly what this test created.

    After the test (its pages and contexts are closed first: they depend on this fixture)
    every session left is closed, which disposes everything it held. A session still
    arriving from a page closed mid-connect closes once its socket is found gone: the
    next test waits for that before it starts, so it sees no object of another test.
    """
    wait_until_empty(shared_server)
    yield shared_server
    shared_server.close_sessions()


def wait_until_empty(server: ServerThread, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while server.registry.sessions:
        if time.monotonic() > deadline:
            raise AssertionError(f"sessions of an earlier test are still open: {list(server.registry.sessions)}")
        server.close_sessions()
        time.sleep(0.02)


@pytest.fixture
def fresh_server() -> Iterator[ServerThread]:
    """A server of its own, for a test that counts what a whole server holds (its tasks,
    its connections), which the shared one carries from test to test."""
    with ServerThread(strict=True) as running:
        yield running
