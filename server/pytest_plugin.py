"""rtcshim's pytest plugin (entry point `pytest11`: installing rtcshim loads it).

Fixtures (all named `rtcshim_*`, so they never shadow a project's own):
- `rtcshim_shared_server` (session): an `rtcshim.Server` on a free loopback port, stopped
  at the end (its sessions closed, its thread joined, its socket closed). Pages of any
  origin may use it: the token in the init script admits them.
- `rtcshim_server`: the same server for one test, empty when the test starts; the pages
  the test connects get the test's media sources; their sessions are closed after it.
- `rtcshim_init_script`: the script that runs before any page script of `rtcshim_context`:
  the engine's own WebRTC removed (if asked), then shim.js bridged to `rtcshim_server`.
- `rtcshim_context` and `rtcshim_page`: pytest-playwright's `context` and `page` with that
  script, so they keep its options (`--browser`, `--headed`, tracing, video, ...).

Options, ini settings and markers choose the media, the removal of native WebRTC and a
Chromium to launch (docs/pytest-plugin.md). Nothing here acts on a test that uses no
`rtcshim_*` fixture, except `rtcshim_chromium`, which chooses the browser of the run.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .browser_setup import REMOVE_NATIVE_WEBRTC, chromium_launch_args, shim_init_script
from .cli import tone_frequency
from .dispatcher import Dispatcher
from .embedded_server import Server
from .media.sources import MediaSources
from .registry import Change
from .serving import ServerThread
from .session import Session
from .settings import SettingsError, media_sources_of

if TYPE_CHECKING:  # pytest-playwright brings Playwright; the plugin loads without either
    from playwright.sync_api import BrowserContext, Page

MARKERS = [
    "rtcshim_media(*files, tone=HZ): the devices getUserMedia offers this test's pages: the synthetic camera, "
    "the synthetic microphone at `tone` Hz, then each file's (paths relative to the test's folder); "
    "a MediaSources passed among the files is added as it is",
    "rtcshim_remove_native_webrtc(remove=True): rtcshim_page and rtcshim_context have no WebRTC of the engine's own",
    "rtcshim_options(**options): more rtcshimOptions for the shim of rtcshim_page and rtcshim_context",
]
# Long enough for a page closed mid-connect to have its session found gone and closed.
EMPTYING_SECONDS = 10


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rtcshim", "rtcshim (WebRTC pages on a Python server)")
    group.addoption(
        "--rtcshim-media", action="append", default=None, metavar="FILE",
        help="offer FILE's video and audio to every page's getUserMedia (repeatable; ini: rtcshim_media)")
    group.addoption(
        "--rtcshim-tone", type=tone_frequency, default=None, metavar="HZ",
        help="the synthetic microphone's tone for every page (ini: rtcshim_tone; default: 440)")
    group.addoption(
        "--rtcshim-remove-native-webrtc", action="store_true", default=None,
        help="rtcshim pages have no WebRTC of the engine's own, as WebKitGTK (ini: rtcshim_remove_native_webrtc)")
    group.addoption(
        "--rtcshim-chromium", default=None, metavar="PATH",
        help="pytest-playwright launches the Chromium at PATH (e.g. /usr/bin/chromium) with the flags WebRTC "
             "tests need (ini: rtcshim_chromium)")
    parser.addini("rtcshim_media", "media files for every page's getUserMedia (relative to the ini file)",
                  type="paths", default=[])
    parser.addini("rtcshim_tone", "the synthetic microphone's tone in Hz", default="")
    parser.addini("rtcshim_remove_native_webrtc", "rtcshim pages have no WebRTC of the engine's own",
                  type="bool", default=False)
    parser.addini("rtcshim_chromium", "the Chromium pytest-playwright launches, with WebRTC's flags", default="")


@dataclass(frozen=True)
class RunSettings:
    """The run's choices: the command line's, else the ini file's."""

    media_files: list[str]
    tone_hz: float
    remove_native_webrtc: bool
    chromium: str

    @classmethod
    def of(cls, config: pytest.Config) -> RunSettings:
        """A UsageError (one line, no traceback) for a value that cannot work."""
        media_files = config.getoption("rtcshim_media") or [str(path) for path in config.getini("rtcshim_media")]
        tone_hz: float | None = config.getoption("rtcshim_tone")
        if tone_hz is None:
            try:
                tone_hz = tone_frequency(config.getini("rtcshim_tone") or "440")
            except argparse.ArgumentTypeError as error:
                raise pytest.UsageError(f"rtcshim_tone: {error}") from None
        if media_files:
            try:
                media_sources_of(tone_hz, media_files, "--rtcshim-media")
            except SettingsError as error:
                raise pytest.UsageError(str(error)) from None
        chromium: str = config.getoption("rtcshim_chromium") or config.getini("rtcshim_chromium")
        if chromium and not Path(chromium).is_file():
            raise pytest.UsageError(f"--rtcshim-chromium {chromium}: no such file")
        removal: bool | None = config.getoption("rtcshim_remove_native_webrtc")
        return cls(media_files, tone_hz, config.getini("rtcshim_remove_native_webrtc") if removal is None else removal,
                   chromium)


RUN_SETTINGS = pytest.StashKey[RunSettings]()


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    settings = RunSettings.of(config)
    config.stash[RUN_SETTINGS] = settings
    if settings.chromium:
        # Registered after every entry-point plugin, so its fixture wraps pytest-playwright's
        # (a conftest's own browser_type_launch_args still wins over both).
        config.pluginmanager.register(ChromiumLaunch(settings.chromium), "rtcshim-chromium")


