"""`rtcshim serve DIR` in process: where the shim goes into a page, what the files are served
as, the listing, --exclude and --no-inject, the paths that stay rtcshim's, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rtcshim import PageTree, create_app
from rtcshim.cli import ServeSettings, parse_arguments
from rtcshim.page_tree import SHIM_TAG, inject_shim
from rtcshim.protocol import decode

from .test_demo_idp import raw_get_status

# Where the shim's tag must go, marked in each page.
AT = b"{SHIM}"
BOM = b"\xef\xbb\xbf"
INJECTION_POINTS = {
    "plain_head": b"<!doctype html>\n<html>\n<head>" + AT + b"\n<title>t</title></head><body></body></html>",
    "head_with_attributes": b"<html lang=en><head profile=\"a>b\" class='c'>" + AT + b"<title>t</title>",
    "uppercase": b"<!DOCTYPE HTML>\n<HTML>\n<HEAD>" + AT + b"<TITLE>t</TITLE></HEAD>",
    "header_without_head": b"<!doctype html><html>" + AT + b"<body><header>h</header>",
    "header_before_head": b"<html>" + AT + b"\n<header>h</header><head><title>t</title></head>",
    "head_without_html": b"<!doctype html>\n<head>" + AT + b"<meta charset=utf-8>",
    "comment_holding_head": b"<!doctype html><!-- <head> --><html><!-- <head> -->\n<head>" + AT + b"<title>",
    "empty_comments": b"<!--><!---> <html><head>" + AT + b"<title>t</title><!-- a later comment -->",
    "abrupt_comment": b"<!--><html><head>" + AT + b"<title>t</title><!-- a later comment -->",
    "bom": BOM + b"<!doctype html><html><head>" + AT + b"<title>t</title>",
    "doctype_only": b"<!DOCTYPE html>\n" + AT + b"<p>no html, no head",
    "no_html_no_head": AT + b"<p>just a fragment <head> later",
    "head_in_a_later_script": b"<html>" + AT + b"<body><script>document.write('<head>')</script>",
    "xhtml": (b'<?xml version="1.0" encoding="UTF-8"?>\n'
              b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
              b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
              b'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">\n<head>' + AT + b"<title>t</title>"),
}
# A 2012 page in windows-1252: "café", and quotes that are not UTF-8.
WINDOWS_1252_PAGE = (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
                     b"<title>Caf\xe9</title></head><body>\x93quoted\x94 caf\xe9</body></html>")
PLAIN_PAGE = b"<!doctype html>\n<html>\n<head>\n<title>page</title>\n</head>\n<body>page</body>\n</html>\n"

# What web pages load, as browsers want it: scripts and style sheets in UTF-8, no other
# text type with a charset.
EXPECTED_MEDIA_TYPES = {
    "page.html": "text/html", "page.htm": "text/html", "page.xhtml": "application/xhtml+xml",
    "script.js": "text/javascript; charset=utf-8", "module.mjs": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "data.json": "application/json", "script.js.map": "application/json", "module.wasm": "application/wasm",
    "image.svg": "image/svg+xml", "image.png": "image/png", "image.jpg": "image/jpeg", "image.jpeg": "image/jpeg",
    "image.gif": "image/gif", "image.webp": "image/webp", "favicon.ico": "image/x-icon",
    "clip.webm": "video/webm", "clip.ogv": "video/ogg", "clip.mp4": "video/mp4",
    "sound.ogg": "audio/ogg", "sound.oga": "audio/ogg", "sound.opus": "audio/ogg", "sound.m4a": "audio/mp4",
    "sound.mp3": "audio/mpeg", "sound.wav": "audio/wav",
    "notes.txt": "text/plain", "feed.xml": "application/xml",
    "font.woff": "font/woff", "font.woff2": "font/woff2", "font.ttf": "font/ttf", "font.otf": "font/otf",
    "UPPER.JS": "text/javascript; charset=utf-8",
    "archive.tar.gz": "application/octet-stream", "unknown.rtcshim-unknown": "application/octet-stream",
}


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A page tree, with a secret beside it that no request may reach."""
    root = tmp_path / "site"
    write(root / "index.html", PLAIN_PAGE)
    write(root / "old.html", WINDOWS_1252_PAGE)
    write(root / "page.xhtml", INJECTION_POINTS["xhtml"].replace(AT, b""))
    write(root / "sub" / "a&b <c>.html", PLAIN_PAGE)
    write(root / "sub" / "notes.txt", "notes")
    write(root / "sub" / "deeper" / "page.html", PLAIN_PAGE)
    write(root / "sub" / ".hidden.html", PLAIN_PAGE)
    write(root / "with-index" / "index.html", PLAIN_PAGE)
    write(root / "with-index" / "other.html", PLAIN_PAGE)
    write(root / "with-index-htm" / "index.htm", PLAIN_PAGE)
    write(root / "legacy" / "old.html", PLAIN_PAGE)
    write(root / "legacy" / "deep" / "older.html", PLAIN_PAGE)
    write(root / "script.js", "var x = 1;\n")
    write(root / ".git" / "config", "[core]")
    write(root / ".well-known" / "security.txt", "Contact: nobody")
    write(root / "shim.js", "// the tree's own shim.js: rtcshim's wins")
    write(root / "bridge", "the tree's own 'bridge' file")
    write(tmp_path / "outside" / "secret.txt", "secret")
    (root / "escape").symlink_to(tmp_path / "outside")
    (root / "sub" / "escaping.html").symlink_to(tmp_path / "outside" / "secret.txt")
    return root


