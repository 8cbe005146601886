"""`rtcshim serve DIR` end to end: a tree of old pages, written here in the style of 2013 and
never changed to suit the shim, served with the shim injected into a browser without WebRTC.

The tree: an index in windows-1252 that links to the rest; call/loopback.html, which loads
Google's adapter.js (2015, as published) first in its head and calls itself with its
globals; chat/room.html, which signals over a WebSocket of its own to another server;
media/, a folder without an index; and legacy/, excluded from injection.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, WebSocket, expect

from rtcshim import PageTree
from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG, REPO
from .example_pages import CONNECT_TIMEOUT_MS, PageProblems, bridged_peer_connections

# Installed by `npm ci --prefix tests/period_libraries` (scripts/test does it); never committed.
ADAPTER_JS = REPO / "tests" / "period_libraries" / "node_modules" / "webrtc-adapter-test-0.1.9" / "adapter.js"

# "Café", and an en dash (byte 0x96), in windows-1252: the page says so in its own meta tag.
INDEX_PAGE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Café WebRTC demos \u2013 2013</title>
<link rel="stylesheet" type="text/css" href="css/site.css">
<script type="text/javascript" src="js/log.js"></script>
</head>
<body>
<h1>Café WebRTC demos</h1>
<ul>
<li><a href="call/loopback.html">Loopback call</a></li>
<li><a href="chat/room.html">Chat room</a></li>
<li><a href="media/">Media notes</a></li>
<li><a href="legacy/native-only.html">For browsers with WebRTC of their own</a></li>
</ul>
<div id="log"></div>
<script type="text/javascript">log('index loaded');</script>
</body>
</html>
"""

SITE_CSS = """body { font-family: sans-serif; color: #000080; }
#log { white-space: pre-wrap; }
"""

# In UTF-8, with an en space in its code as AdapterJS 0.13 has: read as the page's
# windows-1252 it would be a SyntaxError, and "index loaded" would never show.
LOG_JS = """// Appends a line to the page's #log.
function log(text) {
\u2002var line = document.createElement('div');
  line.appendChild(document.createTextNode(text));
  document.getElementById('log').appendChild(line);
}
"""

# The samples' loopback call of 2013, on adapter.js's globals.
LOOPBACK_PAGE = """<!DOCTYPE html>
<html>
<head>
<script src="../vendor/adapter.js"></script>
<script>
// What the page found once adapter.js had run.
var seenAtLoad = {shim: typeof window.rtcshim, browser: webrtcDetectedBrowser};
</script>
<title>Loopback call</title>
<link rel="stylesheet" href="../css/site.css">
<script src="../js/log.js"></script>
</head>
<body>
<h1>Loopback call</h1>
<video id="localVideo" autoplay muted></video>
<video id="remoteVideo" autoplay muted></video>
<div id="log"></div>
<script>
var localVideo = document.getElementById('localVideo');
var remoteVideo = document.getElementById('remoteVideo');
var pc1 = new RTCPeerConnection({iceServers: []});
var pc2 = new RTCPeerConnection({iceServers: []});
var sendChannel = pc1.createDataChannel('sendDataChannel', {reliable: true});

function onError(error) {
  log('Error: ' + error.name + ': ' + error.message);
}

pc1.onicecandidate = function (event) {
  if (event.candidate) {
    pc2.addIceCandidate(new RTCIceCandidate(event.candidate));
    trace('Local ICE candidate: ' + event.candidate.candidate);
  }
};
pc2.onicecandidate = function (event) {
  if (event.candidate) {
    pc1.addIceCandidate(new RTCIceCandidate(event.candidate));
  }
};
pc2.onaddstream = function (event) {
  attachMediaStream(remoteVideo, event.stream);
};
pc2.ondatachannel = function (event) {
  var receiveChannel = event.channel;
  receiveChannel.onmessage = function (message) {
    log('Bob got: ' + message.data);
    receiveChannel.send('Hello Alice, from Bob');
  };
};
sendChannel.onopen = function () {
  sendChannel.send('Hello Bob, from Alice');
};
sendChannel.onmessage = function (message) {
  log('Alice got: ' + message.data);
};

function gotDescription2(description) {
  pc2.setLocalDescription(description);
  pc1.setRemoteDescription(description);
}

function gotDescription1(description) {
  pc1.setLocalDescription(description);
  pc2.setRemoteDescription(description);
  pc2.createAnswer(gotDescription2, onError);
}

getUserMedia({audio: false, video: true}, function (stream) {
  attachMediaStream(localVideo, stream);
  pc1.addStream(stream);
  pc1.createOffer(gotDescription1, onError);
}, onError);
</script>
</body>
</html>
"""

