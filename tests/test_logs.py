"""The rtcshim loggers: what a session, its peer connections and its failures log, and the formats."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from typing import Any

import pytest

from rtcshim import Registry
from rtcshim.logs import JsonFormatter, logging_config, short_handle
from rtcshim.serving import ServerThread, free_port
from rtcshim.session import Session

from .event_loop import run
from .fake_page import (
    DATA_CHANNEL_INIT,
    FakePage,
    InProcessPage,
    connect_bridge,
    negotiate,
    new_handle,
    wait_connected,
)


@pytest.fixture
def rtcshim_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog, with the rtcshim loggers at INFO for the test."""
    caplog.set_level(logging.INFO, "rtcshim")
    return caplog


def about(records: list[logging.LogRecord], session_id: str) -> list[str]:
    return [record.getMessage() for record in records
            if record.name.startswith("rtcshim") and getattr(record, "session", None) == session_id]


def test_session_opening_and_closing_are_logged(rtcshim_log: pytest.LogCaptureFixture) -> None:
    session = Session(Registry(), origin="http://127.0.0.1:9")

    async def scenario() -> None:
        page = InProcessPage(session)
        await page.create_peer_connection()
        await page.create_peer_connection()
        await page.drop()

    run(scenario())
    lines = about(rtcshim_log.records, session.id)
    assert lines[0] == f"session {session.id} opened (origin http://127.0.0.1:9)"
    assert lines[-1].startswith(f"session {session.id} closed after ")
    assert lines[-1].endswith(" s (origin http://127.0.0.1:9, peer connections made: 2)")
    closing = rtcshim_log.records[-1]
    assert (closing.levelno, getattr(closing, "peer_connections", None)) == (logging.INFO, 2)
    assert sum(line.endswith(" made") for line in lines) == 2
    assert sum(line.endswith(" closed") for line in lines) == 2


def test_rejected_set_remote_description_is_logged_with_its_error(
    rtcshim_log: pytest.LogCaptureFixture,
) -> None:
    session = Session(Registry())

    async def scenario() -> str:
        page = InProcessPage(session)
        guid = await page.create_peer_connection()
        reply = await page.call(guid, "setRemoteDescription", {"description": {"type": "offer", "sdp": "garbage"}})
        assert reply["error"]["name"] == "OperationError"
        await page.drop()
        return guid

    guid = run(scenario())
    [failure] = [record for record in rtcshim_log.records if hasattr(record, "error_name")]
    assert failure.levelno == logging.INFO
    assert failure.getMessage() == (f"session {session.id}: {short_handle(guid)}.setRemoteDescription failed: "
                                    "OperationError: invalid SDP at line 1: 'garbage'")
    assert (vars(failure)["call"], vars(failure)["error_name"]) == (
        f"{short_handle(guid)}.setRemoteDescription", "OperationError")


def test_malformed_message_is_logged_as_what_failed(rtcshim_log: pytest.LogCaptureFixture) -> None:
    session = Session(Registry())

    async def scenario() -> None:
        page = InProcessPage(session)
        page.send_raw("{not json")
        await page.reply_to(None)
        await page.drop()

    run(scenario())
    [failure] = [line for line in about(rtcshim_log.records, session.id) if "failed" in line]
    assert failure.startswith(f"session {session.id}: a malformed message failed: TypeError: malformed message")


def test_connection_state_changes_are_logged(server: ServerThread, rtcshim_log: pytest.LogCaptureFixture) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
        # Something to connect: an offer without it has no transport.
        page.call(offerer, "createDataChannel", {
            "dataChannel": new_handle("DataChannel"), "label": "logs", "init": DATA_CHANNEL_INIT})
        negotiate(page, offerer, answerer)
        wait_connected(page, offerer)
    session_id = page.hello["params"]["session"]
    changes = [(vars(record)["state"], vars(record)["value"]) for record in rtcshim_log.records
               if getattr(record, "pc", None) == offerer and hasattr(record, "state")]
    assert ("connectionState", "connected") in changes
    assert ("iceConnectionState", "checking") in changes
    assert f"session {session_id}: {short_handle(offerer)} connectionState connecting -> connected" in about(
        rtcshim_log.records, session_id)


def test_short_handle_keeps_the_interface_and_six_characters() -> None:
    assert short_handle("PeerConnection@k3J9xQabcdefghijklmnopqr") == "PeerConnection@k3J9xQ"
    assert short_handle("Session") == "Session"


def test_json_formatter_writes_one_object_with_the_extra_fields() -> None:
    record = logging.LogRecord("rtcshim.session", logging.INFO, __file__, 1, "session %s opened", ("abc",), None)
    record.__dict__.update(session="abc", origin=None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed.pop("time").endswith("+00:00")
    assert parsed == {"level": "INFO", "logger": "rtcshim.session", "message": "session abc opened",
                      "session": "abc", "origin": None}


def test_json_formatter_adds_the_traceback() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("rtcshim", logging.WARNING, __file__, 1, "failed", (), sys.exc_info())
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["exception"].splitlines()[-1] == "ValueError: broken"


def test_logging_config_gives_the_rtcshim_logger_a_handler_at_the_level() -> None:
    config = logging_config("debug", "json")
    assert config["loggers"]["rtcshim"] == {"handlers": ["rtcshim"], "level": "DEBUG", "propagate": False}
    assert config["formatters"]["default"] == {"()": "rtcshim.logs.JsonFormatter"}
    assert config["handlers"]["rtcshim"]["formatter"] == "default"
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        logging_config("info", "xml")


def serve_and_open_a_session(*arguments: str) -> tuple[str, str]:
    """`rtcshim serve` with `arguments`: a page opens a session, makes a peer connection and
    leaves; the session id and everything the server wrote on stderr."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "rtcshim", "serve", "--port", str(port), *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for the socket to listen; this bounds start-up, it measures nothing
            try:
                websocket = connect_bridge(f"http://127.0.0.1:{port}")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "rtcshim serve did not start"
                time.sleep(0.1)
        with websocket:
            page = FakePage(websocket)
            page.create_peer_connection()
    finally:
        process.terminate()
        stderr = process.communicate(timeout=30)[1]
    return page.hello["params"]["session"], stderr


def test_serve_logs_sessions_at_info_by_default() -> None:
    session_id, stderr = serve_and_open_a_session()
    assert f"INFO:     rtcshim.session: session {session_id} opened (origin http://127.0.0.1:" in stderr
    assert f"rtcshim.session: session {session_id} closed after " in stderr


def test_serve_log_level_warning_hides_the_info_lines() -> None:
    session_id, stderr = serve_and_open_a_session("--log-level", "warning")
    assert session_id not in stderr


def test_serve_log_format_json_writes_json_lines() -> None:
    session_id, stderr = serve_and_open_a_session("--log-format", "json")
    lines: list[dict[str, Any]] = [json.loads(line) for line in stderr.splitlines()]
    assert {"uvicorn.error", "rtcshim.session", "rtcshim.dispatchers.peer_connection"} <= {
        line["logger"] for line in lines}
    closing = [line for line in lines if line.get("session") == session_id and "peer_connections" in line]
    assert [line["peer_connections"] for line in closing] == [1]
