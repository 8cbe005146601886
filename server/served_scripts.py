"""A script with the server's token built in, for the server's own pages: /shim.js, and
the inspector's script.

Each script holds the line `const servedToken = null;`. A request that Admission says is a
page of this server's own origin in a browser on this machine (`token_for_page`) gets a
copy with the token there instead; every other request gets the file as it is, with no
token (docs/security/origins.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from .admission import Admission

SERVED_TOKEN_LINE = "const servedToken = null;"


async def script_for(path: Path, admission: Admission, request: Request) -> Response:
    # Which copy a request gets depends on Sec-Fetch-Site (Admission.token_for_page).
    token = admission.token_for_page(request)
    if token is None:
        return FileResponse(path, media_type="text/javascript",
                            headers={"Cache-Control": "no-cache", "Vary": "Sec-Fetch-Site"})
    source = await anyio.to_thread.run_sync(path.read_text, "utf-8")
    return Response(source.replace(SERVED_TOKEN_LINE, f"const servedToken = {json.dumps(token)};", 1),
                    media_type="text/javascript", headers={"Cache-Control": "no-store", "Vary": "Sec-Fetch-Site"})