def client_for(directory: Path, *, inject: bool = True, exclude: tuple[str, ...] = ()) -> TestClient:
    return TestClient(create_app(page_tree=PageTree(directory, inject, exclude)), follow_redirects=False)


@pytest.mark.parametrize("case", INJECTION_POINTS)
def test_inject_shim_goes_first_in_head_else_after_html_else_after_prologue(case: str) -> None:
    marked = INJECTION_POINTS[case]
    assert inject_shim(marked.replace(AT, b"")) == marked.replace(AT, SHIM_TAG)


def test_inject_shim_leaves_a_utf16_page_alone() -> None:
    page = "\ufeff<html><head>".encode("utf-16-le")
    assert inject_shim(page) == page


def test_page_is_served_with_the_shim_and_otherwise_as_on_disk(site: Path) -> None:
    response = client_for(site).get("/index.html")
    assert response.status_code == 200
    assert response.content == PLAIN_PAGE.replace(b"<head>", b"<head>" + SHIM_TAG, 1)
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["content-type"] == "text/html"
    assert response.headers["cache-control"] == "no-cache"
    assert (site / "index.html").read_bytes() == PLAIN_PAGE


def test_page_not_in_utf8_passes_through_byte_exact_without_a_charset(site: Path) -> None:
    response = client_for(site).get("/old.html")
    assert response.content == WINDOWS_1252_PAGE.replace(b"<head>", b"<head>" + SHIM_TAG, 1)
    assert response.headers["content-type"] == "text/html"
    assert (site / "old.html").read_bytes() == WINDOWS_1252_PAGE


def test_xhtml_page_gets_the_shim(site: Path) -> None:
    response = client_for(site).get("/page.xhtml")
    assert response.content == INJECTION_POINTS["xhtml"].replace(AT, SHIM_TAG)
    assert response.headers["content-type"] == "application/xhtml+xml"


def test_media_types_follow_the_table(tmp_path: Path) -> None:
    for name in EXPECTED_MEDIA_TYPES:
        write(tmp_path / name, b"\x00")
    client = client_for(tmp_path)
    served = {name: client.get(f"/{name}").headers["content-type"] for name in EXPECTED_MEDIA_TYPES}
    assert served == EXPECTED_MEDIA_TYPES


