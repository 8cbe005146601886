"""The wheel carries the whole browser side, and `rtcshim serve` serves it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

from rtcshim.serving import free_port

from .fake_page import FakePage, connect_bridge
from .test_media_sources import write_clip

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_shim_static_examples_and_protocol(tmp_path: Path) -> None:
    subprocess.run(
        # No build isolation: it would fetch setuptools, and the tests run offline.
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("rtcshim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # py.typed (PEP 561): type checkers read the package's own annotations.
    expected = {"rtcshim/py.typed", "rtcshim/shim.js", "rtcshim/protocol.toml", "rtcshim/static/blank.html",
                "rtcshim/templates/examples_index.html", "rtcshim/cli.py"}
    expected |= {f"rtcshim/examples/{page.name}" for page in (REPO / "examples").glob("*.html")}
    expected.add("rtcshim/examples/.well-known/idp-proxy/rtcshim-demo.js")
    # Every module, subpackages too (pyproject.toml lists the packages one by one).
    server = REPO / "server"
    expected |= {f"rtcshim/{module.relative_to(server).as_posix()}" for module in server.rglob("*.py")}
    assert expected <= names
    # The MIT text pyproject.toml names, in the metadata (setuptools finds LICENSE by its name).
    assert any(".dist-info/" in name and name.endswith("/LICENSE") for name in names)
    # pytest finds the plugin (server/pytest_plugin.py) by this entry point.
    (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    assert "[pytest11]\nrtcshim = rtcshim.pytest_plugin\n" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_sdist_ships_the_license(tmp_path: Path) -> None:
    # setuptools' own PEP 517 hook: no `wheel` package needed, nothing fetched.
    subprocess.run(
        [sys.executable, "-c", "import sys; from setuptools.build_meta import build_sdist; build_sdist(sys.argv[1])",
         str(tmp_path)],
        check=True, capture_output=True, cwd=REPO,
    )
    (sdist,) = tmp_path.glob("rtcshim-*.tar.gz")
    with tarfile.open(sdist) as archive:
        license_text = archive.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/LICENSE")
        assert license_text is not None
        assert license_text.read() == (REPO / "LICENSE").read_bytes()


def start_serve(
    *arguments: str, announcement: str = "rtcshim: examples at {origin}/examples/"
) -> tuple[subprocess.Popen[str], int]:
    """`rtcshim serve` on a free port, once it said where the pages are and answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "rtcshim", "serve", "--port", str(port),
                                "--log-level", "warning", *arguments], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == announcement.format(origin=f"http://127.0.0.1:{port}") + "\n"
    deadline = time.monotonic() + 30
    while True:  # wait for the socket to listen; this bounds start-up, it measures nothing
        try:
            get(f"http://127.0.0.1:{port}/shim.js")
            return process, port
        except OSError:
            assert time.monotonic() < deadline, "rtcshim serve did not start"
            time.sleep(0.1)


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_serve_command_serves_the_shim_and_the_examples() -> None:
    process, port = start_serve()
    try:
        status, shim = get(f"http://127.0.0.1:{port}/shim.js")
        assert status == 200
        assert "installPeerConnection" in shim
        status, index = get(f"http://127.0.0.1:{port}/examples/")
        assert status == 200
        for page in (REPO / "examples").glob("*.html"):
            assert f'href="/examples/{page.name}"' in index
    finally:
        process.terminate()
        process.wait(10)


def test_serve_command_offers_media_files_and_a_tone(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.webm")
    process, port = start_serve("--media", str(clip), "--tone", "880")
    try:
        with connect_bridge(f"http://127.0.0.1:{port}") as websocket:
            devices = FakePage(websocket).call("Session", "enumerateDevices", {})["result"]["devices"]
        assert [(device["kind"], device["label"]) for device in devices] == [
            ("videoinput", "rtcshim synthetic camera"), ("audioinput", "rtcshim synthetic microphone"),
            ("videoinput", "clip.webm"), ("audioinput", "clip.webm"),
        ]
    finally:
        process.terminate()
        process.wait(10)


def test_serve_command_serves_a_folder_with_the_shim_in_its_pages(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<!doctype html><html><head><title>old</title></head></html>")
    process, port = start_serve(str(tmp_path), announcement=f"rtcshim: serving {tmp_path.resolve()} at {{origin}}/")
    try:
        status, page = get(f"http://127.0.0.1:{port}/page.html")
        assert status == 200
        assert page == '<!doctype html><html><head><script src="/shim.js"></script><title>old</title></head></html>'
        status, listing = get(f"http://127.0.0.1:{port}/")
        assert 'href="page.html"' in listing
    finally:
        process.terminate()
        process.wait(10)
