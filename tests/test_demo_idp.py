"""The demo IdP's server half, in process: it signs only for its own host's users and
verifies only what it signed."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from rtcshim.app import create_app


def test_demo_idp_signs_its_users_and_verifies_its_tokens() -> None:
    client = TestClient(create_app(), base_url="http://idp.test")
    signed = client.post("/idp/rtcshim-demo/sign", content=json.dumps({"identity": "alice@idp.test", "contents": "c"}))
    assert signed.status_code == 200
    token = signed.json()["token"]
    verified = client.post("/idp/rtcshim-demo/verify", content=json.dumps({"token": token}))
    assert verified.json() == {"identity": "alice@idp.test", "contents": "c"}
    assert verified.headers["access-control-allow-origin"] == "*"
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.post("/idp/rtcshim-demo/verify", content=json.dumps({"token": tampered})).status_code == 400
    assert client.post("/idp/rtcshim-demo/verify", content="not json").status_code == 400
    foreign = {"identity": "alice@elsewhere", "contents": "c"}
    assert client.post("/idp/rtcshim-demo/sign", content=json.dumps(foreign)).status_code == 403
    assert client.post("/idp/rtcshim-demo/sign", content=json.dumps({"identity": 1})).status_code == 400


def test_demo_idp_on_an_ipv6_host_signs_its_users_as_pages_name_them() -> None:
    """A page at http://[::1]:8000 names its users "<user>@[::1]" (location.hostname)."""
    client = TestClient(create_app(), base_url="http://[::1]:8000")

    def sign(identity: str) -> int:
        body = json.dumps({"identity": identity, "contents": "c"})
        return client.post("/idp/rtcshim-demo/sign", content=body).status_code

    assert (sign("alice@[::1]"), sign("alice@::1")) == (200, 403)


def test_idp_proxy_scripts_are_served_as_javascript() -> None:
    client = TestClient(create_app())
    proxy = client.get("/.well-known/idp-proxy/rtcshim-demo")
    assert proxy.status_code == 200
    assert proxy.headers["content-type"].startswith("text/javascript")
    assert "rtcIdentityProvider.register" in proxy.text
    assert client.get("/.well-known/idp-proxy/nope").status_code == 404
    assert client.get("/.well-known/idp-proxy/..").status_code == 404
