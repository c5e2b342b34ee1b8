"""Upload into the library from a real headless Chromium at a phone's width: 60 photos at once
by an editor, each appearing with its labels; none again ("already here"); a file whose
connection was cut resumes where it stopped; a guest adds photos through a share link; the
photos another app shared to smartalbum go up from the service worker's inbox. A viewer gets
no upload button, and the API refuses a viewer."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LIBRARY_PHOTOS, SAMPLES, LiveServer, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
PHONE = {"width": 375, "height": 812}
BIG = "n03843555_oil_filter.JPEG"  # the largest sample (707 KiB): many small chunks


class Server(NamedTuple):
    url: str
    catalog: str
    uploads: Path  # the upload root


@pytest.fixture
def server(library_settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """A server that asks for sign-in, with an editor (mia) and a viewer (vic), uploading
    into a folder of this test's own."""
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("mia", "editor", PASSWORD)
    accounts.add("vic", "viewer", PASSWORD)
    uploads = tmp_path / "uploads"
    public = dataclasses.replace(library_settings, host="0.0.0.0", upload_root=uploads)
    with LiveServer(public) as url:
        yield Server(url, library_settings.library, uploads)


def new_samples(count: int) -> list[Path]:
    """Sample photos the test library does not hold yet."""
    fresh = [p for p in sorted(SAMPLES.glob("*.JPEG")) if p.name not in LIBRARY_PHOTOS]
    return [p for p in fresh if p.name != BIG][:count]


def phone(browser: Any, url: str, name: str | None, width: int = 375, **options: Any) -> Any:
    """A page of a fresh phone-sized context, signed in as ``name`` (None: a stranger)."""
    context = browser.new_context(viewport={**PHONE, "width": width}, is_mobile=True, **options)
    if name is not None:
        signed = context.request.post(url + "/api/login", data={"name": name, "password": PASSWORD})
        assert signed.ok, signed.text()
    return context.new_page()


