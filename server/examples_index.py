"""The entries of the examples index (/examples/): a page on its own, or a caller with its callee.

A two-tab example is two pages that meet in a room of the signaling relay. Listed apart, a
reader opens one and has to find the other; listed together, the entry also links both with one
fresh room, so two clicks start the call.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import Example

CALLER_SUFFIX = "-caller.html"
CALLEE_SUFFIX = "-callee.html"


@dataclass(frozen=True)
class IndexEntry:
    example: Example
    # A caller's entry: its callee, and the room both links open (new on every render, so two
    # readers of one server don't meet in each other's call).
    callee: Example | None = None
    room: str | None = None


def index_entries(examples: Sequence[Example]) -> list[IndexEntry]:
    """One entry per page, except that a callee joins its caller's entry, in the caller's place."""
    by_file = {example.file: example for example in examples}
    entries = []
    for example in examples:
        if example.file.endswith(CALLEE_SUFFIX) and example.file.removesuffix(CALLEE_SUFFIX) + CALLER_SUFFIX in by_file:
            continue
        callee = None
        if example.file.endswith(CALLER_SUFFIX):
            callee = by_file.get(example.file.removesuffix(CALLER_SUFFIX) + CALLEE_SUFFIX)
        entries.append(IndexEntry(example, callee, None if callee is None else f"room-{secrets.token_hex(3)}"))
    return entries