# Two tabs chat in a room of a signalling server of the page's own choosing
# (?signal=ws://host:port/path): the second one in calls the first.
CHAT_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Chat room</title>
<link rel="stylesheet" href="../css/site.css">
<script src="../js/log.js"></script>
</head>
<body>
<h1>Chat room</h1>
<p id="status">Connecting to the signalling server...</p>
<input id="message" disabled> <button id="send" disabled>Send</button>
<div id="log"></div>
<script>
var PeerConnection = window.RTCPeerConnection || window.webkitRTCPeerConnection || window.mozRTCPeerConnection;
var SessionDescription = window.RTCSessionDescription || window.webkitRTCSessionDescription ||
                         window.mozRTCSessionDescription;
var IceCandidate = window.RTCIceCandidate || window.mozRTCIceCandidate;

var signalUrl = decodeURIComponent(/[?&]signal=([^&]*)/.exec(location.search)[1]);
var socket = new WebSocket(signalUrl);
var pc = new PeerConnection({iceServers: []});
var channel = null;

function showStatus(text) {
  document.getElementById('status').innerHTML = text;
}
function onError(error) {
  showStatus('Error: ' + error.name + ': ' + error.message);
}
function signal(message) {
  socket.send(JSON.stringify(message));
}

function setUpChannel(newChannel) {
  channel = newChannel;
  channel.onopen = function () {
    showStatus('Connected');
    document.getElementById('message').disabled = false;
    document.getElementById('send').disabled = false;
  };
  channel.onmessage = function (event) {
    log('Them: ' + event.data);
  };
}

pc.onicecandidate = function (event) {
  if (event.candidate) {
    signal({candidate: event.candidate});
  }
};
pc.ondatachannel = function (event) {
  setUpChannel(event.channel);
};

socket.onmessage = function (event) {
  var message = JSON.parse(event.data);
  if (message.relay === 'room' && message.peers === 0) {
    showStatus('Waiting for someone to join');
  } else if (message.relay === 'room') {
    setUpChannel(pc.createDataChannel('chat'));
    pc.createOffer(function (offer) {
      pc.setLocalDescription(offer, function () {
        signal({sdp: pc.localDescription});
      }, onError);
    }, onError);
  } else if (message.sdp && message.sdp.type === 'offer') {
    pc.setRemoteDescription(new SessionDescription(message.sdp), function () {
      pc.createAnswer(function (answer) {
        pc.setLocalDescription(answer, function () {
          signal({sdp: pc.localDescription});
        }, onError);
      }, onError);
    }, onError);
  } else if (message.sdp && message.sdp.type === 'answer') {
    pc.setRemoteDescription(new SessionDescription(message.sdp), function () {}, onError);
  } else if (message.candidate) {
    pc.addIceCandidate(new IceCandidate(message.candidate), function () {}, onError);
  }
};

document.getElementById('send').onclick = function () {
  var input = document.getElementById('message');
  channel.send(input.value);
  log('Me: ' + input.value);
  input.value = '';
};
</script>
</body>
</html>
"""

# A page that relies on the browser's own WebRTC: --exclude serves it without the shim.
NATIVE_ONLY_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Native only</title>
<script>
var hasPeerConnection = typeof RTCPeerConnection !== 'undefined';
</script>
</head>
<body><p>This page uses the browser's own WebRTC.</p></body>
</html>
"""


def one_pixel_icon() -> bytes:
    """favicon.ico: one navy 32-bit pixel (a site of 2013 had one; without, Chromium logs a 404)."""
    bitmap = struct.pack("<IiiHHIIiiII", 40, 1, 2, 1, 32, 0, 8, 0, 0, 0, 0) + bytes([128, 0, 0, 255]) + bytes(4)
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 1, 1, 0, 0, 1, 32, len(bitmap), 22) + bitmap


