"""Fixtures shared by every test: the server in a thread, and the browser settings."""

from __future__ import annotations

import fcntl
import importlib.util
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rtcshim.pytest_plugin import wait_until_empty
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


class RunAlone:
    """Under xdist, a test marked `alone` runs while no other worker runs a test: it
    measures real time (a source's pace, a continuous tone), which a neighbour busy with
    a browser would starve. Other tests share a lock; an `alone` test takes it whole, and
    first holds the turnstile that new tests pass through, so they cannot keep it waiting.
    `alone` tests in a row on one worker keep the lock from the first to the last."""

    def __init__(self, prefix: str) -> None:
        # Open for the life of the process; flock locks belong to these open files.
        self.turnstile = open(f"{prefix}.turnstile", "a")
        self.lock = open(f"{prefix}.lock", "a")
        self.alone = False

    def before(self, item: pytest.Item) -> None:
        if self.alone:
            return  # kept from the `alone` test before
        fcntl.flock(self.turnstile, fcntl.LOCK_EX)
        if item.get_closest_marker("alone"):
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            self.alone = True
        else:
            fcntl.flock(self.turnstile, fcntl.LOCK_UN)
            fcntl.flock(self.lock, fcntl.LOCK_SH)

    def after(self, next_item: pytest.Item | None) -> None:
        if self.alone and next_item is not None and next_item.get_closest_marker("alone"):
            return
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        fcntl.flock(self.turnstile, fcntl.LOCK_UN)
        self.alone = False


# The worker's RunAlone, under xdist (one process alone has nothing running beside a test).
RUN_ALONE: RunAlone | None = None


def pytest_configure(config: pytest.Config) -> None:
    global RUN_ALONE
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        RUN_ALONE = RunAlone(str(Path(tempfile.gettempdir()) / f"rtcshim-tests-{workerinput['testrunuid']}"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures: see RunAlone."""
    if RUN_ALONE is not None:
        RUN_ALONE.before(item)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the test's fixtures are gone: see RunAlone. (xdist's default distribution never
    takes back a test it gave a worker, so `nextitem` is the test that runs next.)"""
    if RUN_ALONE is not None:
        RUN_ALONE.after(nextitem)


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


@pytest.fixture
def fresh_server() -> Iterator[ServerThread]:
    """A server of its own, for a test that counts what a whole server holds (its tasks,
    its connections), which the shared one carries from test to test."""
    with ServerThread(strict=True) as running:
        yield running
