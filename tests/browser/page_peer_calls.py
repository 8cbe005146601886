"""A call between two pages the test connects itself: each has page_helpers.js's
`openPagePeer` (window.peer), and the test carries the offer, the answer and the gathered
candidates between them as JSON. `pages` maps a name (used in failures) to each page;
either page may be driven by Playwright or selenium, whatever has `evaluate(script, arg)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol


class PeerPage(Protocol):
    """What a call needs of a page: Playwright's Page and SeleniumPage both have it."""

    def evaluate(self, expression: str, arg: Any = None) -> Any: ...


def negotiate(offerer: PeerPage, answerer: PeerPage) -> None:
    offer = offerer.evaluate("() => window.peer.offer()")
    answer = answerer.evaluate("(offer) => window.peer.answer(offer)", offer)
    offerer.evaluate("(answer) => window.peer.accept(answer)", answer)


def connect(pages: Mapping[str, PeerPage], offerer: str) -> None:
    """`offerer` (a name in `pages`) offers, the other answers; then each page takes the
    other's candidates; waits for 'connected' on both."""
    (answerer,) = set(pages) - {offerer}
    negotiate(pages[offerer], pages[answerer])
    candidates = {name: page.evaluate("() => window.peer.gathered()") for name, page in pages.items()}
    for name, gathered in candidates.items():
        assert gathered, f"{name} gathered no candidate"
        # Plain addresses, no mDNS names: the other end resolves none. (An empty candidate
        # is Firefox's end-of-candidates for a transport.)
        for candidate in filter(None, (init["candidate"] for init in gathered)):
            assert re.fullmatch(r"[\d.]+|[\da-f:]+", candidate.split()[4]), f"{name}: {candidate}"
    for name, other in ((offerer, answerer), (answerer, offerer)):
        pages[name].evaluate("(candidates) => window.peer.addCandidates(candidates)", candidates[other])
    for page in pages.values():
        page.evaluate("() => window.peer.connected()")


def start_media_call(pages: Mapping[str, PeerPage], offerer: str) -> None:
    """Both pages send camera and microphone; waits until each has the other's two tracks."""
    for page in pages.values():
        page.evaluate("() => window.peer.addMedia({ audio: true, video: true })")
    connect(pages, offerer)
    for name, page in pages.items():
        kinds = page.evaluate(
            """(name) => until(() => window.peer.remote.length >= 2 && window.peer.remote.map((entry) => entry.kind),
                 `${name}: two remote tracks`)""",
            name,
        )
        assert sorted(kinds) == ["audio", "video"], f"{name}: {kinds}"


def remote_video(page: PeerPage, index: int, reader: str, what: str) -> dict[str, Any]:
    """`reader` (page_helpers.js's videoStamps, videoChanges or framesDecoded) on the `index`-th remote video."""
    result: dict[str, Any] = page.evaluate(
        """async ([index, reader, what]) => {
          const entry = await until(() => window.peer.remote.filter((remote) => remote.kind === 'video')[index],
            `${what}: remote video track ${index}`);
          return window[reader](entry.element, what);
        }""",
        [index, reader, what],
    )
    return result


def remote_audio(page: PeerPage, reader: str, what: str) -> dict[str, Any]:
    """`reader` (page_helpers.js's tonePeak, or soundPeak with its level) on the remote audio."""
    result: dict[str, Any] = page.evaluate(
        f"""async (what) => {{
          const entry = await until(() => window.peer.remote.find((remote) => remote.kind === 'audio'),
            `${{what}}: a remote audio track`);
          return {reader};
        }}""",
        what,
    )
    return result


def remote_tone(page: PeerPage, what: str) -> dict[str, Any]:
    return remote_audio(page, "tonePeak(entry.stream, what)", what)
