"""A reverse proxy in front: requests it passes on are from beyond this machine, and only the
proxies the admin names are believed about who the client is. Real HTTP through the app."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import httpx
import pytest
from starlette.datastructures import Headers

from smartalbum.catalog import open_engine, session_factory
from smartalbum.errors import ConfigError
from smartalbum.hosts import networks
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from smartalbum.web import create_app
from smartalbum.web.proxies import forwarded_client, forwarded_scheme
from tests.helpers import LiveServer, assert_error

PASSWORD = "correct horse battery"
# What each proxy sends (nginx as in its docs, Caddy, Traefik, Apache, RFC 7239).
PROXIED = [
    {"X-Forwarded-For": "203.0.113.7"},
    {"Forwarded": 'for="[2001:db8::7]:4711";proto=https'},
    {"X-Real-IP": "203.0.113.7"},
    {"X-Forwarded-Host": "photos.example.lan"},
    {"X-Forwarded-Proto": "https"},
    {"Via": "1.1 caddy"},
]
# This test's own list of what anyone may call (not the product's, so it cannot agree with
# a mistake there): health, sign-in, and a share link's routes, whose token is the credential.
ANYONE = {
    ("GET", "/api/health"),
    ("POST", "/api/login"),
    ("GET", "/api/shared/{token}"),
    ("POST", "/api/shared/{token}/unlock"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/thumbnail"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/original"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/motion"),
    # A link's guests upload with the link's token as their key (403 where it takes none).
    ("OPTIONS", "/api/shared/{token}/uploads"),
    ("POST", "/api/shared/{token}/uploads/check"),
    ("POST", "/api/shared/{token}/uploads"),
    ("GET", "/api/shared/{token}/uploads"),
    ("HEAD", "/api/shared/{token}/uploads/{upload_id}"),
    ("PATCH", "/api/shared/{token}/uploads/{upload_id}"),
    ("GET", "/api/shared/{token}/uploads/{upload_id}"),
    ("DELETE", "/api/shared/{token}/uploads/{upload_id}"),
    ("GET", "/api/shared/{token}/download"),  # a link's ZIP, when its sharer allows it
}


def operations(client: httpx.Client) -> list[tuple[str, str]]:
    """(method, path template) of every operation in the served schema."""
    schema = client.get("/openapi.json").json()
    return [(m.upper(), p) for p, ops in schema["paths"].items() for m in ops]


def concrete(path: str) -> str:
    """A route's template with its parameters filled in so that it is routed (an upload's
    id is 32 hex digits: anything else is no route at all, a 404 before any gate)."""
    return re.sub(r"\{[^}]+\}", "1", path.replace("{upload_id}", "0" * 32))


def imports_logged(client: httpx.Client) -> list[dict[str, object]]:
    rows = client.get("/api/activity").json()["activity"]
    return [row for row in rows if row["action"] == "import"]


def test_a_proxied_request_to_a_server_without_accounts_is_told_to_make_an_admin(
    library_settings: Settings, samples: Path
) -> None:
    with LiveServer(library_settings) as url, httpx.Client(base_url=url, timeout=60) as c:
        ops = operations(c)
        assert len(ops) >= 30 and ("POST", "/api/index") in ops
        for headers in PROXIED:
            for method, path in ops:
                answer = c.request(method, concrete(path), headers=headers)
                if (method, path) in ANYONE:
                    assert answer.status_code not in (401, 403), (method, path)
                    continue
                if method == "HEAD":  # no body to carry the explanation
                    assert answer.status_code == 403, path
                    continue
                error = assert_error(answer, 403, "admin_required")
                assert "smartalbum users add NAME --role admin" in error["message"], path
            assert c.get("/api/health", headers=headers).status_code == 200
            assert c.get("/login", headers=headers).status_code == 200
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        imported = c.post("/api/index", json={"folders": [str(samples)]}, headers=forwarded)
        assert_error(imported, 403, "admin_required")
        zh = c.get("/api/albums", headers={**forwarded, "Accept-Language": "zh"})
        assert "创建管理员" in assert_error(zh, 403, "admin_required")["message"]
        # The one person at this machine, on the same server, is served as before.
        assert c.get("/api/me").json() == {"name": "local", "role": "admin", "sign_in": False}
        assert c.get("/api/albums").status_code == 200
        assert imports_logged(c) == []  # the refused import was never queued


def test_a_browser_through_a_proxy_gets_a_page_in_both_languages(
    library_settings: Settings,
) -> None:
    with LiveServer(library_settings) as url, httpx.Client(base_url=url, timeout=60) as c:
        for page in ("/", "/gallery"):
            answer = c.get(page, headers={"X-Forwarded-For": "203.0.113.7"})
            assert answer.status_code == 403 and answer.headers["content-type"].startswith(
                "text/html"
            )
            assert "smartalbum users add NAME --role admin" in answer.text
            assert "创建管理员" in answer.text and "reverse proxy" in answer.text
            assert "default-src 'self'" in answer.headers["content-security-policy"]
            assert c.get(page).status_code == 200  # from this machine: the page itself


def test_a_request_from_another_address_is_from_beyond(settings: Settings) -> None:
    app = create_app(settings)  # the gate answers before the model is needed

    async def me(client: tuple[str, int]) -> int:
        transport = httpx.ASGITransport(app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return (await c.get("/api/me")).status_code

    assert asyncio.run(me(("192.168.1.20", 5000))) == 403
    assert asyncio.run(me(("127.0.0.1", 5000))) == 200


# The Host headers a browser on this machine sends for a server on loopback, and those a page
# elsewhere sends once its own name resolves to 127.0.0.1 (DNS rebinding).
THIS_MACHINE = ["localhost", "localhost:8000", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:8000",
                "127.4.5.6:80", "[::1]", "[::1]:8000"]  # fmt: skip
ELSEWHERE = ["evil.example", "evil.example:8000", "127.0.0.1.evil.example:8000",
             "localhost.evil.example", "192.168.1.20:8000", "[::2]:8000"]  # fmt: skip


def test_a_page_whose_name_points_here_reads_nothing(settings: Settings) -> None:
    app = create_app(settings)  # loopback, no accounts: the one person at this machine

    async def get(host: str, path: str = "/api/me", lang: str = "en") -> httpx.Response:
        transport = httpx.ASGITransport(app, client=("127.0.0.1", 5000))  # from this machine
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get(path, headers={"Host": host, "Accept-Language": lang})

    for host in THIS_MACHINE:
        assert asyncio.run(get(host)).status_code == 200, host
    for host in ELSEWHERE:
        error = assert_error(asyncio.run(get(host)), 403, "untrusted_host")
        assert host in error["message"] and "DNS rebinding" in error["message"], host
    chinese = assert_error(asyncio.run(get("evil.example", lang="zh-CN")), 403, "untrusted_host")
    assert "DNS 重绑定" in chinese["message"]
    page = asyncio.run(get("evil.example:8000", "/gallery"))
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "DNS rebinding" in page.text and "DNS 重绑定" in page.text  # both languages
    assert asyncio.run(get("evil.example", "/api/health")).status_code == 200  # public anyway


@pytest.fixture
def admin_library(library_settings: Settings) -> tuple[Settings, dict[str, str]]:
    """The library with an admin, and the headers of a script with the admin's token."""
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("root", "admin", PASSWORD)
    token = accounts.create_token("root", read_only=False, lifetime=None)
    return library_settings, {"Authorization": f"Bearer {token}"}


