"""The pytest plugin (server/pytest_plugin.py), as a user meets it: pytester writes a user's
test files, runs pytest on them in a subprocess (the plugin loads from its entry point, as
for anyone who installed rtcshim) and reads the outcomes.

One run drives Debian's Chromium through every fixture: the server serves, pages of other
origins (a file:, another server) get the shim before their own scripts, native WebRTC goes
when a marker asks, a data channel connects, the run's tone, a marker's tone and a marker's
file reach getUserMedia, pytest-playwright's options and fixtures still apply, and the
server is gone after the run. Others check the ini settings and that each bad value stops
the run with a usage error. Chromium runs, so inside the network namespace:
`scripts/in-netns .venv/bin/python -m pytest -p no:xdist tests/test_pytest_plugin.py`.
"""

from __future__ import annotations

import json
import math
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from rtcshim.browser_setup import DEBIAN_CHROMIUM

pytest_plugins = ["pytester"]

RUN_TONE_HZ = 660
MARKED_TONE_HZ = 880
FILE_TONE_HZ = 1000

USER_CONFTEST = """
import json
import socket
import threading

import pytest

STARTED = []


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


def pytest_sessionfinish(session):
    # Session fixtures are gone by now: what did the server leave behind?
    if not STARTED:
        return
    server = STARTED[0]
    with socket.socket() as probe:
        connect_error = probe.connect_ex(("127.0.0.1", server.port))
    left = {
        "server_threads": [thread.name for thread in threading.enumerate() if thread.name == "rtcshim-server"],
        "port_answers": connect_error == 0,
        "sessions": list(server.registry.sessions),
    }
    (session.config.rootpath / "left.json").write_text(json.dumps(left))
"""

