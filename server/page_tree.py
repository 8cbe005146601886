"""A folder of existing pages (`rtcshim serve DIR`), served at / with the shim injected.

DIR is served as a plain static server would serve it (nginx, `python -m http.server`),
with these differences:
- Every HTML page gets `<script src="/shim.js"></script>` as the first thing in its
  <head>, so the shim installs before any script of the page (adapter.js included). The
  file on disk is not touched; `exclude` globs and `inject=False` leave pages as they are.
- Pages and other text are served without a charset parameter: old pages are often not
  UTF-8, and their own <meta charset> (or the browser's default) must decide, as it did when
  they were written. Scripts and style sheets are declared UTF-8, as the servers of the
  libraries old pages load (CDNs, npm) declared them: without it a page with no charset of
  its own decodes them as windows-1252, and a library with non-ASCII text in its code (the
  en spaces in AdapterJS 0.13) stops with a SyntaxError.
- Names starting with a dot are neither listed nor served, except under /.well-known/.
- rtcshim's own paths (/shim.js, the /bridge and /signal/<room> WebSockets,
  /.well-known/idp-proxy/<protocol> and /idp/rtcshim-demo/*) are routed before DIR, so
  they win over files of the same name; the app declares them (app.py).
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
import stat
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import anyio.to_thread
from starlette.datastructures import URL, Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope


@dataclass(frozen=True)
class PageTree:
    """`directory` served at /. `exclude`: globs of pages served without the shim, matched
    with fnmatch against the page's path relative to `directory` ("call/index.html"), where
    `*` also matches across "/" ("old/*" is every page below old/)."""

    directory: Path
    inject: bool = True
    exclude: tuple[str, ...] = ()

    def injects(self, relative_path: str) -> bool:
        return self.inject and not any(fnmatchcase(relative_path, glob) for glob in self.exclude)


# What web pages load, independent of the host's /etc/mime.types (which may lack some, or
# map .js to application/javascript as old ones do); anything else falls back to Python's.
MEDIA_TYPES = {
    ".html": "text/html", ".htm": "text/html",
    ".xhtml": "application/xhtml+xml", ".xht": "application/xhtml+xml",
    ".js": "text/javascript", ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json", ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".txt": "text/plain", ".csv": "text/csv", ".vtt": "text/vtt",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".webm": "video/webm", ".ogv": "video/ogg", ".mp4": "video/mp4",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".aac": "audio/aac",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
}
INJECTED_MEDIA_TYPES = {"text/html", "application/xhtml+xml"}
UTF8_MEDIA_TYPES = {"text/javascript", "text/css"}
# A folder's page, else its listing; index.htm was common on the servers of old pages.
INDEX_NAMES = ("index.html", "index.htm")


def content_type(path: str) -> str:
    """The Content-Type header for the file at `path`."""
    found = media_type(path)
    return f"{found}; charset=utf-8" if found in UTF8_MEDIA_TYPES else found


def media_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(path)
    # "x.tar.gz" guesses as a tar with a gzip encoding: its bytes are not a tar.
    return guessed if guessed and encoding is None else "application/octet-stream"


SHIM_TAG = b'<script src="/shim.js"></script>'
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What may come before <html> and <head>: whitespace, comments (including HTML's "<!-->"
# and a comment left open to the end), the doctype, and "<?xml ...?>" in XHTML.
_PROLOGUE_ITEM = re.compile(rb"\s+|<!--(?:-?>|.*?--!?>|.*\Z)|<![^>]*>|<\?[^>]*>", re.S)
# Attributes, quoted values included (which may hold a ">"); "\s" first, so <header> is no <head.
_ATTRIBUTES = rb"""(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?>"""
_HTML_START = re.compile(rb"<html" + _ATTRIBUTES, re.I)
_HEAD_START = re.compile(rb"<head" + _ATTRIBUTES, re.I)


def _after_prologue(page: bytes, position: int) -> int:
    while item := _PROLOGUE_ITEM.match(page, position):
        position = item.end()
    return position


def insertion_point(page: bytes) -> int:
    """Where the shim's tag goes: right after <head ...>; without one, right after <html ...>;
    without either, after the doctype and leading comments (before the doctype, the tag would
    put the page in quirks mode). Only tags in the prologue count, never a later "<head>" in
    a script's text."""
    position = _after_prologue(page, len(UTF8_BOM) if page.startswith(UTF8_BOM) else 0)
    html_start = _HTML_START.match(page, position)
    if html_start:
        position = _after_prologue(page, html_start.end())
    head_start = _HEAD_START.match(page, position)
    if head_start:
        return head_start.end()
    return html_start.end() if html_start else position


def inject_shim(page: bytes) -> bytes:
    """`page` with the shim's tag inserted, in bytes: any ASCII-compatible encoding stays as
    it was. A UTF-16 page (by its BOM) is returned as it is: ASCII bytes would garble it."""
    if page.startswith(UTF16_BOMS):
        return page
    position = insertion_point(page)
    return page[:position] + SHIM_TAG + page[position:]


@dataclass(frozen=True)
class ListedEntry:
    name: str
    is_directory: bool


def listing_page(url_path: str, entries: list[ListedEntry]) -> str:
    """"Index of /url_path/": a parent link except at the root, then folders, then files."""
    links = [("../", "../")] if url_path != "/" else []
    for entry in sorted(entries, key=lambda entry: (not entry.is_directory, entry.name)):
        slash = "/" if entry.is_directory else ""
        # A name that is not UTF-8 (os.scandir gives it with surrogates) is linked by its bytes.
        shown = entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        links.append((quote(os.fsencode(entry.name)) + slash, shown + slash))
    title = html.escape(f"Index of {url_path}")
    items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>\n' for href, text in links)
    return (f'<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n</head>\n'
            f"<body>\n<h1>{title}</h1>\n<ul>\n{items}</ul>\n</body>\n</html>\n")


def _is_hidden(relative_path: str) -> bool:
    return any(part.startswith(".") and part != ".well-known" for part in PurePosixPath(relative_path).parts)


class PageTreeFiles(StaticFiles):
    """The ASGI app that serves a PageTree: Starlette's StaticFiles for finding files safely
    (resolved symlinks must stay inside the directory), with pages, types and listings ours."""

    def __init__(self, tree: PageTree) -> None:
        super().__init__(directory=tree.directory)
        self.tree = tree

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        # `path` is normalized ("." at the root); outside the tree it starts with "..".
        relative_path = PurePosixPath(path).as_posix()
        if _is_hidden(relative_path):
            raise HTTPException(status_code=404)
        full_path, stat_result = await self._lookup(relative_path)
        if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
            return await self._file(full_path, stat_result, relative_path, scope)
        if stat_result is None or not stat.S_ISDIR(stat_result.st_mode):
            raise HTTPException(status_code=404)
        if not scope["path"].endswith("/"):
            # Relative links in the page (or the listing) resolve against the slash form.
            url = URL(scope=scope)
            return RedirectResponse(url.replace(path=url.path + "/"))
        for index_name in INDEX_NAMES:
            index_path = PurePosixPath(relative_path, index_name).as_posix()
            index_full_path, index_stat = await self._lookup(index_path)
            if index_stat is not None and stat.S_ISREG(index_stat.st_mode):
                return await self._file(index_full_path, index_stat, index_path, scope)
        entries = await anyio.to_thread.run_sync(self._listed_entries, relative_path)
        return HTMLResponse(listing_page(scope["path"], entries), headers={"Cache-Control": "no-cache"})

    async def _lookup(self, relative_path: str) -> tuple[str, os.stat_result | None]:
        try:
            return await anyio.to_thread.run_sync(self.lookup_path, relative_path)
        except PermissionError:
            raise HTTPException(status_code=403) from None
        except (OSError, ValueError):  # a name too long, a NUL byte: no such file
            raise HTTPException(status_code=404) from None

    async def _file(self, full_path: str, stat_result: os.stat_result, relative_path: str, scope: Scope) -> Response:
        # Every answer is revalidated: pages are edited while served, and a page cached
        # with or without the shim must not outlive a restart with other options.
        headers = {"content-type": content_type(relative_path), "cache-control": "no-cache"}
        if headers["content-type"] in INJECTED_MEDIA_TYPES and self.tree.injects(relative_path):
            page = inject_shim(await anyio.to_thread.run_sync(Path(full_path).read_bytes))
            headers["content-length"] = str(len(page))
            return Response(b"" if scope["method"] == "HEAD" else page, headers=headers)
        # The content-type given as a header, so that FileResponse adds no charset.
        response = FileResponse(full_path, stat_result=stat_result, headers=headers)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

    def _listed_entries(self, relative_path: str) -> list[ListedEntry]:
        """What a listing shows: no hidden names, nothing that would not be served (a link
        leading out of the tree, or to nothing)."""
        entries = []
        directory, _ = self.lookup_path(relative_path)
        with os.scandir(directory) as found:
            for entry in found:
                if entry.name.startswith("."):
                    continue
                _, stat_result = self.lookup_path(os.path.join(relative_path, entry.name))
                if stat_result is not None:
                    entries.append(ListedEntry(entry.name, stat.S_ISDIR(stat_result.st_mode)))
        return entries
