"""Every relative link in the repository's Markdown resolves to a file or folder inside it.

A reader of a checkout (or of the sdist) has nothing beside it: a link that leaves the
repository, or names a file that moved, is a dead end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The developers' records of the web-platform-tests runs name the workplace's runner they were
# measured with (`../shared/wpt/run`, beside the repository): not instructions for a user.
MEASUREMENT_RECORDS = ("bench/", "docs/conformance")
# [text](target) and ![alt](target); the target ends at whitespace (a title may follow) or ')'.
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
ABSOLUTE = re.compile(r"^([a-z][a-z0-9+.-]*:|#|//)", re.I)


def markdown_files() -> list[Path]:
    return sorted(
        path for path in REPO.rglob("*.md")
        # node_modules: installed from npm by the test command, with READMEs of their own.
        if not any(part.startswith(".") or part == "node_modules" for part in path.relative_to(REPO).parts)
    )


def relative_links(text: str) -> list[str]:
    # Code blocks and spans show syntax, not links.
    prose = re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))
    return [target for target in MARKDOWN_LINK.findall(prose) if not ABSOLUTE.match(target)]


def test_relative_links_are_found() -> None:
    text = "[a](docs/a.md) ![b](img.png \"t\") [c](https://x.org) [d](#here) [e](<sp.md>) `[h](i)`\n```\n[f](g)\n```"
    assert relative_links(text) == ["docs/a.md", "img.png", "sp.md"]


@pytest.mark.parametrize("document", markdown_files(), ids=lambda path: path.relative_to(REPO).as_posix())
def test_links_resolve_inside_the_repository(document: Path) -> None:
    broken = []
    for target in relative_links(document.read_text("utf-8")):
        resolved = (document.parent / target.split("#", 1)[0]).resolve()
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(target)
    assert broken == []


def test_no_document_sends_the_reader_outside_the_repository() -> None:
    # A path in backticks is read as an instruction too: `../shared/...` exists only in the workplace.
    readers = [path for path in markdown_files()
               if not path.relative_to(REPO).as_posix().startswith(MEASUREMENT_RECORDS)]
    outside = [path.relative_to(REPO).as_posix() for path in readers if "`../" in path.read_text("utf-8")]
    assert outside == []
