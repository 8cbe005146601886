"""The demo identity provider (webrtc-identity) the identity example uses, and the route
that serves IdP proxy scripts at /.well-known/idp-proxy/<protocol>.

The demo's proxy script, `examples/.well-known/idp-proxy/rtcshim-demo.js`, runs in the
page's IdP realm and asks this server to sign and check assertions: the signing key
(HMAC-SHA-256, one per server run) never leaves the server. It vouches for whoever the
page names in `usernameHint`, as long as the name is "<user>@<this server's host>": a
demo has no logins, but the assertion still binds the name to the DTLS fingerprints.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

# The IdP realm is a worker with an opaque origin ("null"), so every answer needs CORS;
# the proxy posts text/plain so that no preflight is needed.
CORS = {"Access-Control-Allow-Origin": "*"}
# A proxy's name: no leading dot, so neither ".." nor a hidden file is one.
PROXY_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


class DemoIdp:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def sign(self, identity: str, contents: str) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"identity": identity, "contents": contents}).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def verify(self, token: str) -> dict[str, str] | None:
        """{identity, contents} if this server signed `token`."""
        payload, _, mac = token.encode().partition(b".")
        if not hmac.compare_digest(mac, self._mac(payload).encode()):
            return None
        try:
            claims: dict[str, str] = json.loads(base64.urlsafe_b64decode(payload))
        except ValueError:  # binascii.Error and JSONDecodeError are ValueErrors
            return None
        return claims

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    async def sign_endpoint(self, request: Request) -> Response:
        body = await _json_body(request)
        identity, contents = body.get("identity"), body.get("contents")
        if not isinstance(identity, str) or not isinstance(contents, str):
            return JSONResponse({"error": "identity and contents must be strings"}, 400, headers=CORS)
        host = _page_hostname(request)
        if "@" not in identity or identity.rpartition("@")[2].lower() != host.lower():
            return JSONResponse({"error": f"this IdP only vouches for <user>@{host}"}, 403, headers=CORS)
        return JSONResponse({"token": self.sign(identity, contents)}, headers=CORS)

    async def verify_endpoint(self, request: Request) -> Response:
        token = (await _json_body(request)).get("token")
        claims = self.verify(token) if isinstance(token, str) else None
        if claims is None:
            return JSONResponse({"error": "this IdP did not sign the assertion"}, 400, headers=CORS)
        return JSONResponse(claims, headers=CORS)


def _is_file(path: Path) -> bool:
    """Path.is_file, false also where the name is too long for the file system (ENAMETOOLONG,
    which Path.is_file raises rather than answer)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _page_hostname(request: Request) -> str:
    """This server's host as a page's `location.hostname` names it: an IPv6 address in
    brackets ("[::1]", where Starlette gives "::1")."""
    hostname = request.url.hostname or ""
    return f"[{hostname}]" if ":" in hostname else hostname


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def routes(pages_dir: Path) -> list[Route]:
    """IdP proxy scripts (<pages_dir>/.well-known/idp-proxy/<protocol>.js) and the demo IdP."""
    proxies = pages_dir / ".well-known" / "idp-proxy"
    demo = DemoIdp()

    async def idp_proxy(request: Request) -> Response:
        name = request.path_params["protocol"]
        # <protocol>.js, or a file named exactly as asked: a page tree's IdP may keep its proxy
        # without the extension, and its own "<protocol>.js" URL must not be shadowed.
        scripts = [proxies / f"{name}.js", proxies / name] if PROXY_NAME.fullmatch(name) else []
        script = next((script for script in scripts if _is_file(script)), None)
        # CORS lets an IdP realm in another origin tell a missing script from a bad one.
        if script is None:
            return Response("no such IdP protocol", 404, headers=CORS)
        return FileResponse(script, media_type="text/javascript", headers={"Cache-Control": "no-cache", **CORS})

    return [
        Route("/.well-known/idp-proxy/{protocol}", idp_proxy),
        Route("/idp/rtcshim-demo/sign", demo.sign_endpoint, methods=["POST"]),
        Route("/idp/rtcshim-demo/verify", demo.verify_endpoint, methods=["POST"]),
    ]