def sign_in(c: httpx.Client, client: str, password: str = PASSWORD) -> httpx.Response:
    # The proxy's X-Forwarded-For: what the client claimed, then the address it saw.
    forwarded = {"X-Forwarded-For": f"6.6.6.6, {client}", "X-Forwarded-Proto": "https"}
    return c.post("/api/login", json={"name": "root", "password": password}, headers=forwarded)


def test_behind_a_trusted_proxy_the_forwarded_address_is_logged_and_throttled(
    admin_library: tuple[Settings, dict[str, str]],
) -> None:
    settings, admin = admin_library
    behind = dataclasses.replace(settings, trusted_proxies="127.0.0.1,::1")
    with LiveServer(behind) as url, httpx.Client(base_url=url, timeout=60) as c:
        assert_error(c.get("/api/albums"), 401, "unauthorized")  # everyone signs in here
        signed = sign_in(c, "198.51.100.9")
        assert signed.status_code == 200, signed.text
        assert "secure" in signed.headers["set-cookie"].lower()  # the client's https, believed
        (row,) = c.get("/api/activity", headers=admin).json()["activity"]
        assert (row["user"], row["action"], row["subject"]) == ("root", "sign_in", "198.51.100.9")
        for _ in range(5):
            assert sign_in(c, "198.51.100.66", "wrong password").status_code == 401
        assert_error(sign_in(c, "198.51.100.66"), 429, "too_many_attempts")
        assert sign_in(c, "198.51.100.9").status_code == 200  # another client, same proxy


