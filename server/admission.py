"""Who may open a WebSocket (the bridge, the relay): the origin policy and the shared token.

A refused handshake is accepted, then closed with 1008 and a reason the page can show:
closing before accepting makes uvicorn answer HTTP 403, and a browser tells the page
nothing but code 1006. Nothing is created for a refused socket (no Session, no room
member); one warning line names the origin, never the token.

The token (`--token`, RTCSHIM_TOKEN) travels as a WebSocket subprotocol,
`rtcshim-token.<token>`, offered beside `rtcshim` (which the server selects, so the token
is never echoed): a header is in no access log line and no URL (uvicorn logs the path with
its query), and it is checked before anything exists, with no change to the protocol.
With a token, a handshake without an Origin header (no browser omits it: a program) needs
the token only; one with an Origin needs both. docs/security/origins.md says why, and
when the server hands its token to the pages it serves.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.websockets import WebSocket

from .origins import OriginPolicy, is_loopback_host, normalise_origin, own_origin

logger = logging.getLogger(__name__)

SUBPROTOCOL = "rtcshim"
TOKEN_SUBPROTOCOL_PREFIX = "rtcshim-token."
# What a subprotocol may carry untouched (RFC 6455 tokens), and a page's URL too.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]+")
POLICY_VIOLATION = 1008
# RFC 6455: a close frame's reason is at most 123 bytes of UTF-8.
MAX_CLOSE_REASON = 123


def check_token(token: str) -> str:
    """`token` if a subprotocol can carry it; ValueError otherwise."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise ValueError("a token is one or more of A-Z a-z 0-9 . _ ~ - (secrets.token_urlsafe() makes one)")
    return token


def close_reason(*choices: str) -> str:
    """The first of `choices` that fits a close frame; the last one cut to fit otherwise."""
    for choice in choices:
        if len(choice.encode()) <= MAX_CLOSE_REASON:
            return choice
    return choices[-1].encode()[:MAX_CLOSE_REASON].decode(errors="ignore")


@dataclass(frozen=True)
class Admission:
    """`policy`: the origins a page may be of; `token`: what every socket must carry, if any."""

    policy: OriginPolicy = field(default_factory=OriginPolicy)
    token: str | None = None

    async def admit(self, websocket: WebSocket) -> bool:
        """Accept the handshake; if it is refused, close it with the reason and say False."""
        offered = websocket.scope.get("subprotocols", [])
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        origin = websocket.headers.get("origin")
        refusal = self.refusal(origin, own_origin(websocket.url.scheme, websocket.headers.get("host")), offered)
        if refusal is None:
            return True
        logger.warning("refused a WebSocket to %s from origin %s: %s", websocket.url.path, origin, refusal)
        await websocket.close(POLICY_VIOLATION, refusal)
        return False

    def refusal(self, origin: str | None, own: str | None, subprotocols: list[str]) -> str | None:
        """Why a handshake from `origin` with `subprotocols` is refused; None if it is not."""
        if self.token is not None:
            given = next((offered[len(TOKEN_SUBPROTOCOL_PREFIX):] for offered in subprotocols
                          if offered.startswith(TOKEN_SUBPROTOCOL_PREFIX)), None)
            if given is None:
                return close_reason("this rtcshim server needs its token: set rtcshimOptions.token")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return close_reason("the token is not this rtcshim server's: check rtcshimOptions.token")
            if origin is None:
                return None  # a program, not a page: the token is its credential
        if self.policy.allows(origin, own):
            return None
        if origin is None:
            return close_reason("no Origin header: this rtcshim server accepts pages of allowed origins "
                                "(a program sends Origin, or the server's token)")
        try:
            shown = normalise_origin(origin)
        except ValueError:
            return close_reason(f"origin {origin} is malformed", "the origin is malformed")
        return close_reason(
            f"origin {shown} is not allowed: start rtcshim with --allowed-origin {shown}",
            f"this origin is not allowed: start rtcshim with --allowed-origin {shown}",
            "this page's origin is not allowed: start rtcshim with --allowed-origin and the page's origin",
        )

    def token_for_page(self, request: Request) -> str | None:
        """The token to build into /shim.js for this request, or None: only for a script
        that a page of this server's own origin loads (Sec-Fetch-Site, which no page can
        set), in a browser on this machine (a loopback client), under a Host that is no
        rebound name."""
        if self.token is None or request.headers.get("sec-fetch-site") != "same-origin":
            return None
        if request.client is None or not is_loopback_host(request.client.host):
            return None
        own = own_origin(request.url.scheme, request.headers.get("host"))
        return self.token if own is not None and self.policy.allows(own, own) else None