def stored_files(root: Path) -> list[Path]:
    """The files in the library's part of the upload root (not partial, not trashed)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith(".")
    )


def rows(catalog: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(catalog) as db:
        return db.execute(sql, args).fetchall()


def tus_writes(page: Any) -> list[str]:
    """Every tus creation and chunk the page sends from now on, as 'METHOD path offset'."""
    sent: list[str] = []

    def seen(request: Any) -> None:
        path = request.url.split("//", 1)[1].split("/", 1)[1]
        if request.method in ("POST", "PATCH") and "/check" not in path and "uploads" in path:
            sent.append(f"{request.method} /{path} {request.headers.get('upload-offset', '')}")

    page.on("request", seen)
    return sent


def test_an_editor_uploads_60_photos_on_a_phone_and_each_appears_with_its_labels(
    browser: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    page = phone(browser, server.url, "mia", service_workers="block")
    page.goto(server.url + "/gallery")
    expect(page.locator("#upload-button")).to_have_text("Upload")
    files = new_samples(60)
    first = tus_writes(page)
    page.set_input_files("#upload-input", [str(p) for p in files])
    expect(page.locator("#upload-files li")).to_have_count(60)
    wait_until(
        page, "() => document.querySelector('#upload-files li[data-state=uploading]') !== null"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-375-progress.png"))
    expect(page.locator("#upload-photos li")).to_have_count(60, timeout=300_000)
    expect(page.locator("#upload-files li[data-state=done]")).to_have_count(60)
    captions = page.locator("#upload-photos .caption").all_text_contents()
    assert len(captions) == 60 and all(c.strip() for c in captions)
    expect(page.locator(".upload-summary")).to_have_text("60 of 60 done")
    # Each photo (smaller than a chunk) went up with its creation: one request, no PATCH.
    assert len(first) == 60 and all(w.startswith("POST") for w in first), first
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "upload-375-done.png"), full_page=True)
    page.click("[data-lang=zh]")
    expect(page.locator(".upload-summary")).to_have_text("已完成 60/60")
    expect(page.locator("#upload-button")).to_have_text("上传")

    stored = stored_files(server.uploads)
    assert sorted(p.name for p in stored) == sorted(p.name for p in files)
    assert all(p.relative_to(server.uploads).parts[0] == "mia" for p in stored)
    added = rows(server.catalog, "SELECT path FROM photos WHERE uploaded_by = 'mia'")
    assert sorted(Path(path).name for (path,) in added) == sorted(p.name for p in files)

    # The same 60 again, from another page: all "already here", not one byte sent.
    again = page.context.new_page()
    again.goto(server.url + "/gallery")
    writes = tus_writes(again)
    again.set_input_files("#upload-input", [str(p) for p in files])
    expect(again.locator("#upload-files li[data-state=here]")).to_have_count(60)
    expect(again.locator(".upload-summary")).to_contain_text("60 张已在相册中")  # still 中文
    expect(again.locator("#upload-photos li")).to_have_count(60)  # shown all the same
    assert writes == []
    assert len(stored_files(server.uploads)) == 60
    page.context.close()


def test_a_viewer_gets_no_upload_button_and_the_api_refuses(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page = phone(browser, server.url, "vic", service_workers="block")
    page.goto(server.url + "/gallery")
    expect(page.locator("body[data-upload=none]")).to_have_count(1)
    expect(page.locator(".album-card").first).to_be_visible()
    expect(page.locator("#upload-button, #upload-input, #uploads")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "smartalbum_csrf")
    metadata = (
        "filename "
        + base64.b64encode(b"cat.jpg").decode()
        + ",sha256 "
        + base64.b64encode(b"0" * 64).decode()
    )
    refused = page.request.post(
        server.url + "/api/uploads",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": metadata,
                 "X-CSRF-Token": csrf, "Origin": server.url},
    )  # fmt: skip
    assert refused.status == 403 and refused.json()["error"]["code"] == "forbidden"
    assert not server.uploads.exists() or stored_files(server.uploads) == []
    page.context.close()


def test_a_cut_connection_resumes_where_it_stopped_in_a_new_tab(
    browser: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    chunk = 64 * 1024
    big = SAMPLES / BIG
    page = phone(browser, server.url, "mia", service_workers="block")
    page.goto(server.url + "/gallery")
    page.evaluate("n => localStorage.setItem('smartalbum.upload.chunk', String(n))", chunk)
    page.reload()
    offsets: list[int] = []

    def cut_after_the_first_chunk(route: Any) -> None:
        if route.request.method == "PATCH":
            offsets.append(int(route.request.headers["upload-offset"]))
            if len(offsets) > 1:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/uploads/*", cut_after_the_first_chunk)
    page.set_input_files("#upload-input", [str(big)])
    failed = page.locator("#upload-files li[data-state=failed]")
    expect(failed).to_have_count(1, timeout=60_000)  # after tus-js-client's retries
    expect(failed.locator(".upload-error")).to_contain_text("connection was lost")
    expect(page.locator("#upload-problems")).to_contain_text(BIG)
    # The creation carried the first chunk; each retry asked, then went on from there.
    assert offsets[0] == chunk and set(offsets[1:]) == {2 * chunk}
    assert stored_files(server.uploads) == []
    page.close()

    # The tab is closed; a new one is given the same file: it goes on from where it stopped.
    tab = page.context.new_page()
    tab.goto(server.url + "/gallery")
    writes = tus_writes(tab)
    tab.set_input_files("#upload-input", [str(big)])
    expect(tab.locator("#upload-photos li")).to_have_count(1, timeout=120_000)
    assert writes and all(w.startswith("PATCH") for w in writes), writes  # no new upload
    assert int(writes[0].split()[-1]) == 2 * chunk
    assert len(writes) == -(-(big.stat().st_size - 2 * chunk) // chunk)  # the rest, by chunks
    assert [p.name for p in stored_files(server.uploads)] == [BIG]
    assert list((server.uploads / ".partial").iterdir()) == []
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    assert len(rows(server.catalog, "SELECT id FROM photos WHERE sha256 = ?", digest)) == 1
    assert len(rows(server.catalog, "SELECT id FROM uploads WHERE sha256 = ?", digest)) == 1
    tab.context.close()


def test_retry_goes_on_from_where_the_connection_dropped(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    chunk = 64 * 1024
    page = phone(browser, server.url, "mia", service_workers="block")
    page.goto(server.url + "/gallery")
    page.evaluate("n => localStorage.setItem('smartalbum.upload.chunk', String(n))", chunk)
    page.reload()
    down = [True]
    offsets: list[int] = []

    def flaky(route: Any) -> None:
        if route.request.method == "PATCH":
            offsets.append(int(route.request.headers["upload-offset"]))
            if down[0] and offsets[-1] >= 2 * chunk:
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route("**/api/uploads/*", flaky)
    page.set_input_files("#upload-input", [str(SAMPLES / BIG)])
    row = page.locator("#upload-files li")
    expect(row).to_have_attribute("data-state", "failed", timeout=60_000)
    down[0] = False
    before = len(offsets)
    row.locator(".upload-retry").click()
    expect(page.locator("#upload-photos li")).to_have_count(1, timeout=120_000)
    assert offsets[before] == 2 * chunk  # not from the start
    assert [p.name for p in stored_files(server.uploads)] == [BIG]
    page.context.close()


def test_cancel_stops_one_file_and_the_server_drops_its_bytes(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page = phone(browser, server.url, "mia", service_workers="block")
    page.goto(server.url + "/gallery")
    page.evaluate("n => localStorage.setItem('smartalbum.upload.chunk', String(n))", 64 * 1024)
    page.reload()
    sent: list[str] = []

    def stall_after_the_first_chunk(route: Any) -> None:
        sent.append(route.request.method)
        if route.request.method == "PATCH" and route.request.headers["upload-offset"] != "0":
            route.abort("connectionreset")  # tus-js-client retries: the file stays "uploading"
            return
        route.continue_()

    page.route("**/api/uploads/*", stall_after_the_first_chunk)
    # Two photos of one chunk each, which the cut above leaves alone.
    others = [p for p in new_samples(100) if p.stat().st_size < 64 * 1024][:2]
    page.set_input_files("#upload-input", [str(SAMPLES / BIG), *map(str, others)])
    big = page.locator("#upload-files li", has_text=BIG)
    deadline = time.monotonic() + 60
    while sent.count("PATCH") < 2 and time.monotonic() < deadline:  # a chunk in, one cut
        page.wait_for_timeout(50)
    expect(big).to_have_attribute("data-state", "uploading")
    assert list((server.uploads / ".partial").iterdir())  # its first chunk is on the server
    big.locator(".upload-cancel").click()
    expect(big).to_have_attribute("data-state", "cancelled")
    expect(page.locator("#upload-photos li")).to_have_count(2, timeout=120_000)  # the others go on
    assert sent.count("DELETE") == 1  # tus termination
    assert list((server.uploads / ".partial").iterdir()) == []
    assert sorted(p.name for p in stored_files(server.uploads)) == sorted(p.name for p in others)

    # Cancelled while its creation is still on the way: ended as soon as it has an address.
    held: list[Any] = []
    page.route("**/api/uploads", lambda route: held.append(route))
    page.set_input_files("#upload-input", [str(SAMPLES / BIG)])
    while not held and time.monotonic() < deadline + 60:
        page.wait_for_timeout(50)
    late = page.locator("#upload-files li").last
    late.locator(".upload-cancel").click()
    expect(late).to_have_attribute("data-state", "cancelled")
    held[0].continue_()
    while sent.count("DELETE") < 2 and time.monotonic() < deadline + 120:
        page.wait_for_timeout(50)
    assert sent.count("DELETE") == 2 and "PATCH" not in sent[sent.index("DELETE") + 1 :]
    # Counted as it left the page: the server may still be answering it. (The creation
    # carried the first chunk, so there are bytes to drop.)
    partials = server.uploads / ".partial"
    while list(partials.iterdir()) and time.monotonic() < deadline + 130:
        page.wait_for_timeout(50)
    assert list(partials.iterdir()) == []
    page.context.close()


def test_a_refused_file_is_named_with_the_reason_in_both_languages_and_the_rest_go_on(
    browser: Any, server: Server
) -> None:
    from playwright.sync_api import FilePayload, expect

    page = phone(browser, server.url, "mia", width=360, service_workers="block")  # the narrowest
    page.goto(server.url + "/gallery")
    good = new_samples(1)[0]
    notes = FilePayload(name="notes.jpg", mimeType="image/jpeg", buffer=b"just some words\n" * 20)
    photo = FilePayload(name=good.name, mimeType="image/jpeg", buffer=good.read_bytes())
    page.set_input_files("#upload-input", files=[notes, photo])
    refused = page.locator("#upload-files li[data-state=failed]")
    expect(refused).to_have_count(1, timeout=60_000)
    expect(refused.locator(".upload-error")).to_contain_text("not an image")
    expect(page.locator("#upload-problems")).to_contain_text("notes.jpg")
    expect(refused.locator(".upload-retry")).to_be_hidden()  # sending it again would not help
    expect(page.locator("#upload-photos li")).to_have_count(1, timeout=120_000)
    expect(page.locator(".upload-summary")).to_have_text("2 of 2 done · 1 failed")

    page.click("[data-lang=zh]")
    words = FilePayload(name="笔记.png", mimeType="image/png", buffer=b"\x00" * 100)
    page.set_input_files("#upload-input", files=[words])
    expect(page.locator("#upload-files li[data-state=failed]")).to_have_count(2, timeout=60_000)
    problem = page.locator("#upload-problems li").last.inner_text()
    assert problem.startswith("笔记.png") and problem.count("笔记.png") == 1, problem
    assert "不是" in problem, problem  # the server's reason, in the page's language
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-360-refused-zh.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert list((server.uploads / ".partial").iterdir()) == []  # nothing of them kept
    assert [p.name for p in stored_files(server.uploads)] == [good.name]
    page.context.close()


def make_share(page: Any, url: str, album: str, allow_upload: bool) -> str:
    """A link to an album, made through the API by the page's signed-in editor: its address."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "smartalbum_csrf")
    made = page.request.post(
        f"{url}/api/albums/{album}/shares",
        data={"allow_upload": allow_upload},
        headers={"X-CSRF-Token": csrf, "Origin": url},
    )
    assert made.status == 201, made.text()
    return url + str(made.json()["url"])


