"""ServeSettings: what `rtcshim serve` (or `rtcshim.Server`) was asked for, checked before serving.

`check()` turns every bad value the parser cannot see (a media file FFmpeg cannot read, a
certificate that does not load) into a SettingsError whose message is one line, so the CLI
prints it instead of a traceback.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from starlette.applications import Starlette

from . import limits as server_limits
from .app import create_app
from .media.sources import MediaSources
from .network_policy import NetworkPolicy
from .page_tree import PageTree
from .registry import Registry


class SettingsError(ValueError):
    """A setting that cannot work; its message is one line naming the setting."""


def page_tree_of(directory: str | Path, inject: bool = True, exclude: Sequence[str] = ()) -> PageTree:
    """The pages of `directory`, as serve DIR and rtcshim.Server serve them."""
    if not Path(directory).is_dir():
        raise SettingsError(f"not a directory: {directory}")
    return PageTree(Path(directory).resolve(), inject, tuple(exclude))


def media_sources_of(tone_hz: float, media_files: Sequence[str | Path], setting: str = "--media") -> MediaSources:
    """The synthetic devices (the microphone playing `tone_hz`), then each file's; a file
    FFmpeg cannot read is a SettingsError that names it as `setting`."""
    sources = MediaSources.default(tone_hz=tone_hz)
    for path in media_files:
        try:
            file_sources = MediaSources.from_file(path)
            sources += file_sources  # a ValueError for two files of the same name
        except (OSError, ValueError) as error:  # PyAV's errors are both
            raise SettingsError(f"{setting} {path}: {getattr(error, 'strerror', None) or error}") from None
        if not file_sources.devices:
            raise SettingsError(f"{setting} {path}: no audio or video stream")
    return sources


@dataclass(frozen=True)
class ServeSettings:
    """`page_tree` is None for the examples; `port` 0 asks the system for a free port."""

    host: str
    port: int
    log_level: str
    tone_hz: float
    media_files: tuple[str, ...]
    page_tree: PageTree | None
    allowed_origins: tuple[str, ...] = ()
    token: str | None = None
    ice_policy: tuple[str, ...] = ()  # --ice-policy's terms
    limits: server_limits.Limits = server_limits.DEFAULT_LIMITS
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    log_format: str = "text"  # server/logs.py's LOG_FORMATS
    inspector: bool = True  # /inspector (--no-inspector)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"

    def network_policy(self, port: int | None = None) -> NetworkPolicy:
        """The --ice-policy, never letting pages reach this server's own `port` (the bound one)."""
        return NetworkPolicy.parse(self.ice_policy, own_ports=[self.port if port is None else port])

    @cached_property
    def media_sources(self) -> MediaSources:
        """The devices: the synthetic ones and each --media file's, each file probed once
        (check() probes them; the app then offers what it found)."""
        return media_sources_of(self.tone_hz, self.media_files)

    def check(self) -> None:
        """Raise SettingsError for the first setting that cannot work."""
        try:
            NetworkPolicy.parse(self.ice_policy)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        if self.ssl_keyfile and not self.ssl_certfile:
            raise SettingsError("--ssl-keyfile needs --ssl-certfile")
        if self.ssl_certfile:
            try:
                ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                    self.ssl_certfile, self.ssl_keyfile)
            except ssl.SSLError:  # before OSError: it is one (OpenSSL's own message says only "PEM lib")
                raise SettingsError(f"--ssl-certfile {self.ssl_certfile}: not a PEM certificate "
                                    "with its matching key") from None
            except OSError as error:
                raise SettingsError(f"--ssl-certfile {self.ssl_certfile}: {error.strerror or error}") from None
        self.media_sources  # noqa: B018 (probing the files is the check)

    def create_app(self, port: int, *, registry: Registry | None = None, strict: bool = False) -> Starlette:
        """The app these settings describe, served on `port` (the bound one)."""
        return create_app(
            registry=registry, media_sources=self.media_sources, strict=strict, page_tree=self.page_tree,
            allowed_origins=self.allowed_origins, token=self.token, network_policy=self.network_policy(port),
            limits=self.limits, inspector=self.inspector,
        )

    def origin(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port if port is None else port}"

    def announcement(self, port: int | None = None) -> str:
        """The line that says where the pages are, on `port` (default: the one asked for)."""
        if self.page_tree is None:
            return f"rtcshim: examples at {self.origin(port)}/examples/"
        return f"rtcshim: serving {self.page_tree.directory} at {self.origin(port)}/"