def write_page_tree(root: Path) -> Path:
    assert ADAPTER_JS.is_file(), "run `npm ci --prefix tests/period_libraries` first (scripts/test does)"
    files: dict[str, bytes] = {
        "index.html": INDEX_PAGE.encode("windows-1252"),
        "favicon.ico": one_pixel_icon(),
        "css/site.css": SITE_CSS.encode(),
        "js/log.js": LOG_JS.encode(),
        "vendor/adapter.js": ADAPTER_JS.read_bytes(),
        "call/loopback.html": LOOPBACK_PAGE.encode(),
        "chat/room.html": CHAT_PAGE.encode(),
        "media/notes.txt": b"Recorded at the 2013 meetup.\n",
        "media/clips/README.txt": b"The clips are elsewhere.\n",
        "legacy/native-only.html": NATIVE_ONLY_PAGE.encode(),
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


@pytest.fixture
def page_tree(tmp_path: Path) -> Path:
    return write_page_tree(tmp_path / "site")


@pytest.fixture
def tree_server(page_tree: Path) -> Iterator[ServerThread]:
    """`rtcshim serve DIR --exclude 'legacy/*'`, in a thread."""
    with ServerThread(strict=True, page_tree=PageTree(page_tree, exclude=("legacy/*",))) as running:
        yield running


@pytest.fixture
def signaling_server() -> Iterator[ServerThread]:
    """Another server, whose /signal/<room> relay the chat page chooses for itself."""
    with ServerThread(strict=True) as running:
        yield running


@pytest.fixture
def tree_context(browser: Browser, tree_server: ServerThread) -> Iterator[BrowserContext]:
    """A browser without WebRTC of its own; unlike shim_context, no page loads the shim
    itself: the server injects it."""
    context = browser.new_context(base_url=tree_server.url)
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    yield context
    context.close()


def content_types(page: Page) -> dict[str, str]:
    """Each response's content type by its path, as the browser received it (filled as the page loads)."""
    seen: dict[str, str] = {}

    def record(response: Response) -> None:
        seen[response.url.split("//", 1)[1].partition("/")[2]] = response.headers.get("content-type", "")

    page.on("response", record)
    return seen


def test_index_in_windows_1252_keeps_its_charset_standards_mode_and_styles(
    tree_context: BrowserContext,
) -> None:
    problems = PageProblems()
    page = problems.watch(tree_context.new_page(), "index")
    seen = content_types(page)
    page.goto("/")

    assert page.evaluate("document.characterSet") == "windows-1252"
    expect(page.locator("h1")).to_have_text("Café WebRTC demos")
    assert page.title() == "Café WebRTC demos \u2013 2013"
    # The shim went in after the doctype: before it, the page would be in quirks mode.
    assert page.evaluate("document.compatMode") == "CSS1Compat"
    assert page.evaluate("document.head.firstElementChild.outerHTML") == '<script src="/shim.js"></script>'
    assert page.evaluate("window.rtcshim.installed") is True
    # In standards mode a style sheet counts only when it comes as text/css.
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 128)"
    expect(page.locator("#log")).to_have_text("index loaded")
    assert {path: seen[path] for path in ("", "css/site.css", "js/log.js", "shim.js")} == {
        "": "text/html", "css/site.css": "text/css; charset=utf-8", "js/log.js": "text/javascript; charset=utf-8",
        "shim.js": "text/javascript; charset=utf-8",
    }
    assert problems.reports == []


def test_loopback_page_runs_adapter_js_over_the_injected_shim(
    tree_context: BrowserContext, tree_server: ServerThread
) -> None:
    problems = PageProblems()
    page = problems.watch(tree_context.new_page(), "loopback")
    seen = content_types(page)
    page.goto("/")
    page.click("text=Loopback call")
    expect(page).to_have_title("Loopback call")

    head = page.evaluate("Array.from(document.head.children).slice(0, 3).map((element) => element.outerHTML)")
    assert head[:2] == ['<script src="/shim.js"></script>', '<script src="../vendor/adapter.js"></script>']
    # The shim ran before adapter.js, which therefore took its Chrome branch.
    assert page.evaluate("seenAtLoad") == {"shim": "object", "browser": "chrome"}
    assert seen["vendor/adapter.js"] == "text/javascript; charset=utf-8"

    expect(page.locator("#log")).to_contain_text("Bob got: Hello Bob, from Alice", timeout=CONNECT_TIMEOUT_MS)
    expect(page.locator("#log")).to_contain_text("Alice got: Hello Alice, from Bob")
    # attachMediaStream played what pc2 received.
    page.wait_for_function("document.getElementById('remoteVideo').videoWidth > 0", timeout=CONNECT_TIMEOUT_MS)

    peer_connections = bridged_peer_connections(tree_server)
    assert len(peer_connections) == 2
    assert len({peer_connection.session for peer_connection in peer_connections}) == 1
    assert [peer_connection.connection_state for peer_connection in peer_connections] == ["connected"] * 2
    assert [peer_connection.data_channel_labels for peer_connection in peer_connections] == [("sendDataChannel",)] * 2
    assert problems.reports == []