def test_an_untrusted_proxy_is_not_believed_about_the_client(
    admin_library: tuple[Settings, dict[str, str]],
) -> None:
    settings, _ = admin_library
    elsewhere = dataclasses.replace(settings, trusted_proxies="10.0.0.0/8")
    with LiveServer(elsewhere) as url, httpx.Client(base_url=url, timeout=60) as c:
        signed = sign_in(c, "198.51.100.9")
        assert signed.status_code == 200 and "secure" not in signed.headers["set-cookie"].lower()
        (row,) = c.get("/api/activity").json()["activity"]
        assert row["subject"] == "127.0.0.1"  # the peer itself
        (session,) = c.get("/api/me/sessions").json()["sessions"]
        assert session["address"] == "127.0.0.1"


def test_the_client_is_the_first_address_before_the_trusted_proxies() -> None:
    trusted = networks("127.0.0.1, 10.0.0.0/8")
    said = Headers({"x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.1.2.3"})
    assert forwarded_client("127.0.0.1", said, trusted) == "203.0.113.7"
    assert forwarded_client("127.0.0.1", said, networks("127.0.0.1")) == "10.1.2.3"
    rfc = Headers({"forwarded": 'for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"'})
    assert forwarded_client("127.0.0.1", rfc, trusted) == "2001:db8::1"
    assert forwarded_client("127.0.0.1", Headers({"x-real-ip": "192.0.2.5"}), trusted) == (
        "192.0.2.5"
    )
    assert forwarded_client("127.0.0.1", Headers({}), trusted) == "127.0.0.1"
    assert forwarded_scheme(Headers({"x-forwarded-proto": "http, https"})) == "https"
    assert forwarded_scheme(Headers({"forwarded": "for=1.2.3.4;proto=https"})) == "https"
    assert forwarded_scheme(Headers({})) is None


@pytest.mark.parametrize("bad", ["photos.example.lan", "10.0.0.0/33", "127.0.0.1,,nope"])
def test_a_trusted_proxy_that_is_no_address_is_refused_at_start_up(bad: str) -> None:
    with pytest.raises(ConfigError, match="trusted_proxies") as caught:
        Settings.from_env({"SMARTALBUM_TRUSTED_PROXIES": bad})
    assert caught.value.render("zh").startswith("设置 trusted_proxies：")


def test_the_retired_proxy_headers_setting_says_what_replaced_it() -> None:
    with pytest.raises(ConfigError, match="SMARTALBUM_TRUSTED_PROXIES=127.0.0.1"):
        Settings.from_env({"SMARTALBUM_PROXY_HEADERS": "1"})
    assert Settings.from_env({"SMARTALBUM_TRUSTED_PROXIES": "::1"}).serves_beyond_this_machine
    assert Settings.from_env({"SMARTALBUM_PUBLIC": "yes"}).serves_beyond_this_machine
    assert not Settings.from_env({}).serves_beyond_this_machine
