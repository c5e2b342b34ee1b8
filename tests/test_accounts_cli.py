"""The account commands and serving beyond loopback or over HTTPS, as real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smartalbum.settings import Settings


def smartalbum(
    *args: str, library: Path, stdin: str = "", settings: Settings | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(library)}
    if settings is not None:
        env["SMARTALBUM_CACHE_DIR"] = str(settings.cache_dir)
    return subprocess.run(
        [sys.executable, "-m", "smartalbum", *args],
        input=stdin, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def test_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    added = smartalbum("users", "add", "ann", "--role", "viewer", library=library,
                       stdin="a long enough password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    short = smartalbum("users", "add", "bob", "--role", "admin", library=library, stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    listed = json.loads(smartalbum("users", "list", "--json", library=library).stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("ann", "viewer")]
    token = smartalbum("tokens", "create", "--user", "ann", "--read-only", "--expires", "90d",
                       library=library).stdout.strip()  # fmt: skip
    assert token.startswith("sa_") and len(token) > 40
    tokens = smartalbum("tokens", "list", "--json", library=library).stdout
    assert token not in tokens  # the secret is shown once, never listed
    (row,) = json.loads(tokens)
    assert row["read_only"] is True and row["expires_at"] > time.time() + 89 * 86400
    assert smartalbum("tokens", "revoke", str(row["id"]), library=library).returncode == 0
    assert json.loads(smartalbum("tokens", "list", "--json", library=library).stdout) == []
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.accounts import Accounts

    accounts = Accounts(session_factory(open_engine(library)))
    user = accounts.verify("ann", "a long enough password")
    assert user is not None
    accounts.open_session(user, "192.0.2.7")
    (seen,) = json.loads(smartalbum("users", "sessions", "ann", "--json", library=library).stdout)
    assert seen["address"] == "192.0.2.7" and len(seen["id"]) == 16
    ended = smartalbum("users", "signout", "ann", "--session", seen["id"], library=library)
    assert ended.returncode == 0 and "ended 1 session" in ended.stderr
    assert (
        json.loads(smartalbum("users", "sessions", "ann", "--json", library=library).stdout) == []
    )
    assert smartalbum("users", "remove", "ann", library=library).returncode == 0


@pytest.mark.parametrize(
    "where",
    [
        ["--host", "0.0.0.0", "--public"],
        ["--public"],  # on loopback: --public still says others reach it
        ["--trusted-proxies", "127.0.0.1"],  # behind a proxy on this machine
    ],
)
def test_serve_public_refuses_until_an_admin_exists(tmp_path: Path, where: list[str]) -> None:
    library = tmp_path / "library.db"
    refused = smartalbum("serve", "--port", "8765", *where, library=library)
    assert refused.returncode == 2 and "users add NAME --role admin" in refused.stderr
    assert "Traceback" not in refused.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_https_serves_secure_session_cookies(tmp_path: Path, settings: Settings) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    library = tmp_path / "library.db"
    added = smartalbum("users", "add", "mia", "--role", "editor", library=library,
                       stdin="a long enough password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    port = free_port()
    env = {**os.environ, "SMARTALBUM_LIBRARY": str(library), "SMARTALBUM_ENGINE": "onnx",
           "SMARTALBUM_CACHE_DIR": str(settings.cache_dir)}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "smartalbum", "serve", "--port", str(port),
         "--certfile", str(cert), "--keyfile", str(key)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=False, timeout=30) as c:
            for _ in range(300):
                try:
                    if c.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert c.get("/api/albums").status_code == 401  # an account exists: sign in
            signed = c.post(
                "/api/login", json={"name": "mia", "password": "a long enough password"}
            )
            assert signed.status_code == 200
            cookies = signed.headers.get_list("set-cookie")
            session = next(v for v in cookies if v.startswith("smartalbum_session="))
            assert "Secure" in session and "HttpOnly" in session and "SameSite=lax" in session
            assert c.get("/api/me").json()["name"] == "mia"
    finally:
        server.terminate()
        server.communicate(timeout=30)  # its stderr pipe closed too
