"""Fixtures shared by every test: the server in a thread, and the browser settings."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rtcshim.serving import ServerThread

REPO = Path(__file__).resolve().parent.parent


def _load_playwright_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playwright_config", REPO / "playwright.config.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLAYWRIGHT_CONFIG = _load_playwright_config()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    """pytest-playwright launches Debian's Chromium with our flags."""
    return PLAYWRIGHT_CONFIG.launch_args(fake_media=True)


@pytest.fixture
def server() -> Iterator[ServerThread]:
    """A fresh server per test: its registry shows exactly what that test created."""
    running = ServerThread(strict=True).start()
    try:
        yield running
    finally:
        running.stop()
