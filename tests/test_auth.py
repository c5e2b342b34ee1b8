"""Accounts, sign-in and roles through real HTTP, on a server configured to listen beyond loopback.

The test server still binds 127.0.0.1; its settings say 0.0.0.0, which is what makes sign-in
required. Accounts are made through the same Accounts the CLI uses, in the server's catalog.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from smartalbum.catalog import ApiToken, open_engine, session_factory
from smartalbum.errors import TooManyAttemptsError
from smartalbum.library.accounts import Accounts, digest
from smartalbum.settings import Settings
from smartalbum.web.auth import Gate
from smartalbum.web.library_routes import LibraryHolder
from tests.helpers import LiveServer, assert_error
from tests.route_roles import ADMIN, EDITOR, EXPECTED_ROLE, PUBLIC, RANK, VIEWER

PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    accounts: Accounts
    tokens: dict[str, str]  # role -> a full token of that role's user
    imports: Path  # the server's one import root (empty)


@pytest.fixture
def server(library_settings: Settings, tmp_path: Path) -> Iterator[Server]:
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    tokens = {}
    for role in ("admin", "editor", "viewer"):
        accounts.add(role, role, PASSWORD)
        tokens[role] = accounts.create_token(role, read_only=False, lifetime=None)
    imports = tmp_path / "imports"
    imports.mkdir()
    public = dataclasses.replace(library_settings, host="0.0.0.0", import_roots=str(imports))
    with LiveServer(public) as url:
        yield Server(url, accounts, tokens, imports)


def operations(client: httpx.Client) -> list[tuple[str, str]]:
    """(method, path template) of every operation the served schema has."""
    schema = client.get("/openapi.json").json()
    return [(m.upper(), p) for p, ops in schema["paths"].items() for m in ops]


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """An operation with made-up ids and an empty body: the gate answers before validation."""
    url = path.format(
        photo_id="1", album_id="pets", moment_id="m1", job_id="0" * 32, link_id="1",
        token="sh_" + "0" * 32, session_id="0" * 16, category_id="1", upload_id="0" * 32,
        person_id="1", face_id="1",
    )  # fmt: skip
    return client.request(method, url, **kwargs)


def refused(response: httpx.Response, status: int, code: str) -> None:
    """The error, in the one shape (an answer to HEAD has the status and no body)."""
    if response.request.method == "HEAD":
        assert response.status_code == status and not response.content
    else:
        assert_error(response, status, code)


def test_every_operation_is_in_the_tests_own_table_of_roles(server: Server) -> None:
    """A new operation fails here until someone writes down who may call it."""
    with httpx.Client(base_url=server.url, timeout=60) as c:
        ops = set(operations(c))
    assert len(ops) >= 18
    assert sorted(ops - set(EXPECTED_ROLE)) == [], "new operations: add them to route_roles.py"
    assert sorted(set(EXPECTED_ROLE) - ops) == [], "gone: take them out of route_roles.py"


def test_every_operation_needs_a_sign_in_and_the_right_role(server: Server) -> None:
    """Each role is refused exactly the operations above it (tests/route_roles.py), whatever
    the method: a GET an admin alone may make is refused to editors and viewers too."""
    tokens = {role: {"Authorization": f"Bearer {server.tokens[role]}"} for role in server.tokens}
    with httpx.Client(base_url=server.url, timeout=60) as c:
        ops = [op for op in operations(c) if op in EXPECTED_ROLE]
        assert len(ops) >= 18
        for method, path in ops:
            needed = RANK[EXPECTED_ROLE[method, path]]
            anonymous = call(c, method, path)
            if needed == RANK[PUBLIC]:
                assert anonymous.status_code not in (401, 403), (method, path)
            else:
                refused(anonymous, 401, "unauthorized")
            for role in (VIEWER, EDITOR):
                answer = call(c, method, path, headers=tokens[role])
                if RANK[role] < needed:
                    refused(answer, 403, "forbidden")
                else:
                    assert answer.status_code not in (401, 403), (role, method, path, answer.text)
            status = call(c, method, path, headers=tokens[ADMIN]).status_code
            assert status not in (401, 403), (method, path, status)


def test_the_schema_declares_both_ways_to_sign_in(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        schema = c.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"token", "session"}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if EXPECTED_ROLE[method.upper(), path] == PUBLIC:
                assert op["security"] == [], path
            else:
                assert op["security"] and {"401", "403"} <= set(op["responses"]), (method, path)


def test_pages_send_a_stranger_to_the_sign_in_page(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for page in ("/", "/gallery"):
            answer = c.get(page)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        login = c.get("/login")
        assert login.status_code == 200 and "login.js" in login.text
        assert c.get("/api/health").status_code == 200
        icon = c.get("/favicon.ico")  # a browser asks for it on every page, signed in or not
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/api/login", json={"name": name, "password": password})


def test_a_cookie_change_needs_its_csrf_token_and_this_origin(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert sign_in(c, "editor").status_code == 200
        csrf = c.cookies["smartalbum_csrf"]
        photo = c.get("/api/search", params={"q": "cat"}).json()["photos"][0]["id"]
        before = c.get(f"/api/photos/{photo}").json()["corrections"]
        body = {"action": "set", "wnid": "daisy"}
        where = f"/api/photos/{photo}/labels"
        assert_error(c.post(where, json=body), 403, "forbidden")  # no token
        assert_error(c.post(where, json=body, headers={"X-CSRF-Token": "x" * 43}), 403, "forbidden")
        foreign = {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        assert_error(c.post(where, json=body, headers=foreign), 403, "forbidden")
        assert c.get(f"/api/photos/{photo}").json()["corrections"] == before  # nothing changed
        same = {"X-CSRF-Token": csrf, "Origin": server.url}
        done = c.post(where, json=body, headers=same)
        assert done.status_code == 200
        assert [(x["action"], x["by"]) for x in done.json()["corrections"]] == [("set", "editor")]
        # An editor may correct, but not import, however it asks.
        imported = c.post("/api/index", json={"folders": ["/tmp"]}, headers=same)
        assert_error(imported, 403, "forbidden")


def test_an_account_lists_its_sessions_and_signs_one_browser_out(server: Server) -> None:
    with (
        httpx.Client(base_url=server.url, timeout=60) as laptop,
        httpx.Client(base_url=server.url, timeout=60) as phone,
    ):
        for browser in (laptop, phone):
            assert sign_in(browser, "editor").status_code == 200
        listed = laptop.get("/api/me/sessions").json()["sessions"]
        assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
        assert {s["address"] for s in listed} == {"127.0.0.1"}
        other = next(s["id"] for s in listed if not s["current"])
        same = {"X-CSRF-Token": laptop.cookies["smartalbum_csrf"], "Origin": server.url}
        assert_error(laptop.delete(f"/api/me/sessions/{other}"), 403, "forbidden")  # no CSRF
        assert laptop.delete(f"/api/me/sessions/{other}", headers=same).json() == {"ended": 1}
        assert_error(phone.get("/api/me"), 401, "unauthorized")  # the phone is signed out
        assert laptop.get("/api/me").json()["name"] == "editor"
        assert_error(laptop.delete(f"/api/me/sessions/{other}", headers=same), 404, "not_found")
        # What `smartalbum users sessions / signout` call: an admin's way to end them all.
        assert [s["id"] for s in server.accounts.sessions_of("editor")] != []
        assert server.accounts.end_sessions("editor") == 1
        assert_error(laptop.get("/api/me"), 401, "unauthorized")


def test_an_admin_import_by_cookie_needs_the_csrf_token(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert sign_in(c, "admin").status_code == 200
        assert_error(c.post("/api/index", json={"folders": ["/tmp"]}), 403, "forbidden")
    admin = {"Authorization": f"Bearer {server.tokens['admin']}"}
    with httpx.Client(base_url=server.url, timeout=60, headers=admin) as c:
        job = c.post("/api/index", json={"folders": [str(server.imports)]})
        assert job.status_code == 202 and job.json()["by"] == "admin"  # who started it


def test_sign_out_ends_the_session_on_the_server(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        signed = sign_in(c, "viewer").json()
        assert signed["role"] == "viewer" and c.get("/api/me").json()["name"] == "viewer"
        cookie = c.cookies["smartalbum_session"]
        out = c.post("/api/logout", headers={"X-CSRF-Token": signed["csrf"]})
        assert out.status_code == 200
    with httpx.Client(base_url=server.url, timeout=60) as again:
        again.cookies.set("smartalbum_session", cookie)  # the old cookie, kept by an attacker
        assert_error(again.get("/api/me"), 401, "unauthorized")


def expire(accounts: Accounts, token: str, at: float) -> None:
    """Set when a token expires, as the passing of time would (no sleeping, no race)."""
    with accounts.sessions.begin() as session:
        mine = ApiToken.digest == digest(token)
        session.execute(update(ApiToken).where(mine).values(expires_at=at))


def test_revoked_and_expired_tokens_sign_nobody_in(server: Server) -> None:
    short = server.accounts.create_token("viewer", read_only=False, lifetime=3600)
    with httpx.Client(base_url=server.url, timeout=60) as c:
        me = {"Authorization": f"Bearer {short}"}
        expire(server.accounts, short, time.time() + 60)  # a minute left: still good
        assert c.get("/api/me", headers=me).status_code == 200
        expire(server.accounts, short, time.time() - 1)  # a second ago: gone
        assert_error(c.get("/api/me", headers=me), 401, "unauthorized")
        token = server.tokens["editor"]
        before = time.time()
        assert c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        (listed,) = [t for t in server.accounts.tokens() if t["user"] == "editor"]
        assert before - 1 <= listed["used_at"] <= time.time()  # its use was recorded
        server.accounts.revoke_token(listed["id"])
        assert_error(
            c.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized"
        )
        read_only = server.accounts.create_token("admin", read_only=True, lifetime=None)
        me = c.get("/api/me", headers={"Authorization": f"Bearer {read_only}"}).json()
        assert me["role"] == "viewer"  # a read-only token of an admin


def test_failed_sign_ins_are_throttled_per_address_and_account(server: Server) -> None:
    other = httpx.HTTPTransport(local_address="127.0.0.2")  # another client address
    with httpx.Client(base_url=server.url, timeout=60) as c:
        statuses = [sign_in(c, "editor", "wrong password").status_code for _ in range(20)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 15
        refused = sign_in(c, "editor")  # even the right password, from this address
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert refused.json()["error"]["code"] == "too_many_attempts"
    with httpx.Client(base_url=server.url, timeout=60, transport=other) as c:
        assert sign_in(c, "editor").status_code == 200  # the right password from elsewhere


def test_a_guesser_who_keeps_on_waits_longer_each_time(settings: Settings) -> None:
    gate = Gate(settings, LibraryHolder(settings))
    waits, failures = [], 0
    for total in (5, 10, 20, 40):
        while failures < total:
            gate.failed("mimi", "10.0.0.9")
            failures += 1
        with pytest.raises(TooManyAttemptsError) as refused:
            gate.throttle("mimi", "10.0.0.9")
        waits.append(int(refused.value.headers["Retry-After"]))
    # 15 minutes, then an hour, four hours, a day (a second or two of slack each).
    assert [round(w / 60) for w in waits] == [15, 60, 240, 1440], waits
    gate.throttle("mimi", "10.0.0.10")  # another address is not held back by this one


def test_behind_a_trusted_proxy_a_server_without_accounts_shows_nothing(
    library_settings: Settings,
) -> None:
    proxied = dataclasses.replace(library_settings, trusted_proxies="127.0.0.1")  # on loopback
    with LiveServer(proxied) as url, httpx.Client(base_url=url, timeout=60) as c:
        assert_error(c.get("/api/albums"), 403, "admin_required")
        assert_error(c.post("/api/index", json={"folders": ["/tmp"]}), 403, "admin_required")
