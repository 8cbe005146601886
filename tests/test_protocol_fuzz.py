"""The protocol fuzzed: generated and mutated calls for every command, and raw frames.

Each example is one page (a session served in-process, through the same reader and writer
as a socket's) sending a burst of frames. Whatever they hold: every frame gets exactly one
reply, every frame the server sends is strict JSON that protocol.toml allows (the server is
strict, as in every test), no message shows Python's internals, the page still answers
afterwards, closing it leaves nothing in the registry, and another page, open all along,
never notices. RTCSHIM_FUZZ_MESSAGES sets the run's size (docs/security.md has the
full run's figures).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtcshim.errors import BridgeTypeError
from rtcshim.protocol import decode
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .fake_page import InProcessPage
from .fuzz_messages import Handles, calls, raw_frames, seed_descriptions

MESSAGES = int(os.environ.get("RTCSHIM_FUZZ_MESSAGES", "2000"))
MESSAGES_PER_PAGE = 40
# How long one page's burst may take to be answered: far above what it takes (an
# unanswered call is the failure this waits for, not a slow one).
ANSWER_TIMEOUT = 60.0

PYTHON_INTERNALS = re.compile(
    r"NoneType|object has no attribute|is not in list|Traceback|KeyError|IndexError|AttributeError|"
    r"RecursionError|unexpected keyword|positional argument|object is not|<[\w.]+ object at 0x")
ERROR_NAMES = {
    "TypeError", "RangeError", "SyntaxError", "InvalidStateError", "InvalidAccessError", "InvalidModificationError",
    "OperationError", "NotSupportedError", "NotFoundError", "InvalidCharacterError", "OverconstrainedError",
    "NotAllowedError", "NotReadableError", "AbortError", "QuotaExceededError", "UnknownError", "DataError",
}


def replies(page: InProcessPage) -> list[dict[str, Any]]:
    return [message for message in page.received if "id" in message]


async def answered(page: InProcessPage, count: int) -> bool:
    """Whether the page got `count` replies before ANSWER_TIMEOUT (or its session ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_TIMEOUT
    while len(replies(page)) < count and loop.time() < deadline and not page.serving.done():
        await asyncio.sleep(0.01)
    return len(replies(page)) >= count


@pytest.fixture(scope="module")
def tally() -> Iterator[Counter[tuple[str, str]]]:
    """How the run's calls ended, by command: printed at the end (run with -s to see it),
    so that a run shows it reached every command, not only their refusals."""
    outcomes: Counter[tuple[str, str]] = Counter()
    yield outcomes
    print(f"\nfuzz: {sum(outcomes.values())} replies")
    for (method, outcome), count in sorted(outcomes.items()):
        print(f"  {method or '(none)'}: {outcome} x{count}")


def called_methods(frames: list[str | bytes]) -> dict[int, str]:
    """The method of each call frame, by id (frames that do not decode have none)."""
    methods = {}
    for frame in frames:
        try:
            message = decode(frame)
        except (ValueError, RecursionError, BridgeTypeError):
            continue
        if isinstance(message, dict) and isinstance(message.get("id"), int) and isinstance(message.get("method"), str):
            methods[message["id"]] = message["method"]
    return methods


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[ServerThread]:
    with ServerThread(strict=True) as running:
        yield running


@pytest.fixture(scope="module")
def witness(fuzz_server: ServerThread) -> Iterator[tuple[InProcessPage, str]]:
    """A page open through the whole run, with a peer connection: each burst ends with a
    call of its, which must still succeed."""
    async def open_page() -> tuple[InProcessPage, str]:
        page = InProcessPage(Session(fuzz_server.registry, strict=True))
        return page, await page.create_peer_connection()

    page, guid = fuzz_server.run(open_page())
    yield page, guid
    fuzz_server.run(page.drop())


@pytest.fixture(scope="module")
def seeds() -> list[dict[str, str]]:
    return seed_descriptions()


async def _open(registry: Registry) -> InProcessPage:
    page = InProcessPage(Session(registry, strict=True))
    page.next_id = 10**9  # the probe's id: above every id the frames carry
    return page


async def _exchange(page: InProcessPage, frames: list[str | bytes]) -> list[dict[str, Any]]:
    """Send a batch, as fast as a socket would bring it, and wait for its replies: the
    messages the server sent meanwhile."""
    seen, expected = len(page.received), len(replies(page)) + len(frames)
    for frame in frames:
        page.send_raw(frame)
        await asyncio.sleep(0)  # interleave with the calls already running
    await answered(page, expected)
    return page.received[seen:]


async def _close(page: InProcessPage, registry: Registry, witness: InProcessPage,
                 witness_pc: str) -> tuple[dict[str, Any] | None, dict[str, Any], bool]:
    """The page's probe reply (None if its session ended), the witness's, and whether the
    page's session is still registered once the page dropped."""
    probe = await page.call("Session", "enumerateDevices", {}) if not page.serving.done() else None
    witness_probe = await witness.call(witness_pc, "createOffer", {"options": {}})
    await page.drop()
    return probe, witness_probe, page.session.id in registry.sessions


# pytest-timeout's bound is for a hang; this test's length grows with the run's size.
@pytest.mark.timeout(300 + MESSAGES // 10)
@settings(max_examples=max(1, MESSAGES // MESSAGES_PER_PAGE), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_pages_are_all_answered_and_harm_no_one(
    fuzz_server: ServerThread, witness: tuple[InProcessPage, str], seeds: list[dict[str, str]], data: st.DataObject,
    caplog: pytest.LogCaptureFixture, tally: Counter[tuple[str, str]],
) -> None:
    """A page sends its frames in batches; each batch's handles are those of the objects
    that exist once the earlier batches were answered, as a page's script's would be."""
    caplog.clear()  # one test function, many examples
    handles = Handles()
    page = fuzz_server.run(_open(fuzz_server.registry))
    try:
        frames: list[str | bytes] = []
        answers: list[dict[str, Any]] = []
        while len(frames) < MESSAGES_PER_PAGE:
            drawn = [
                data.draw(raw_frames()) if data.draw(st.integers(0, 9)) == 0
                else data.draw(calls(len(frames) + index + 1, seeds))
                for index in range(data.draw(st.integers(1, 8)))
            ]
            batch = [item if isinstance(item, str | bytes) else handles.frame(item) for item in drawn]
            frames += batch
            messages = fuzz_server.run(_exchange(page, batch), timeout=2 * ANSWER_TIMEOUT)
            handles.settled(messages)
            answers += [message for message in messages if "id" in message]
            assert not page.serving.done(), "the page's session ended by itself"
            assert len(answers) == len(frames), f"{len(frames)} frames, {len(answers)} replies"
    except BaseException:
        # An example hypothesis abandons mid-draw (or one that failed) still closes its page.
        fuzz_server.run(page.drop())
        raise
    witness_page, witness_pc = witness
    probe, witness_probe, left_in_registry = fuzz_server.run(
        _close(page, fuzz_server.registry, witness_page, witness_pc), timeout=2 * ANSWER_TIMEOUT)

    methods = called_methods(frames)
    tally.update((methods.get(reply["id"], "(malformed)"), reply["error"]["name"] if "error" in reply else "ok")
                 for reply in answers)
    assert probe is not None, "the page's session ended by itself"
    for reply in answers:
        if "error" in reply:
            error = reply["error"]
            assert error["name"] in ERROR_NAMES, error
            assert error["message"] and not PYTHON_INTERNALS.search(error["message"]), error
    assert "result" in probe, probe
    assert "result" in witness_probe, witness_probe
    assert not left_in_registry
    # A call that failed inside the server rather than on a check (session.py logs those
    # with their traceback) is a bug even though the page read a fair message.
    failures = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert not failures, failures
