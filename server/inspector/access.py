"""Who may see the inspector's data (every page's SDP, candidates and traffic): whoever may
open the bridge. The feed is a WebSocket admitted as the bridge is (server/admission.py:
the origin policy, and the token as a subprotocol); the export is a GET that passes the
same checks: the token as `Authorization: Bearer <token>`, a Host that is no rebound name,
and an Origin (when the request has one) the policy allows. The page and its script hold
no data: they are served to anyone, the script with the token built in under the same
conditions as /shim.js (Admission.token_for_page)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from ..admission import Admission
from ..origins import own_origin

BEARER = "bearer "
CROSS_SITE = ("cross-site", "same-site")  # Sec-Fetch-Site values of another origin's request


def export_refusal(admission: Admission, request: Request) -> str | None:
    """Why this request may not have the export; None if it may."""
    if admission.token is not None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith(BEARER):
            return "this rtcshim server needs its token: send Authorization: Bearer <token>"
        if not hmac.compare_digest(header[len(BEARER):].strip().encode(), admission.token.encode()):
            return "the token is not this rtcshim server's"
    own = own_origin(request.url.scheme, request.headers.get("host"))
    if not admission.policy.allows(own, own):
        return "this Host is not this server's own name (start rtcshim with --allowed-origin for it)"
    origin = request.headers.get("origin")
    if origin is not None:
        return None if admission.policy.allows(origin, own) else f"origin {origin} is not allowed"
    if request.headers.get("sec-fetch-site") in CROSS_SITE:
        return "a request from another site is not allowed"
    return None