def test_listing_shows_folders_then_files_escaped_with_a_parent_link(site: Path) -> None:
    response = client_for(site).get("/sub/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Index of /sub/</title>" in response.text
    links = [line for line in response.text.splitlines() if line.startswith("<li>")]
    # Not the hidden page, nor the link to a file outside the tree; and no shim: the
    # listing is not a page of the tree.
    assert links == [
        '<li><a href="../">../</a></li>',
        '<li><a href="deeper/">deeper/</a></li>',
        '<li><a href="a%26b%20%3Cc%3E.html">a&amp;b &lt;c&gt;.html</a></li>',
        '<li><a href="notes.txt">notes.txt</a></li>',
    ]
    assert "shim.js" not in response.text
    assert client_for(site).get("/sub/a%26b%20%3Cc%3E.html").content.startswith(b"<!doctype html>")


def test_listing_at_the_root_has_no_parent_link(tmp_path: Path) -> None:
    write(tmp_path / "only.html", PLAIN_PAGE)
    response = client_for(tmp_path).get("/")
    assert "<title>Index of /</title>" in response.text
    assert [line for line in response.text.splitlines() if line.startswith("<li>")] == [
        '<li><a href="only.html">only.html</a></li>'
    ]


def test_directory_without_a_slash_redirects_to_the_slash_form(site: Path) -> None:
    client = client_for(site)
    for folder in ("sub", "with-index"):
        response = client.get(f"/{folder}?q=1")
        assert response.status_code == 307
        assert response.headers["location"] == f"http://testserver/{folder}/?q=1"


def test_index_page_is_served_over_a_listing_and_gets_the_shim(site: Path) -> None:
    client = client_for(site)
    for path in ("/", "/with-index/", "/with-index-htm/"):
        response = client.get(path)
        assert response.content == PLAIN_PAGE.replace(b"<head>", b"<head>" + SHIM_TAG, 1), path


@pytest.mark.parametrize(("exclude", "untouched"), [
    (("legacy/*",), {"legacy/old.html", "legacy/deep/older.html"}),
    (("legacy/*.html", "old.html"), {"legacy/old.html", "legacy/deep/older.html", "old.html"}),
    (("*/old.html",), {"legacy/old.html"}),
    (("with-index/index.html",), {"with-index/"}),
    (("legacy",), set()),
])
def test_exclude_globs_serve_matching_pages_without_the_shim(
    site: Path, exclude: tuple[str, ...], untouched: set[str]
) -> None:
    client = client_for(site, exclude=exclude)
    pages = ["index.html", "old.html", "legacy/old.html", "legacy/deep/older.html", "with-index/",
             "sub/deeper/page.html"]
    served_untouched = {page for page in pages if SHIM_TAG not in client.get(f"/{page}").content}
    assert served_untouched == untouched


def test_no_inject_serves_every_page_as_on_disk(site: Path) -> None:
    client = client_for(site, inject=False)
    for page in ("index.html", "old.html", "sub/deeper/page.html"):
        response = client.get(f"/{page}")
        assert response.content == (site / page).read_bytes()
        assert response.headers["content-type"] == "text/html"


@pytest.mark.parametrize("path", [
    "/../outside/secret.txt", "/sub/../../outside/secret.txt", "/%2e%2e/outside/secret.txt",
    "/sub/%2E%2E/%2e%2e/outside/secret.txt", "/escape/secret.txt", "/sub/escaping.html",
    "//etc/passwd", "/.git/config", "/sub/.hidden.html", "/nothing.html",
])
def test_paths_outside_the_tree_or_hidden_are_not_found(site: Path, path: str) -> None:
    assert client_for(site).get(path).status_code == 404
    # As sent, without the client resolving dot segments first.
    assert raw_get_status(create_app(page_tree=PageTree(site)), path.replace("%2e", ".").replace("%2E", ".")) == 404


def test_well_known_paths_are_served(site: Path) -> None:
    response = client_for(site).get("/.well-known/security.txt")
    assert (response.status_code, response.text) == (200, "Contact: nobody")


def test_head_answers_with_the_headers_of_get(site: Path) -> None:
    client = client_for(site)
    for path in ("/index.html", "/script.js", "/sub/"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == str(len(got.content))


def test_files_answer_conditional_and_range_requests(site: Path) -> None:
    client = client_for(site)
    script = client.get("/script.js")
    assert client.get("/script.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    partial = client.get("/script.js", headers={"Range": "bytes=4-4"})
    assert (partial.status_code, partial.content) == (206, b"x")


def test_only_get_and_head_are_allowed(site: Path) -> None:
    assert client_for(site).post("/index.html").status_code == 405


def test_rtcshim_paths_win_over_files_of_the_same_name(site: Path) -> None:
    client = client_for(site)
    shim = client.get("/shim.js")
    assert "installPeerConnection" in shim.text
    with client.websocket_connect("/bridge", headers={"origin": "http://localhost"}) as bridge:
        assert decode(bridge.receive_text())["event"] == "hello"
    with client.websocket_connect("/signal/room", headers={"origin": "http://localhost"}) as relay:
        assert relay.receive_json() == {"relay": "room", "peers": 0}
    # Over HTTP, /bridge is no rtcshim path: the tree's file is served.
    assert client.get("/bridge").text == "the tree's own 'bridge' file"


def test_tree_idp_proxies_get_cors_by_protocol_name_and_file_name(site: Path) -> None:
    write(site / ".well-known" / "idp-proxy" / "tree-idp.js", "rtcIdentityProvider.register({});")
    client = client_for(site)
    for path in ("/.well-known/idp-proxy/tree-idp", "/.well-known/idp-proxy/tree-idp.js"):
        proxy = client.get(path)
        assert proxy.text == "rtcIdentityProvider.register({});"
        assert proxy.headers["access-control-allow-origin"] == "*"


def test_without_a_page_tree_the_app_serves_the_examples() -> None:
    client = TestClient(create_app(), follow_redirects=False)
    assert client.get("/").headers["location"] == "/examples/"
    assert 'href="/examples/loopback-chat.html"' in client.get("/examples/").text
    loopback_chat = client.get("/examples/loopback-chat.html")
    assert loopback_chat.headers["content-type"] == "text/html; charset=utf-8"
    assert loopback_chat.text.count("/shim.js") == 1  # the example's own tag: nothing injected
    assert client.get("/static/blank.html").status_code == 200


def test_serve_without_dir_serves_the_examples() -> None:
    settings = parse_arguments(["serve", "--port", "9000", "--tone", "880"])
    assert settings == ServeSettings("127.0.0.1", 9000, "info", 880.0, (), None)
    assert settings.announcement() == "rtcshim: examples at http://127.0.0.1:9000/examples/"


def test_serve_dir_builds_the_page_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pages").mkdir()
    monkeypatch.chdir(tmp_path)
    settings = parse_arguments(["serve", "pages", "--exclude", "old/*", "--exclude", "*.xhtml", "--host", "::1"])
    assert settings.page_tree == PageTree(tmp_path.resolve() / "pages", True, ("old/*", "*.xhtml"))
    assert settings.announcement() == f"rtcshim: serving {tmp_path.resolve() / 'pages'} at http://[::1]:8765/"
    assert parse_arguments(["serve", "pages", "--no-inject"]).page_tree == PageTree(
        tmp_path.resolve() / "pages", False, ()
    )


@pytest.mark.parametrize(("arguments", "message"), [
    (["serve", "{tmp}/missing"], "not a directory: {tmp}/missing"),
    (["serve", "{tmp}/file.html"], "not a directory: {tmp}/file.html"),
    (["serve", "--exclude", "old/*"], "--no-inject and --exclude apply to the pages of a DIR: name one"),
    (["serve", "--no-inject"], "--no-inject and --exclude apply to the pages of a DIR: name one"),
])
def test_serve_with_a_bad_dir_or_options_exits_with_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    write(tmp_path / "file.html", PLAIN_PAGE)
    with pytest.raises(SystemExit) as exited:
        parse_arguments([argument.replace("{tmp}", str(tmp_path)) for argument in arguments])
    assert exited.value.code == 2
    error_lines = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert error_lines == ["rtcshim serve: error: " + message.replace("{tmp}", str(tmp_path))]
