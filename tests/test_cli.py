"""`rtcshim serve`'s options, RTCSHIM_* variables and errors; the bound URL and TLS in a real process."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import rtcshim
from rtcshim.cli import parse_arguments
from rtcshim.limits import Limits

from .test_media_sources import write_clip

NO_ENVIRONMENT: dict[str, str] = {}
LOG_LEVEL_CHOICES = "(choose from 'critical', 'error', 'warning', 'info', 'debug', 'trace')"


def write_self_signed_certificate(directory: Path, address: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for `address` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def one_line_error(
    capsys: pytest.CaptureFixture[str], *arguments: str, environ: dict[str, str] = NO_ENVIRONMENT,
) -> str:
    """The error `rtcshim serve ARGUMENTS` exits with (status 2): its stderr's one line after the usage."""
    with pytest.raises(SystemExit) as exited:
        parse_arguments(["serve", *arguments], environ)
    assert exited.value.code == 2
    error_lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(("usage:", " "))]
    assert len(error_lines) == 1
    return error_lines[0]


def test_help_shows_each_option_with_its_default_and_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_arguments(["serve", "--help"], NO_ENVIRONMENT)
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--port PORT the port to listen on; 0: a free port (default: 8765) [env: RTCSHIM_PORT]" in help_text
    assert "--log-level LEVEL the log level: critical, error, warning, info, debug, trace (default: info)" in help_text
    for variable in ("RTCSHIM_HOST", "RTCSHIM_LOG_LEVEL", "RTCSHIM_SSL_CERTFILE", "RTCSHIM_SSL_KEYFILE",
                     "RTCSHIM_TONE", "RTCSHIM_MEDIA", "RTCSHIM_ICE_POLICY", "RTCSHIM_NO_INJECT", "RTCSHIM_EXCLUDE",
                     "RTCSHIM_ALLOWED_ORIGIN", "RTCSHIM_TOKEN", "RTCSHIM_MAX_PEER_CONNECTIONS"):
        assert f"[env: {variable}]" in help_text
    assert "(default: 1000) [env: RTCSHIM_MAX_TRACKS]" in help_text


def test_version_prints_the_package_version() -> None:
    result = subprocess.run([sys.executable, "-m", "rtcshim", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout == f"rtcshim {version('rtcshim')}\n"


def test_environment_variables_set_the_options(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.webm")
    (tmp_path / "pages").mkdir()
    settings = parse_arguments(["serve"], {
        "RTCSHIM_HOST": "::1", "RTCSHIM_PORT": "0", "RTCSHIM_LOG_LEVEL": "debug", "RTCSHIM_TONE": "880",
        "RTCSHIM_MEDIA": str(clip), "RTCSHIM_ALLOWED_ORIGIN": "https://a.example https://b.example",
        "RTCSHIM_MAX_TRACKS": "7", "RTCSHIM_ICE_POLICY": "open",
    })
    assert (settings.host, settings.port, settings.log_level, settings.tone_hz) == ("::1", 0, "debug", 880.0)
    assert settings.media_files == (str(clip),)
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.limits == Limits(tracks=7)
    assert settings.ice_policy == ("open",)
    pages = parse_arguments(["serve", str(tmp_path / "pages")], {"RTCSHIM_NO_INJECT": "1", "RTCSHIM_EXCLUDE": "a b"})
    assert pages.page_tree is not None
    assert (pages.page_tree.inject, pages.page_tree.exclude) == (False, ("a", "b"))


def test_the_command_line_wins_over_the_environment() -> None:
    environ = {"RTCSHIM_PORT": "9000", "RTCSHIM_ALLOWED_ORIGIN": "https://a.example", "RTCSHIM_TOKEN": "x" * 32}
    settings = parse_arguments(["serve", "--port", "9001", "--allowed-origin", "https://b.example"], environ)
    assert (settings.port, settings.allowed_origins, settings.token) == (9001, ("https://b.example",), "x" * 32)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("RTCSHIM_PORT", "http", "RTCSHIM_PORT: 'http' is not a port number"),
    ("RTCSHIM_PORT", "70000", "RTCSHIM_PORT: 70000 is not a port number (0 to 65535; 0: a free port)"),
    ("RTCSHIM_LOG_LEVEL", "bogus", "RTCSHIM_LOG_LEVEL: invalid choice: 'bogus' " + LOG_LEVEL_CHOICES),
    ("RTCSHIM_NO_INJECT", "maybe", "RTCSHIM_NO_INJECT: 'maybe' is not one of 1, true, yes, on, 0, false, no, off"),
    ("RTCSHIM_MAX_TRACKS", "0", "RTCSHIM_MAX_TRACKS: 0 is not a positive number"),
    ("RTCSHIM_TONE", "loud", "RTCSHIM_TONE: 'loud' is not a frequency in Hz"),
])
def test_a_bad_environment_variable_exits_with_a_one_line_error(
    capsys: pytest.CaptureFixture[str], variable: str, value: str, message: str,
) -> None:
    assert one_line_error(capsys, environ={variable: value}) == "rtcshim serve: error: " + message


@pytest.mark.parametrize(("arguments", "message"), [
    (["--log-level", "bogus"], "argument --log-level: invalid choice: 'bogus' " + LOG_LEVEL_CHOICES),
    (["--port", "-1"], "argument --port: -1 is not a port number (0 to 65535; 0: a free port)"),
    (["--port", "eighty"], "argument --port: 'eighty' is not a port number"),
    (["--tone", "30000"], "argument --tone: 30000 Hz is not from 0 to 24000"),
    (["--media", "{tmp}/missing.webm"], "--media {tmp}/missing.webm: No such file or directory"),
    (["--media", "{tmp}/notes.txt"], "--media {tmp}/notes.txt: Invalid data found when processing input"),
    (["--ssl-keyfile", "{tmp}/notes.txt"], "--ssl-keyfile needs --ssl-certfile"),
    (["--ssl-certfile", "{tmp}/missing.pem"], "--ssl-certfile {tmp}/missing.pem: No such file or directory"),
    (["--ssl-certfile", "{tmp}/notes.txt"], "--ssl-certfile {tmp}/notes.txt: not a PEM certificate "
                                            "with its matching key"),
    (["--ice-policy", "allow=nowhere"], None),
])
def test_a_bad_value_exits_with_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str | None,
) -> None:
    (tmp_path / "notes.txt").write_text("not media, not a certificate\n")
    error = one_line_error(capsys, *(argument.replace("{tmp}", str(tmp_path)) for argument in arguments))
    assert error.startswith("rtcshim serve: error: ")
    if message is not None:
        assert error == "rtcshim serve: error: " + message.replace("{tmp}", str(tmp_path))