USER_TESTS = r"""
import http.client
import http.server
import threading
from functools import partial

import pytest

import rtcshim
from conftest import STARTED

SEES_SHIM_AT_LOAD = '''<!doctype html><script>
  window.seenAtLoad = {
    installed: Boolean(window.rtcshim && window.rtcshim.installed),
    native: String(window.RTCPeerConnection).includes("[native code]"),
  };
</script>'''

DATA_CHANNEL_CALL = '''async () => {
  const caller = new RTCPeerConnection(), callee = new RTCPeerConnection();
  caller.onicecandidate = (event) => event.candidate && callee.addIceCandidate(event.candidate);
  callee.onicecandidate = (event) => event.candidate && caller.addIceCandidate(event.candidate);
  const received = new Promise((resolve) => {
    callee.ondatachannel = (event) => { event.channel.onmessage = (message) => resolve(message.data); };
  });
  const channel = caller.createDataChannel("chat");
  channel.onopen = () => channel.send("hello");
  await caller.setLocalDescription(await caller.createOffer());
  await callee.setRemoteDescription(caller.localDescription);
  await callee.setLocalDescription(await callee.createAnswer());
  await caller.setRemoteDescription(callee.localDescription);
  return [await received, caller.connectionState, callee.connectionState];
}'''

# The loudest bin of the microphone's audio, once it is the same over five reads in a row.
TONE_OF_MICROPHONE = '''async (label) => {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const device = devices.find((each) => each.kind === "audioinput" && each.label === label);
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: device.deviceId } } });
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  analyser.smoothingTimeConstant = 0;
  context.createMediaStreamSource(stream).connect(analyser);
  const bins = new Float32Array(analyser.frequencyBinCount);
  const peaks = [];
  for (let read = 0; read < 200 && peaks.length < 5; read++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    analyser.getFloatFrequencyData(bins);
    let best = 1;  // bin 0 is DC
    for (let index = 2; index < bins.length; index++) if (bins[index] > bins[best]) best = index;
    if (!(bins[best] > -60) || (peaks.length && peaks[peaks.length - 1] !== best)) peaks.length = 0;
    if (bins[best] > -60) peaks.push(best);
  }
  stream.getTracks().forEach((track) => track.stop());
  const binHz = context.sampleRate / analyser.fftSize;
  await context.close();
  return peaks.length < 5 ? null : { hz: peaks[0] * binHz, binHz };
}'''


def blank_page(page, server):
    page.goto(f"{server.url}/static/blank.html")
    return page


def assert_tone(page, label, hertz):
    tone = page.evaluate(TONE_OF_MICROPHONE, label)
    assert tone is not None, f"no steady tone from {label}"
    assert abs(tone["hz"] - hertz) <= 2 * tone["binHz"], tone


def test_server_serves_the_shim(rtcshim_server, rtcshim_shared_server):
    STARTED.append(rtcshim_server)
    assert isinstance(rtcshim_server, rtcshim.Server) and rtcshim_server is rtcshim_shared_server
    connection = http.client.HTTPConnection(rtcshim_server.host, rtcshim_server.port)
    connection.request("GET", "/shim.js")
    response = connection.getresponse()
    assert response.status == 200 and b"window.rtcshim" in response.read()
    connection.close()


@pytest.fixture
def other_server(tmp_path):
    (tmp_path / "page.html").write_text(SEES_SHIM_AT_LOAD)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
        server.shutdown()
        thread.join()


def test_page_of_another_server_gets_the_shim_before_its_scripts(rtcshim_page, rtcshim_server, other_server):
    rtcshim_page.goto(other_server)
    assert rtcshim_page.evaluate("window.seenAtLoad") == {"installed": True, "native": False}
    assert rtcshim_page.evaluate("window.rtcshim.session()") in rtcshim_server.registry.sessions


def test_file_page_gets_the_shim_before_its_scripts(rtcshim_page, rtcshim_server, tmp_path):
    (tmp_path / "page.html").write_text(SEES_SHIM_AT_LOAD)
    rtcshim_page.goto((tmp_path / "page.html").as_uri())
    assert rtcshim_page.evaluate("window.seenAtLoad") == {"installed": True, "native": False}
    assert rtcshim_page.evaluate("window.rtcshim.session()") in rtcshim_server.registry.sessions


@pytest.mark.rtcshim_options(debug=True)
def test_native_webrtc_is_kept_aside_by_default(rtcshim_page, rtcshim_server):
    blank_page(rtcshim_page, rtcshim_server)
    assert rtcshim_page.evaluate("typeof window.rtcshim.native.RTCPeerConnection") == "function"
    assert rtcshim_page.evaluate("window.rtcshim.options.debug") is True  # the rtcshim_options marker


@pytest.mark.rtcshim_remove_native_webrtc
def test_native_webrtc_is_gone_with_the_marker(rtcshim_page, rtcshim_server):
    blank_page(rtcshim_page, rtcshim_server)
    assert rtcshim_page.evaluate("typeof window.rtcshim.native.RTCPeerConnection") == "undefined"
    assert rtcshim_page.evaluate("typeof RTCPeerConnection") == "function"


def test_data_channel_connects_between_two_shimmed_peers(rtcshim_page, rtcshim_server):
    blank_page(rtcshim_page, rtcshim_server)
    assert rtcshim_page.evaluate(DATA_CHANNEL_CALL) == ["hello", "connected", "connected"]
    assert len(rtcshim_server.registry.sessions) == 1


def test_microphone_plays_the_run_tone(rtcshim_page, rtcshim_server):
    assert_tone(blank_page(rtcshim_page, rtcshim_server), "rtcshim synthetic microphone", RUN_TONE_HZ)


@pytest.mark.rtcshim_media(tone=MARKED_TONE_HZ)
def test_microphone_plays_the_marked_tone(rtcshim_page, rtcshim_server):
    assert_tone(blank_page(rtcshim_page, rtcshim_server), "rtcshim synthetic microphone", MARKED_TONE_HZ)


@pytest.mark.rtcshim_media("media/tone.wav")
def test_marked_file_is_a_microphone(rtcshim_page, rtcshim_server):
    assert_tone(blank_page(rtcshim_page, rtcshim_server), "tone.wav", FILE_TONE_HZ)


@pytest.mark.rtcshim_media("media/missing.wav")
def test_marked_file_that_is_missing(rtcshim_server):
    pass


def test_launch_and_context_settings_build_on_pytest_playwright(browser_type_launch_args, rtcshim_page, rtcshim_server):
    assert browser_type_launch_args["executable_path"] == CHROMIUM
    assert browser_type_launch_args["slow_mo"] == 1  # --slowmo, pytest-playwright's option
    assert "--disable-features=WebRtcHideLocalIpsWithMdns" in browser_type_launch_args["args"]
    assert blank_page(rtcshim_page, rtcshim_server).evaluate("navigator.language") == "fr-FR"
"""