def test_chat_page_signals_over_its_own_websocket_while_the_bridge_stays_on_its_origin(
    tree_context: BrowserContext, tree_server: ServerThread, signaling_server: ServerThread
) -> None:
    problems = PageProblems()
    room = "serve-dir-" + uuid.uuid4().hex[:12]
    signal_url = f"ws://127.0.0.1:{signaling_server.port}/signal/{room}"
    sockets: dict[str, list[str]] = {}
    signals_sent: dict[str, list[str]] = {}

    def open_tab(name: str) -> Page:
        page = problems.watch(tree_context.new_page(), name)
        sockets[name], signals_sent[name] = [], []

        def opened(websocket: WebSocket) -> None:
            sockets[name].append(websocket.url)
            if websocket.url == signal_url:
                websocket.on("framesent", lambda payload: signals_sent[name].append(str(payload)))

        page.on("websocket", opened)
        page.goto(f"/chat/room.html?signal={signal_url}")
        return page

    first = open_tab("first")
    expect(first.locator("#status")).to_have_text("Waiting for someone to join")
    second = open_tab("second")
    for page in (first, second):
        expect(page.locator("#status")).to_have_text("Connected", timeout=CONNECT_TIMEOUT_MS)

    second.fill("#message", "hello from the second tab")
    second.click("#send")
    expect(first.locator("#log")).to_contain_text("Them: hello from the second tab")
    first.fill("#message", "hello from the first tab")
    first.click("#send")
    expect(second.locator("#log")).to_contain_text("Them: hello from the first tab")

    bridge_url = f"ws://127.0.0.1:{tree_server.port}/bridge"
    assert {name: sorted(urls) for name, urls in sockets.items()} == {
        "first": sorted([bridge_url, signal_url]), "second": sorted([bridge_url, signal_url]),
    }
    # The offer went out over the second tab's own socket, the answer over the first's.
    assert any('"type":"offer"' in frame for frame in signals_sent["second"])
    assert any('"type":"answer"' in frame for frame in signals_sent["first"])
    # The peer connections live behind the page's own origin; the signalling server has none.
    peer_connections = bridged_peer_connections(tree_server)
    assert len({peer_connection.session for peer_connection in peer_connections}) == 2
    assert [peer_connection.connection_state for peer_connection in peer_connections] == ["connected"] * 2
    assert signaling_server.registry.sessions == {}
    assert problems.reports == []


def test_excluded_page_is_served_without_the_shim(tree_context: BrowserContext, page_tree: Path) -> None:
    page = tree_context.new_page()
    seen = content_types(page)
    response = page.goto("/legacy/native-only.html")
    assert response is not None
    assert response.body() == (page_tree / "legacy" / "native-only.html").read_bytes()
    assert page.evaluate("typeof window.rtcshim") == "undefined"
    assert page.evaluate("hasPeerConnection") is False
    assert "shim.js" not in seen


def test_folder_without_index_is_listed(tree_context: BrowserContext) -> None:
    page = tree_context.new_page()
    page.goto("/")
    page.click("text=Media notes")
    expect(page).to_have_title("Index of /media/")
    expect(page.locator("li a")).to_have_text(["../", "clips/", "notes.txt"])
    assert page.evaluate("typeof window.rtcshim") == "undefined"
    page.click("text=notes.txt")
    expect(page.locator("body")).to_have_text("Recorded at the 2013 meetup.")
    page.goto("/media")  # redirected to the slash form, where relative links work
    assert page.url.endswith("/media/")
