"""rtcshim behind nginx: deploy/nginx/rtcshim.conf, with TLS, in front of two `rtcshim serve` processes.

nginx listens on this host's own non-loopback address (the network namespace's), so the
pages' origin is no loopback one, which the bridge would admit whatever nginx passed on:
they get in because nginx passes their Host and scheme (server/origins.py). The processes'
logs say which one holds each page's session and each room, and the client address they
took from X-Forwarded-For.
"""

from __future__ import annotations

import json
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, expect
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from rtcshim.network_policy import NetworkPolicy
from rtcshim.serving import free_port

from ..conftest import PLAYWRIGHT_CONFIG
from ..deploy.nginx import Nginx
from ..deploy.rtcshim_process import RtcshimProcess
from ..test_cli import write_self_signed_certificate
from .conftest import without_webrtc
from .example_pages import CONNECT_TIMEOUT_MS, PageProblems, open_example
from .relay_calls import new_room
from .test_examples import CALLER_GREETING, send_through_ui
from .test_media_examples import expect_in_call

# Enough rooms that consistent hashing leaves none of the two processes without one
# (all in one: a chance of 2 in 2**ROOMS).
ROOMS = 20


def own_address() -> str:
    """This host's first IPv4 address that is not loopback (the namespace's veth)."""
    return next(str(address) for address in sorted(NetworkPolicy().own_addresses, key=str)
                if address.version == 4 and not address.is_loopback)


class Deployment(NamedTuple):
    nginx: Nginx
    processes: list[RtcshimProcess]

    def holding(self, session: str) -> list[int]:
        """The indexes of the processes that opened `session`."""
        return [index for index, process in enumerate(self.processes) if session in process.opened_sessions()]

    def serving_room(self, room: str) -> list[int]:
        """The indexes of the processes that accepted a socket of `room`."""
        return [index for index, process in enumerate(self.processes)
                if any(accepted.path == f"/signal/{room}" for accepted in process.accepted_sockets())]


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    # Not pytest's tmp_path: its parents are closed to nginx's workers (nobody).
    folder = Path(tempfile.mkdtemp(prefix="rtcshim-nginx-"))
    processes: list[RtcshimProcess] = []
    try:
        processes += [RtcshimProcess(), RtcshimProcess()]
        address = own_address()
        certificate, key = write_self_signed_certificate(folder, address)
        nginx = Nginx(folder, address, free_port(address), [process.address for process in processes],
                      certificate, key)
        try:
            yield Deployment(nginx, processes)
        finally:
            nginx.stop()  # fails if an nginx process is left
    finally:
        for process in processes:
            process.stop()
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def reaching_own_address(browser_type: BrowserType) -> Iterator[Browser]:
    """Chromium as the tests launch it, but its resolver lets the own address through too
    (it maps every host but 127.0.0.1 to nothing, IP addresses included)."""
    launch = PLAYWRIGHT_CONFIG.launch_args(fake_media=True)
    args = [arg for arg in launch["args"] if not arg.startswith("--host-resolver-rules")]
    rules = f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE {own_address()}"
    browser = browser_type.launch(**{**launch, "args": [*args, rules]})
    yield browser
    browser.close()


@pytest.fixture
def proxied_context(reaching_own_address: Browser, deployment: Deployment) -> Iterator[BrowserContext]:
    """Pages without WebRTC of their own, of nginx's origin (its certificate is self-signed)."""
    context = without_webrtc(reaching_own_address.new_context(
        base_url=deployment.nginx.url, ignore_https_errors=True))
    yield context
    context.close()


def open_pair(context: BrowserContext, problems: PageProblems, example: str, room: str) -> tuple[Page, Page]:
    caller = open_example(context, problems, f"/examples/{example}-caller.html?room={room}", "caller")
    expect(caller.locator("#status")).to_contain_text(f'In room "{room}"')
    callee = open_example(context, problems, f"/examples/{example}-callee.html?room={room}", "callee")
    return caller, callee


def test_calls_through_nginx_run_in_both_processes(proxied_context: BrowserContext, deployment: Deployment) -> None:
    problems = PageProblems()
    video_room, chat_room = new_room("video"), new_room("chat")
    video_caller, video_callee = open_pair(proxied_context, problems, "video-call", video_room)
    chat_caller, chat_callee = open_pair(proxied_context, problems, "datachannel", chat_room)

    # Media both ways, and data both ways, each pair through its room's relay.
    expect_in_call(video_caller, "callee")
    expect_in_call(video_callee, "caller")
    expect(chat_callee.locator("#log")).to_contain_text("Caller: " + CALLER_GREETING, timeout=CONNECT_TIMEOUT_MS)
    send_through_ui(chat_callee, "#message", "#send", "from the callee")
    expect(chat_caller.locator("#log")).to_contain_text("Callee: from the callee")
    assert problems.reports == []

    # Every page's session is in one process; least_conn gave each process some of the four.
    pages = [video_caller, video_callee, chat_caller, chat_callee]
    sessions = [page.evaluate("rtcshim.session()") for page in pages]
    holders = [deployment.holding(session) for session in sessions]
    assert all(len(holder) == 1 for holder in holders), holders
    assert {holder[0] for holder in holders} == {0, 1}
    # Both members of each room in one process, whichever holds their sessions.
    assert [len(deployment.serving_room(room)) for room in (video_room, chat_room)] == [1, 1]
    # Each process logged the page's address (X-Forwarded-For), not nginx's loopback one.
    clients = {accepted.client_host for process in deployment.processes for accepted in process.accepted_sockets()}
    assert clients == {own_address()}


def relay_socket(deployment: Deployment, room: str, origin: str | None = None) -> ClientConnection:
    """A socket to `room`'s relay through nginx, as a page of nginx's origin (or `origin`) opens it."""
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
    url = deployment.nginx.url
    return connect(url.replace("https", "wss", 1) + f"/signal/{room}", origin=Origin(origin or url), ssl=tls)


def test_each_room_is_kept_in_one_process(deployment: Deployment) -> None:
    rooms = [new_room("room") for _ in range(ROOMS)]
    for room in rooms:
        with relay_socket(deployment, room) as first, relay_socket(deployment, room) as second:
            assert json.loads(first.recv(CONNECT_TIMEOUT_MS / 1000)) == {"relay": "room", "peers": 0}
            # The second member found the first: the same process's room.
            assert json.loads(second.recv(CONNECT_TIMEOUT_MS / 1000)) == {"relay": "room", "peers": 1}
            assert json.loads(first.recv(CONNECT_TIMEOUT_MS / 1000)) == {"relay": "joined"}
            second.send(json.dumps({"to": room}))
            assert json.loads(first.recv(CONNECT_TIMEOUT_MS / 1000)) == {"to": room}
    serving = [deployment.serving_room(room) for room in rooms]
    assert all(len(indexes) == 1 for indexes in serving), serving
    assert {indexes[0] for indexes in serving} == {0, 1}


def test_a_page_of_another_origin_is_refused_through_nginx(deployment: Deployment) -> None:
    """Admission still judges each page behind nginx: nginx's own origin gets in, another one does not."""
    other = f"https://{own_address()}:{free_port(own_address())}"
    with relay_socket(deployment, new_room("refused"), other) as refused:
        with pytest.raises(ConnectionClosedError) as closed:
            refused.recv(CONNECT_TIMEOUT_MS / 1000)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert f"origin {other} is not allowed" in closed.value.rcvd.reason
