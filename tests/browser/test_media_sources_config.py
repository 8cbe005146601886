"""Media sources chosen per session and per test, heard at the other end of a call.

Two shimmed pages call each other with their microphones through the relay; each
measures the tone it receives with an AnalyserNode. A registry subscriber gives one
session other sources before its page asks for media; a test can also start its server
with sources of its own (`server` parametrized indirectly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from rtcshim.dispatcher import Dispatcher
from rtcshim.media.sources import MediaSources
from rtcshim.registry import Change
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .page_helpers import assert_tone
from .relay_calls import (
    close_call,
    join_call,
    new_room,
    remote_tone_peak,
    wait_call_up,
)

DEFAULT_TONE_HZ = 440
SESSION_TONE_HZ = 880
SERVER_TONE_HZ = 660


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    """As tests/conftest.py's, started with the MediaSources a test passes as its parameter."""
    media_sources: MediaSources | None = getattr(request, "param", None)
    running = ServerThread(strict=True, media_sources=media_sources).start()
    try:
        yield running
    finally:
        running.stop()


def session_id(page: Page) -> str:
    """Connects the page's bridge (if it was not yet) and returns its session id."""
    session: str = page.evaluate("window.rtcshim.session()")
    return session


def call_with_microphones(first: Page, second: Page) -> None:
    room = new_room("media-sources")
    join_call(first, room, offerer=True, media={"audio": True})
    join_call(second, room, offerer=False, media={"audio": True})
    for name, page in (("first", first), ("second", second)):
        state = wait_call_up(page, remote_tracks=1, name=name)
        assert state["remoteKinds"] == ["audio"], state


def test_tone_follows_session_sources_when_subscriber_sets_them_for_one_session(
    server: ServerThread, open_shim_page: Callable[[], Page]
) -> None:
    changed: list[str] = []
    lock = threading.Lock()

    def give_first_session_another_tone(change: Change, subject: Session | Dispatcher) -> None:
        # Runs on the server loop when the page's socket opens, before any call of it.
        if change == "created" and isinstance(subject, Session):
            with lock:
                if not changed:
                    subject.media_sources = MediaSources.default(tone_hz=SESSION_TONE_HZ)
                    changed.append(subject.id)

    unsubscribe = server.registry.subscribe(give_first_session_another_tone)
    try:
        high = open_shim_page()
        assert session_id(high) == changed[0]
    finally:
        unsubscribe()
    normal = open_shim_page()
    assert session_id(normal) != changed[0]

    call_with_microphones(high, normal)
    assert_tone(remote_tone_peak(normal, "the page hearing the changed session"), SESSION_TONE_HZ)
    assert_tone(remote_tone_peak(high, "the page hearing the default session"), DEFAULT_TONE_HZ)
    for page in (high, normal):
        assert page.evaluate("window.call.error") is None
        close_call(page)


@pytest.mark.parametrize("server", [MediaSources.default(tone_hz=SERVER_TONE_HZ)], indirect=True, ids=["660Hz"])
def test_tone_follows_server_sources_when_test_starts_server_with_them(
    server: ServerThread, open_shim_page: Callable[[], Page]
) -> None:
    first, second = open_shim_page(), open_shim_page()
    call_with_microphones(first, second)
    for page in (first, second):
        assert_tone(remote_tone_peak(page, "a page of the 660 Hz server"), SERVER_TONE_HZ)
    for page in (first, second):
        assert page.evaluate("window.call.error") is None
        close_call(page)