def write_tone(path: Path, hertz: float, seconds: float = 2.0, rate: int = 48000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (0.25 * 32767 * np.sin(2 * math.pi * hertz * np.arange(int(seconds * rate)) / rate)).astype(np.int16)
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(samples.tobytes())


def test_plugin_fixtures_run_a_user_suite_in_chromium(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(USER_CONFTEST)
    constants = f"CHROMIUM = {DEBIAN_CHROMIUM!r}\n{RUN_TONE_HZ = }\n{MARKED_TONE_HZ = }\n{FILE_TONE_HZ = }\n"
    pytester.makepyfile(test_user=constants + USER_TESTS)
    write_tone(pytester.path / "media" / "tone.wav", FILE_TONE_HZ)
    result = pytester.runpytest_subprocess(
        "--strict-markers", "-p", "no:cacheprovider", f"--rtcshim-chromium={DEBIAN_CHROMIUM}",
        "--rtcshim-tone", str(RUN_TONE_HZ), "--slowmo", "1", "-v",
    )
    result.assert_outcomes(passed=10, errors=1)
    result.stdout.fnmatch_lines(["*rtcshim_media */media/missing.wav: No such file or directory"])
    left = json.loads((pytester.path / "left.json").read_text())
    assert left == {"server_threads": [], "port_answers": False, "sessions": []}


@pytest.mark.parametrize(("arguments", "ini", "message"), [
    (["--rtcshim-tone", "loud"], "", "*argument --rtcshim-tone: 'loud' is not a frequency in Hz*"),
    (["--rtcshim-tone", "30000"], "", "*argument --rtcshim-tone: 30000 Hz is not from 0 to 24000*"),
    ([], "rtcshim_tone = loud", "*rtcshim_tone: 'loud' is not a frequency in Hz*"),
    (["--rtcshim-media", "missing.webm"], "", "*--rtcshim-media missing.webm: No such file or directory*"),
    (["--rtcshim-media", "test_nothing.py"], "", "*--rtcshim-media test_nothing.py: *"),
    (["--rtcshim-chromium", "/nowhere/chromium"], "", "*--rtcshim-chromium /nowhere/chromium: no such file*"),
], ids=["tone-not-a-number", "tone-too-high", "ini-tone", "media-missing", "media-not-media", "chromium-missing"])
def test_bad_setting_is_a_usage_error(pytester: pytest.Pytester, arguments: list[str], ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess(*arguments)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_ini_settings_choose_chromium_and_native_webrtc_removal(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\nrtcshim_chromium = {DEBIAN_CHROMIUM}\n"
                     "rtcshim_remove_native_webrtc = true\n")
    pytester.makepyfile(test_settings=f"""
        import pytest
        from rtcshim.browser_setup import REMOVE_NATIVE_WEBRTC

        def test_chromium_is_launched_with_webrtc_flags(browser_type_launch_args):
            assert browser_type_launch_args["executable_path"] == {DEBIAN_CHROMIUM!r}
            assert "--use-fake-ui-for-media-stream" in browser_type_launch_args["args"]

        def test_init_script_removes_native_webrtc_first(rtcshim_init_script):
            assert rtcshim_init_script.startswith(REMOVE_NATIVE_WEBRTC)

        @pytest.mark.rtcshim_remove_native_webrtc(False)
        def test_marker_keeps_native_webrtc(rtcshim_init_script):
            assert REMOVE_NATIVE_WEBRTC not in rtcshim_init_script
    """)
    pytester.runpytest_subprocess("--strict-markers").assert_outcomes(passed=3)


def test_readme_pytest_snippet_passes_as_written(pytester: pytest.Pytester) -> None:
    """README's "Use in pytest" example, saved as a user would and run with the command its
    first line gives: the plugin's page and server, and a handle from page_session."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    (snippet,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "rtcshim_page" in block]
    pytester.makepyfile(test_loopback=snippet)
    command = re.match(r"# test_loopback\.py; run it with: pytest (--rtcshim-chromium=\S+)\n", snippet)
    assert command is not None, "the snippet's first line gives the command to run it"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", command.group(1))
    result.assert_outcomes(passed=1)