class ChromiumLaunch:
    """pytest-playwright's launch settings, plus the Chromium to run and WebRTC's flags."""

    def __init__(self, executable_path: str) -> None:
        self.executable_path = executable_path

    @pytest.fixture(scope="session")
    def browser_type_launch_args(
        self, browser_type_launch_args: dict[str, Any], browser_name: str | None
    ) -> dict[str, Any]:
        if browser_name not in (None, "chromium"):
            return browser_type_launch_args
        chromium = chromium_launch_args(self.executable_path, fake_media=True)
        # pytest-playwright's own (--headed, --slowmo, --browser-channel) win over ours.
        return {**chromium, **browser_type_launch_args,
                "args": [*chromium["args"], *browser_type_launch_args.get("args", [])]}


@pytest.fixture(scope="session")
def rtcshim_shared_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    """The run's server (one per xdist worker). Its origin check admits every page with the
    token, which only the init script carries: file: pages and other servers' pages too."""
    settings = pytestconfig.stash[RUN_SETTINGS]
    server = Server(media=settings.media_files, tone=settings.tone_hz, allowed_origins=["*"],
                    token=secrets.token_urlsafe(16))
    with server:
        yield server


@pytest.fixture
def rtcshim_server(rtcshim_shared_server: Server, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The run's server, holding nothing of an earlier test; each page the test connects
    gets the test's `rtcshim_media` (replaceable until the page calls getUserMedia)."""
    wait_until_empty(rtcshim_shared_server)
    media_sources = marked_media_sources(request)
    stop_giving = None if media_sources is None else give_new_sessions(rtcshim_shared_server, media_sources)
    try:
        yield rtcshim_shared_server
    finally:
        if stop_giving is not None:
            stop_giving()
        rtcshim_shared_server.close_sessions()


def give_new_sessions(server: Server, media_sources: MediaSources) -> Callable[[], None]:
    """Every session opened from now on offers `media_sources`; returns what stops it."""

    def give(change: Change, subject: Session | Dispatcher) -> None:
        # On the server's loop, when a page's bridge opens: before any call of it.
        if change == "created" and isinstance(subject, Session):
            subject.media_sources = media_sources

    return server.registry.subscribe(give)


def wait_until_empty(server: ServerThread, seconds: float = EMPTYING_SECONDS) -> None:
    """Closes the sessions left, and those still arriving from pages closed mid-connect."""
    deadline = time.monotonic() + seconds
    while server.registry.sessions:
        if time.monotonic() > deadline:
            raise AssertionError(f"sessions of an earlier test are still open: {list(server.registry.sessions)}")
        server.close_sessions()
        time.sleep(0.02)


def marked_media_sources(request: pytest.FixtureRequest) -> MediaSources | None:
    """The sources of the test's `rtcshim_media` marker; None without one (the server's)."""
    marker = request.node.get_closest_marker("rtcshim_media")
    if marker is None:
        return None
    tone = marker.kwargs.get("tone", request.config.stash[RUN_SETTINGS].tone_hz)
    given = [source for source in marker.args if isinstance(source, MediaSources)]
    files = [request.path.parent / source for source in marker.args if isinstance(source, str | Path)]
    if len(given) + len(files) != len(marker.args) or set(marker.kwargs) - {"tone"}:
        pytest.fail(f"rtcshim_media takes file paths, MediaSources and tone=HZ, not {marker}", pytrace=False)
    try:
        sources = media_sources_of(tone_frequency(str(tone)), files, "rtcshim_media")
    except argparse.ArgumentTypeError as error:
        problem = f"rtcshim_media tone={tone!r}: {error}"
    except SettingsError as error:
        problem = str(error)
    else:
        return sum(given, sources)
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def rtcshim_init_script(rtcshim_server: Server, request: pytest.FixtureRequest) -> str:
    """The engine's own WebRTC removed (option, ini or marker), then shim.js, bridged to
    `rtcshim_server`, with the test's `rtcshim_options`."""
    remove = request.config.stash[RUN_SETTINGS].remove_native_webrtc
    removal_marker = request.node.get_closest_marker("rtcshim_remove_native_webrtc")
    if removal_marker is not None:
        remove = bool(removal_marker.args[0]) if removal_marker.args else True
    options_marker = request.node.get_closest_marker("rtcshim_options")
    shim = shim_init_script(
        f"{rtcshim_server.url.replace('http', 'ws', 1)}/bridge", token=rtcshim_server.settings.token,
        options=options_marker.kwargs if options_marker else None)
    return f"{REMOVE_NATIVE_WEBRTC}\n{shim}" if remove else shim


@pytest.fixture
def rtcshim_context(rtcshim_init_script: str, context: BrowserContext) -> BrowserContext:
    """pytest-playwright's `context` (its browser_context_args, tracing, video), where every
    page, and every frame in it, runs `rtcshim_init_script` before its own scripts. Set up
    after `rtcshim_server`, it closes first: its pages' bridges are gone before the server
    closes what is left."""
    context.add_init_script(rtcshim_init_script)
    return context


@pytest.fixture
def rtcshim_page(rtcshim_context: BrowserContext, page: Page) -> Page:
    """pytest-playwright's `page`, in `rtcshim_context`: every document it loads has the shim."""
    return page
