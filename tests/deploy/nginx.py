"""Debian's nginx running deploy/nginx/rtcshim.conf, with every path in a folder of the test's.

The repository's file goes, filled in, inside a minimal main configuration, as it would go
into /etc/nginx/conf.d: nothing of /etc/nginx or /var is read or written (`-e` moves the
log nginx opens before it reads its configuration).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from ..conftest import REPO
from .config_template import fill
from .daemon import Daemon

RTCSHIM_CONF = REPO / "deploy" / "nginx" / "rtcshim.conf"

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/rtcshim.conf;
}}
"""


def nginx_executable() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        raise RuntimeError("Debian's nginx is missing: apt-get install nginx (scripts/test installs it)")
    return found


class Nginx(Daemon):
    """nginx on `host`:`port` with TLS (`certificate`, `key`), in front of the rtcshim
    processes at `upstreams` (host:port each)."""

    def __init__(self, folder: Path, host: str, port: int, upstreams: Sequence[str], certificate: Path,
                 key: Path) -> None:
        # Root's nginx runs its workers as nobody: they must reach the temporary folders.
        folder.chmod(0o755)
        (folder / "rtcshim.conf").write_text(fill(RTCSHIM_CONF, {
            "RTCSHIM_LISTEN": f"{host}:{port} ssl",
            "RTCSHIM_SERVERS": " ".join(f"server {upstream};" for upstream in upstreams),
            "RTCSHIM_CERTIFICATE": str(certificate),
            "RTCSHIM_CERTIFICATE_KEY": str(key),
        }))
        (folder / "nginx.conf").write_text(MAIN_CONF.format(folder=folder))
        super().__init__("nginx", [nginx_executable(), "-p", str(folder), "-e", str(folder / "error.log"),
                                   "-c", str(folder / "nginx.conf")], folder / "output.log")
        self.url = f"https://{host}:{port}"
        self.wait_listening(host, port)
