"""The served OpenAPI schema tells the truth: errors documented, 405s with Allow, answers in
the reader's language, and a bounded schemathesis run finds nothing against real photos."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from smartalbum.web import create_app
from tests.helpers import CAT, REPO, SAMPLES, LiveServer, assert_error

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_STATUSES = {
    "400", "401", "403", "404", "429", "409", "412", "413", "415", "422", "500", "503"
}  # fmt: skip


@pytest.fixture(scope="module")
def schema(live_url: str) -> dict[str, Any]:
    """The schema as the server serves it."""
    response = httpx.get(f"{live_url}/openapi.json", timeout=60)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the schema."""
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_the_error_model_is_the_one_error_shape(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    error, detail = components["Error"], components["ErrorDetail"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert sorted(detail["required"]) == ["code", "message"]
    assert {k: v["type"] for k, v in detail["properties"].items()} == {
        "code": "string",
        "message": "string",
    }
    # FastAPI's own validation error model is gone: our handler answers 422s with Error.
    assert "HTTPValidationError" not in components


def test_every_operation_documents_its_errors_with_the_error_model(
    schema: dict[str, Any],
) -> None:
    found = operations(schema)
    assert len(found) >= 18  # the walk really walked the API
    for method, path, operation in found:
        responses = operation["responses"]
        where = f"{method} {path}"
        errors = {status for status in responses if status[0] in "45"}
        assert "500" in errors, where  # any operation can fail unexpectedly
        assert errors <= ERROR_STATUSES, where
        for status in errors:
            content = responses[status]["content"]
            assert content == {"application/json": {"schema": ERROR_REF}}, (where, status)
            assert responses[status]["description"], (where, status)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in errors, where
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in errors, where  # an id that names nothing
        if "/photos/" in path or path.startswith(("/api/albums", "/api/moments")):
            assert "503" in errors, where  # the catalog may be unavailable
    upload = schema["paths"]["/predict"]["post"]["responses"]
    assert {"400", "413", "415", "422", "503"} <= set(upload)


def test_parameter_schemas_say_what_the_server_accepts(
    schema: dict[str, Any], live_url: str
) -> None:
    def parameter(path: str, name: str, method: str = "get") -> dict[str, Any]:
        found = schema["paths"][path][method]["parameters"]
        return next(p["schema"] for p in found if p["name"] == name)

    q = parameter("/api/search", "q")
    # 1000: a 500-character query is an ordinary search (text in photos), not a 422
    assert (q["minLength"], q["maxLength"], q["pattern"]) == (1, 1000, r"\S")
    assert parameter("/api/photos/{photo_id}", "photo_id")["pattern"] == "^[0-9]{1,18}$"
    limit = parameter("/api/moments", "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    assert parameter("/api/moments", "offset")["maximum"] == 2**63 - 1
    correction = schema["components"]["schemas"]["Correction"]["properties"]
    assert correction["action"]["enum"] == ["set", "confirm", "reject", "clear"]
    assert {"n02124075", "Egyptian cat", "埃及猫"} <= set(correction["wnid"]["enum"])
    with httpx.Client(base_url=live_url, timeout=60) as c:
        # What the schema refuses, the server refuses; what it accepts, the server takes.
        assert_error(c.get("/api/search", params={"q": ""}), 422, "invalid_request")
        assert_error(c.get("/api/search", params={"q": " "}), 422, "invalid_request")
        assert c.get("/api/search", params={"q": "发票" * 250}).status_code == 200
        assert_error(c.get("/api/moments", params={"offset": 2**63}), 422, "invalid_request")
        assert c.get("/api/moments", params={"offset": 2**63 - 1}).status_code == 200
        assert_error(c.get("/api/photos/١"), 404, "not_found")  # a digit, but not ASCII
        body = {"folders": ["/no/such/folder\x00", "x" * 5000]}
        assert_error(c.post("/api/index", json=body), 422, "invalid_request")
        assert_error(c.post("/api/index", json={"folders": [""]}), 422, "invalid_request")


def test_links_lead_from_lists_and_new_jobs_to_their_items(schema: dict[str, Any]) -> None:
    ids = {op["operationId"]: (m, p) for m, p, op in operations(schema)}
    index = schema["paths"]["/api/index"]["post"]["responses"]["202"]["links"]
    assert {ids[link["operationId"]] for link in index.values()} == {
        ("GET", "/api/jobs/{job_id}"),
        ("POST", "/api/jobs/{job_id}/cancel"),
    }
    assert all(link["parameters"] == {"job_id": "$response.body#/id"} for link in index.values())
    albums = schema["paths"]["/api/albums"]["get"]["responses"]["200"]["links"]
    assert [ids[link["operationId"]] for link in albums.values()] == [
        ("GET", "/api/albums/{album_id}")
    ]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/predict", "POST"),
        ("DELETE", "/api/albums", "GET"),
        ("PUT", "/api/photos/1", "GET"),
        ("TRACE", "/api/jobs/0123/cancel", "POST"),
        ("POST", "/static/app.js", "GET, HEAD"),
    ],
)
def test_405_names_the_allowed_methods(live_url: str, method: str, path: str, allowed: str) -> None:
    response = httpx.request(method, f"{live_url}{path}", timeout=60)
    error = assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allowed  # RFC 9110 section 15.5.6
    assert method in error["message"]


def test_errors_answer_in_the_language_asked_for_with_the_same_code(live_url: str) -> None:
    broken = ("broken.jpg", (SAMPLES / CAT).read_bytes()[:2000], "image/jpeg")
    answers = {}
    with httpx.Client(base_url=live_url, timeout=60) as c:
        for lang in (None, "zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "en-US,en;q=0.9"):
            headers = {"Accept-Language": lang} if lang else {}
            response = c.post("/predict", files={"file": broken}, headers=headers)
            answers[lang] = assert_error(response, 400, "undecodable_image")["message"]
        english, chinese = answers[None], answers["zh-CN"]
        assert "broken.jpg" in english and "truncated" in english and not CHINESE.search(english)
        assert "broken.jpg" in chinese and CHINESE.search(chinese) and "truncated" not in chinese
        assert answers["zh-CN,zh;q=0.9,en;q=0.8"] == chinese
        assert answers["en-US,en;q=0.9"] == english
        # Every kind of error follows the header: the router's, validation's, the library's.
        zh = {"Accept-Language": "zh"}
        for response, status, code in [
            (c.get("/nowhere", headers=zh), 404, "not_found"),
            (c.get("/api/moments?limit=0", headers=zh), 422, "invalid_request"),
            (c.get("/api/jobs/" + "0" * 32, headers=zh), 404, "not_found"),
            (c.get("/predict", headers=zh), 405, "method_not_allowed"),
        ]:
            assert CHINESE.search(assert_error(response, status, code)["message"]), code
        several = c.post(
            "/predict", files=[("files", broken), ("files", broken)], headers=zh
        ).json()
        assert [r["error"]["message"] for r in several["results"]] == [chinese, chinese]


def test_an_unexpected_error_is_a_logged_500_in_the_one_shape(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    async def get() -> httpx.Response:
        # The framework re-raises after answering (so servers log it too); take the answer.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/boom", headers={"Accept-Language": "zh-CN"})

    with caplog.at_level(logging.ERROR, logger="smartalbum.web.errors"):
        response = asyncio.run(get())
    error = assert_error(response, 500, "error")
    assert CHINESE.search(error["message"]) and "a bug" not in error["message"]
    assert "unexpected error on GET /boom" in caplog.text and "RuntimeError: a bug" in caplog.text


def test_what_a_fuzzer_without_our_hooks_found_is_answered_as_documented(
    library_url: str,
) -> None:
    """The three failures a bare schemathesis run found (issue 29), each answered as the
    schema says: no parameter at all is a search; a body that is not JSON is a documented 422;
    broken bytes sent as a type we decode are broken bytes (400), not another type (415)."""
    with httpx.Client(base_url=library_url, timeout=60) as c:
        newest = c.get("/api/search", params={"today": "2000-01-01"})
        assert newest.status_code == 200 and newest.json()["total"] > 1
        unlock = f"/api/shared/sh_{'0' * 32}/unlock"
        not_json = {"Content-Type": "application/json"}
        assert_error(
            c.post(unlock, content=b"\xff\x086Z", headers=not_json), 422, "invalid_request"
        )
        noise = bytes(range(256)) * 4  # no decoder's signature, and not text
        for kind in ("image/heic", "image/jpeg", "video/mp4"):
            sent = c.post("/predict", files={"file": ("x.heic", noise, kind)})
            assert "x.heic" in assert_error(sent, 400, "undecodable_image")["message"], kind
        # Bytes that are something else stay that: a 415 naming what they are.
        text = c.post("/predict", files={"file": ("notes.heic", b"hello", "image/heic")})
        assert "a text file" in assert_error(text, 415, "unsupported_image_type")["message"]
        sent = c.post("/predict", files={"file": ("x.bin", noise, "application/octet-stream")})
        assert_error(sent, 415, "unsupported_image_type")
        gone = {"Tus-Resumable": "null"}  # no version at all: a bad header, not tus' 412
        assert_error(c.delete(f"/api/uploads/{'0' * 32}", headers=gone), 422, "invalid_request")
        assert_error(c.post("/api/text/read"), 409, "pass_off")  # the text pass is off here


# Operations whose valid bodies a JSON Schema cannot describe: a photo (the bytes must decode)
# and a tus chunk (application/offset+octet-stream, which schemathesis has no serializer for).
# Run bare, schemathesis sends them random bytes and counts the 400 as valid data refused;
# tests/fuzz_hooks.py gives them real photos in the run above.
PHOTO_BODIES = (
    r"^(POST /predict|POST /api/(shared/\{token\}/)?uploads"
    r"|PATCH /api/(shared/\{token\}/)?uploads/\{upload_id\})$"
)


def test_schemathesis_without_our_configuration_or_hooks_finds_no_failure(
    library_settings: Settings, tmp_path: Path
) -> None:
    """As anyone would run it: from outside the repository (no schemathesis.toml, so none of
    its expected statuses, and no hooks), every check, against a server whose imports are
    confined to an empty root (nothing stops the fuzzer importing "/" but the server)."""
    roots = tmp_path / "imports"
    roots.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with LiveServer(library_settings.with_overrides(import_roots=str(roots))) as url:
        report = schemathesis(url, "--exclude-name-regex", PHOTO_BODIES, cwd=elsewhere)
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected, report[-2000:]
    assert int(selected.group(2)) - int(selected.group(1)) == 5  # only the photo bodies left out


def schemathesis(url: str, *extra: str, cwd: Path = REPO) -> str:
    """All checks, every phase, a few examples per operation (bounded to stay within minutes);
    the run's report, after checking it passed and really tested the API. From the
    repository root (the default), schemathesis.toml and tests/fuzz_hooks.py are used."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "10",
        "--seed",
        "12",
        "--workers",
        "1",
        *extra,
    ]
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    configured = "Configuration:    " in run.stdout and "schemathesis.toml" in run.stdout
    assert configured == (cwd == REPO), run.stdout[:2000]
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested and int(tested.group(1)) >= 18, run.stdout[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", run.stdout), run.stdout[-2000:]
    return run.stdout


def test_schemathesis_finds_no_failure_on_real_photos(library_url: str) -> None:
    schemathesis(library_url)


def test_schemathesis_finds_no_failure_signed_in_with_a_token(
    library_settings: Settings, tmp_path: Path
) -> None:
    """A server that asks everyone to sign in, walked with an admin's token: no 5xx, and
    every check (schemathesis also sends each request without the token, expecting 401)."""
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("root", "admin", "correct horse battery")
    token = accounts.create_token("root", read_only=False, lifetime=None)
    public = dataclasses.replace(library_settings, host="0.0.0.0")
    with LiveServer(public) as url:
        schemathesis(url, "--header", f"Authorization: Bearer {token}")
