"""server/examples_index.py: a callee joins its caller's entry; every other page stays alone."""

from __future__ import annotations

from rtcshim.app import Example
from rtcshim.examples_index import index_entries


def example(file: str) -> Example:
    return Example(file, file.removesuffix(".html"), "")


def test_index_entries_pair_each_caller_with_its_callee() -> None:
    pages = [example(file) for file in ("chat-callee.html", "chat-caller.html", "lone-callee.html", "stats.html")]
    entries = index_entries(pages)
    assert [(entry.example.file, entry.callee and entry.callee.file) for entry in entries] == [
        ("chat-caller.html", "chat-callee.html"),
        ("lone-callee.html", None),  # no caller to join
        ("stats.html", None),
    ]
    assert entries[0].room is not None and entries[0].room.startswith("room-")
    assert entries[1].room is None


def test_index_entries_get_a_new_room_on_every_render() -> None:
    pages = [example("chat-caller.html"), example("chat-callee.html")]
    assert index_entries(pages)[0].room != index_entries(pages)[0].room