def test_a_guest_adds_5_photos_through_a_share_link_on_a_phone(
    browser: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    editor = phone(browser, server.url, "mia")
    closed_link = make_share(editor, server.url, "food", allow_upload=False)
    editor.goto(f"{server.url}/gallery#/album/pets")  # the open one through the share panel
    editor.locator(".share summary").first.click()
    editor.check("#share-uploads")
    editor.click("#share-make")
    open_link = str(editor.locator("#share-url").get_attribute("href"))
    expect(editor.locator(".share .links li[data-link]")).to_contain_text("guests add photos")

    guest = phone(browser, server.url, None)
    guest.goto(closed_link)
    expect(guest.locator("#photos a").first).to_be_visible()
    expect(guest.locator("#upload-button")).to_have_count(0)

    guest.goto(open_link)
    expect(guest.locator("#upload-button")).to_have_text("Add photos")
    files = new_samples(65)[60:]
    guest.set_input_files("#upload-input", [str(p) for p in files])
    expect(guest.locator("#upload-files li[data-state=done]")).to_have_count(5, timeout=180_000)
    expect(guest.locator("#guest-photos li")).to_have_count(5)
    wait_until(
        guest,
        "() => [...document.querySelectorAll('#guest-photos img')].every((i) => i.naturalWidth)",
    )
    assert guest.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    guest.screenshot(path=str(ARTIFACTS / "share-upload-375.png"), full_page=True)
    marked = rows(server.catalog, "SELECT path FROM photos WHERE upload_link_id IS NOT NULL")
    assert sorted(Path(p).name for (p,) in marked) == sorted(p.name for p in files)
    assert all(Path(p).relative_to(server.uploads).parts[0] == "mia" for (p,) in marked)

    # The sharer looks through what the guests added and takes one out.
    added = editor.locator(".share details.guest-added")
    added.locator("summary").click()
    expect(added.locator("li[data-photo]")).to_have_count(5)
    loaded = "() => [...document.querySelectorAll('.guest-added img')].every((i) => i.naturalWidth)"
    wait_until(editor, loaded)
    editor.screenshot(path=str(ARTIFACTS / "share-guest-photos-375.png"), full_page=True)
    added.locator("[data-remove-guest]").first.click()
    expect(added.locator("li[data-photo]")).to_have_count(4)
    guest.reload()
    expect(guest.locator("#guest-photos li")).to_have_count(4)
    guest.context.close()
    editor.context.close()


SHARE = """async ([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("photos", new File([bytes], name, { type: "image/jpeg" }));
  const answer = await fetch("/share-target", { method: "POST", body: form, redirect: "manual" });
  return answer.type;
}"""


def test_a_photo_shared_to_the_app_is_uploaded_from_the_inbox(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page = phone(browser, server.url, "mia")
    page.goto(server.url + "/gallery")
    wait_until(
        page, "async () => (await navigator.serviceWorker.getRegistration('/')) !== undefined"
    )
    page.reload()
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    shared = new_samples(61)[60]
    # What Android does on "Share → smartalbum": a multipart POST to the manifest's action,
    # which the service worker answers (a redirect to the gallery) and keeps the file.
    answer = page.evaluate(SHARE, [shared.name, base64.b64encode(shared.read_bytes()).decode()])
    assert answer == "opaqueredirect"
    assert page.evaluate("async () => (await smartalbumInbox.all()).length") == 1
    page.goto(server.url + "/gallery?shared=1")
    expect(page.locator("#upload-photos li")).to_have_count(1, timeout=120_000)
    assert page.url == server.url + "/gallery"
    wait_until(page, "async () => (await smartalbumInbox.all()).length === 0")
    assert [p.name for p in stored_files(server.uploads)] == [shared.name]
    page.context.close()


INCREMENTAL = """async ([size, incremental]) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31) % 251;
  return sha256Of(new File([bytes], "x.bin"), () => {}, incremental);
}"""


def test_a_file_is_hashed_slice_by_slice_where_crypto_subtle_is_missing(
    browser: Any, server: Server
) -> None:
    page = phone(browser, server.url, "mia", service_workers="block")
    page.goto(server.url + "/gallery")
    size = 9 * 1024 * 1024 + 7  # three slices, the last one short
    expected = hashlib.sha256(bytes((i * 31) % 251 for i in range(size))).hexdigest()
    assert page.evaluate(INCREMENTAL, [size, True]) == expected
    assert page.evaluate(INCREMENTAL, [size, False]) == expected  # crypto.subtle here
    page.context.close()