def start_serve(*arguments: str, environ: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "rtcshim", "serve", "--log-level", "warning", *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=None if environ is None else {**os.environ, **environ})


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=10)


def test_serve_announces_the_bound_port_once_it_listens() -> None:
    process = start_serve(environ={"RTCSHIM_PORT": "0"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("rtcshim: examples at http://127.0.0.1:") and line.endswith("/examples/\n")
        port = int(line.removeprefix("rtcshim: examples at http://127.0.0.1:").removesuffix("/examples/\n"))
        assert port != 0
        # Announced means listening: no waiting loop.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/shim.js", timeout=5) as response:
            assert response.status == 200
    finally:
        stop(process)


# `rtcshim serve` in a process that, once the server announced itself, says how many objects
# its garbage collector holds frozen, and stops.
FREEZE_PROBE = """
import gc
from rtcshim import cli

announce = cli.AnnouncingServer.startup

async def startup(self, sockets=None):
    await announce(self, sockets)
    print("frozen", gc.get_freeze_count(), flush=True)
    self.should_exit = True

cli.AnnouncingServer.startup = startup
cli.main(["serve", "--port", "0", "--log-level", "warning"])
"""


def test_serve_freezes_what_start_up_made_out_of_later_collections() -> None:
    result = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    frozen = int(result.stdout.splitlines()[-1].removeprefix("frozen "))
    assert frozen > 10_000  # the modules and the app: about 60,000


def test_serve_on_a_port_in_use_exits_with_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "rtcshim", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"rtcshim serve: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_serve_with_a_certificate_serves_https(tmp_path: Path) -> None:
    certfile, keyfile = write_self_signed_certificate(tmp_path)
    process = start_serve("--port", "0", "--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("rtcshim: examples at https://127.0.0.1:")
        origin = line.removeprefix("rtcshim: examples at ").removesuffix("/examples/\n")
        trusting = ssl.create_default_context(cafile=str(certfile))
        with urllib.request.urlopen(f"{origin}/shim.js", timeout=5, context=trusting) as response:
            assert response.status == 200
            assert "installPeerConnection" in response.read().decode()
        with pytest.raises(urllib.error.URLError):  # the certificate is the server's: no other is trusted
            urllib.request.urlopen(f"{origin}/shim.js", timeout=5, context=ssl.create_default_context())
    finally:
        stop(process)


def test_server_from_python_takes_the_same_settings(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.webm")
    certfile, keyfile = write_self_signed_certificate(tmp_path)
    with rtcshim.Server(media=[clip], tone=880, ssl_certfile=certfile, ssl_keyfile=keyfile) as server:
        assert server.url == f"https://127.0.0.1:{server.port}" and server.port != 0
        trusting = ssl.create_default_context(cafile=str(certfile))
        with urllib.request.urlopen(f"{server.url}/shim.js", timeout=5, context=trusting) as response:
            assert response.status == 200
        assert server.settings.media_files == (str(clip),)


@pytest.mark.parametrize(("options", "message"), [
    ({"media": ["{tmp}/missing.webm"]}, "--media {tmp}/missing.webm: No such file or directory"),
    ({"directory": "{tmp}/missing"}, "not a directory: {tmp}/missing"),
    ({"ssl_keyfile": "{tmp}/key.pem"}, "--ssl-keyfile needs --ssl-certfile"),
])
def test_server_from_python_with_a_bad_setting_raises_the_cli_message(
    tmp_path: Path, options: dict[str, object], message: str,
) -> None:
    options = {name: [str(v).replace("{tmp}", str(tmp_path)) for v in value] if isinstance(value, list)
               else str(value).replace("{tmp}", str(tmp_path)) for name, value in options.items()}
    with pytest.raises(rtcshim.SettingsError) as raised:
        rtcshim.Server(**options)  # type: ignore[arg-type]
    assert str(raised.value) == message.replace("{tmp}", str(tmp_path))
