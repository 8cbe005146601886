"""The session's own commands in-process: key generation's threads and per-session limit."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from rtcshim.dispatchers import certificate
from rtcshim.serving import ServerThread

from .fake_page import FakePage, connect_bridge

ECDSA = {"name": "ECDSA", "namedCurve": "P-256"}
# The smallest RSA key Chromium makes: generated on the key threads, quickly enough for a test.
RSA = {"name": "RSASSA-PKCS1-v1_5", "modulusLength": 1024, "publicExponent": [1, 0, 1], "hash": "SHA-256"}


@pytest.fixture
def held_key_generation(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[queue.Queue[str], threading.Event]]:
    """certificate.generate made to wait for `release`; `started` names each one's thread."""
    started: queue.Queue[str] = queue.Queue()
    release = threading.Event()
    generate = certificate.generate

    def held(algorithm: dict[str, Any]) -> certificate.BridgeCertificate:
        started.put(threading.current_thread().name)
        release.wait(30)
        return generate(algorithm)

    monkeypatch.setattr(certificate, "generate", held)
    yield started, release
    release.set()


def test_generate_certificate_runs_one_key_per_session_on_its_own_threads(
    server: ServerThread, held_key_generation: tuple[queue.Queue[str], threading.Event]
) -> None:
    started, release = held_key_generation
    with connect_bridge(server.url) as greedy_socket, connect_bridge(server.url) as other_socket:
        greedy, other = FakePage(greedy_socket), FakePage(other_socket)
        calls = [greedy.send_call("Session", "generateCertificate", {"algorithm": RSA}) for _ in range(3)]
        assert started.get(timeout=10).startswith("rtcshim-keygen")
        # The session's other two calls wait for the first...
        with pytest.raises(queue.Empty):
            started.get(timeout=0.5)
        # ...and do not hold up another session's.
        other_call = other.send_call("Session", "generateCertificate", {"algorithm": RSA})
        assert started.get(timeout=10).startswith("rtcshim-keygen")
        release.set()
        replies = [greedy.reply_to(call) for call in calls] + [other.reply_to(other_call)]
    assert [sorted(reply) for reply in replies] == [["id", "result"]] * 4
    assert started.qsize() == 2  # the greedy session's waiting calls ran afterwards


def test_generate_certificate_makes_an_ecdsa_key_on_the_event_loop(
    server: ServerThread, held_key_generation: tuple[queue.Queue[str], threading.Event]
) -> None:
    """ECDSA P-256 costs less than the trip to a key thread: no thread, no turn to wait."""
    started, release = held_key_generation
    release.set()
    with connect_bridge(server.url) as socket:
        page = FakePage(socket)
        replies = [page.call("Session", "generateCertificate", {"algorithm": ECDSA}) for _ in range(2)]
    assert [sorted(reply) for reply in replies] == [["id", "result"]] * 2
    assert [started.get_nowait(), started.get_nowait()] == ["rtcshim-server"] * 2
