"""Uploads into the library over real HTTP (tus 1.0.0): an editor's, resumed, refused, and a
share link's guests'. One live server for the module, on a fresh catalog, signing people in.

The photos go up through ``tuspy``, the tus project's own Python client: a client we did
not write speaks the protocol with our server. The edge cases use httpx by hand.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from tusclient.client import TusClient

from smartalbum.catalog import Photo, Upload, open_engine, session_factory
from smartalbum.settings import Settings
from tests.helpers import (
    CAT,
    SAMPLES,
    LiveServer,
    assert_error,
    bearer_headers,
    expire_share,
)
from tests.stills_files import dng
from tests.videos import SKI, encode, skiing

PASSWORD = "correct horse battery"
JUNE_2021 = 1623758400000  # 2021-06-15 12:00 UTC, in ms: the photos' "modified"
MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    root: Path  # the upload root
    catalog: str
    headers: dict[str, dict[str, str]]  # role -> headers with a token of that role

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers[role], timeout=60)


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("uploads-home")
    catalog = str(home / "library.db")
    headers = bearer_headers(catalog, ("editor", "viewer"), PASSWORD)
    served = settings.with_overrides(
        library=catalog, host="0.0.0.0", upload_root=home / "uploads", max_file_mb=3,
        max_upload_mb=2,
    )  # fmt: skip
    with LiveServer(served) as url:
        yield Server(url, home / "uploads", catalog, headers)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata(name: str, data: bytes, **more: str) -> str:
    """An Upload-Metadata header for these bytes."""
    fields = {"filename": name, "sha256": sha256(data), "modified": str(JUNE_2021), **more}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def tus_upload(server: Server, base: str, path: Path, headers: dict[str, str]) -> str:
    """Upload a file with tuspy in 1 MB chunks; the upload's URL."""
    client = TusClient(server.url + base, headers=headers)
    data = path.read_bytes()
    with path.open("rb") as stream:  # tuspy leaves a file it opened itself open
        uploader = client.uploader(
            file_stream=stream,
            chunk_size=MB,
            metadata={"filename": path.name, "sha256": sha256(data), "filetype": "image/jpeg",
                      "modified": str(JUNE_2021)},
        )  # fmt: skip
        uploader.upload()
    assert uploader.offset == len(data)
    return str(uploader.url)


def create(client: httpx.Client, base: str, name: str, data: bytes, **more: str) -> httpx.Response:
    return client.post(
        base,
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata(name, data, **more)},
    )  # fmt: skip


def patch(client: httpx.Client, url: str, offset: int, body: Any) -> httpx.Response:
    return client.patch(
        url,
        content=body,
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                 "Content-Type": "application/offset+octet-stream"},
    )  # fmt: skip


def wait_for_photo(client: httpx.Client, url: str) -> dict[str, Any]:
    """Poll an upload until its photo is indexed; the upload's JSON."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        upload = client.get(url).json()
        if upload.get("photo_id") is not None:
            return upload  # type: ignore[no-any-return]
        time.sleep(0.25)
    raise AssertionError(f"never indexed: {upload}")


def files_in(root: Path) -> list[Path]:
    """Every file under the upload root, the temporary ones too."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(server: Server, model: Any) -> list[Any]:
    engine = open_engine(server.catalog)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(model)))
    finally:
        engine.dispose()


PHOTOS = [CAT, "n11939491_daisy.JPEG", "n07873807_pizza.JPEG"]


def test_an_editor_uploads_photos_that_are_indexed_in_dated_folders(server: Server) -> None:
    with server.client("editor") as editor:
        urls = [tus_upload(server, "/api/uploads", SAMPLES / n, server.headers["editor"])
                for n in PHOTOS]  # fmt: skip
        uploads = [wait_for_photo(editor, url) for url in urls]
        month = server.root / "editor" / "2021" / "06"
        assert sorted(p.name for p in month.iterdir()) == sorted(PHOTOS)
        for name, upload in zip(PHOTOS, uploads, strict=True):
            assert upload["status"] == "stored" and upload["path"] == str(month / name)
            assert (month / name).read_bytes() == (SAMPLES / name).read_bytes()
        cat = editor.get(f"/api/photos/{uploads[0]['photo_id']}").json()
        assert cat["labels"][0]["label"] == "Egyptian cat" and cat["labels"][0]["label_zh"]
        found = editor.get("/api/search", params={"q": "cat"}).json()["photos"]
        assert uploads[0]["photo_id"] in [p["id"] for p in found]
        listed = editor.get("/api/uploads").json()["uploads"]
        assert {u["id"] for u in uploads} <= {u["id"] for u in listed}
    marked = {p.path: p.uploaded_by for p in rows(server, Photo)}
    assert all(marked[str(month / name)] == "editor" for name in PHOTOS)


def test_the_same_files_again_are_already_here(server: Server) -> None:
    with server.client("editor") as editor:
        for name in PHOTOS:  # uploaded by the test above, or now
            if not (server.root / "editor" / "2021" / "06" / name).exists():
                wait_for_photo(editor, tus_upload(server, "/api/uploads", SAMPLES / name,
                                                  server.headers["editor"]))  # fmt: skip
        before, photos = files_in(server.root), len(rows(server, Photo))
        datas = [(SAMPLES / n).read_bytes() for n in PHOTOS]
        asked = [
            {"name": n, "size": len(d), "sha256": sha256(d)}
            for n, d in zip(PHOTOS, datas, strict=True)
        ]
        new = b"not in the library"
        asked.append({"name": "new.jpg", "size": len(new), "sha256": sha256(new)})
        answer = editor.post("/api/uploads/check", json={"files": asked}).json()["files"]
        assert [f["exists"] for f in answer] == [True, True, True, False]
        assert all(isinstance(f["photo_id"], int) for f in answer[:3])
        for name, data in zip(PHOTOS, datas, strict=True):
            again = create(editor, "/api/uploads", "copy of " + name, data)
            assert again.status_code == 200 and again.json()["exists"] is True
            assert again.headers["Smartalbum-Photo"] == str(again.json()["photo_id"])
    assert files_in(server.root) == before and len(rows(server, Photo)) == photos


def test_a_viewer_may_not_upload_and_nothing_is_written(server: Server) -> None:
    data = (SAMPLES / "n09193705_alp.JPEG").read_bytes()
    before, uploads = files_in(server.root), len(rows(server, Upload))
    with server.client("viewer") as viewer:
        assert_error(create(viewer, "/api/uploads", "alp.jpg", data), 403, "forbidden")
        body = {"files": [{"name": "alp.jpg", "size": len(data), "sha256": sha256(data)}]}
        assert_error(viewer.post("/api/uploads/check", json=body), 403, "forbidden")
        assert_error(patch(viewer, "/api/uploads/" + "0" * 32, 0, data), 403, "forbidden")
        assert_error(viewer.get("/api/uploads"), 403, "forbidden")
    with httpx.Client(base_url=server.url, timeout=60) as stranger:
        assert_error(create(stranger, "/api/uploads", "alp.jpg", data), 401, "unauthorized")
    assert files_in(server.root) == before and len(rows(server, Upload)) == uploads


def test_a_dropped_upload_resumes_from_the_offset_the_server_has(server: Server) -> None:
    data = (SAMPLES / "n04228054_ski.JPEG").read_bytes()
    half = len(data) // 2

    def cut_off() -> Iterator[bytes]:
        yield data[:half]
        raise ConnectionError("the phone lost its signal")

    with server.client("editor") as editor:
        created = create(editor, "/api/uploads", "ski.jpg", data)
        assert created.status_code == 201 and created.headers["Upload-Offset"] == "0"
        url = created.headers["Location"]
        assert url.startswith("/api/uploads/")
        with pytest.raises(ConnectionError):
            patch(editor, url, 0, cut_off())
        offset = _settled_offset(editor, url)
        assert 0 <= offset <= half
        if offset < half:  # the rest of the first half, as a client resuming sends it
            assert patch(editor, url, offset, data[offset:half]).status_code == 204
        head = editor.head(url, headers={"Tus-Resumable": "1.0.0"})
        assert head.status_code == 200 and head.headers["Upload-Offset"] == str(half)
        assert head.headers["Upload-Length"] == str(len(data))
        assert head.headers["Cache-Control"] == "no-store"
        # The same file created again (a closed tab) is the same upload, where it was.
        again = create(editor, "/api/uploads", "ski.jpg", data)
        assert again.headers["Location"] == url and again.headers["Upload-Offset"] == str(half)
        assert_error(
            patch(editor, url, half - 10, data[half - 10 :]), 409, "upload_offset_mismatch"
        )
        done = patch(editor, url, half, data[half:])
        assert done.status_code == 204 and done.headers["Smartalbum-Status"] == "stored"
        assert done.headers["Upload-Offset"] == str(len(data))
        upload = wait_for_photo(editor, url)
    copies = [p for p in files_in(server.root) if p.read_bytes() == data]
    assert copies == [Path(upload["path"])] and copies[0].name == "ski.jpg"
    assert [p.path for p in rows(server, Photo)].count(upload["path"]) == 1
    assert not (server.root / ".partial" / url.rsplit("/", 1)[1]).exists()


def _settled_offset(client: httpx.Client, url: str) -> int:
    """The offset once the server has noticed the dropped request (its lock released)."""
    for _ in range(100):
        head = client.head(url, headers={"Tus-Resumable": "1.0.0"})
        if head.status_code == 200:
            offset = int(head.headers["Upload-Offset"])
            probe = patch(client, url, offset, b"")  # 409 while the dropped one still writes
            if probe.status_code == 204:
                return offset
        time.sleep(0.1)
    raise AssertionError("the dropped request never let go of its upload")


def test_a_checksum_mismatch_stores_nothing(server: Server) -> None:
    data = (SAMPLES / "n04536866_violin.JPEG").read_bytes()
    with server.client("editor") as editor:
        created = create(editor, "/api/uploads", "violin.jpg", data, sha256="0" * 64)
        url = created.headers["Location"]
        error = assert_error(patch(editor, url, 0, data), 422, "checksum_mismatch")
        assert "violin.jpg" in error["message"]
        assert editor.head(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 404
    assert not any(p.name == "violin.jpg" for p in files_in(server.root))
    assert not list((server.root / ".partial").iterdir())


def create_with(
    client: httpx.Client, name: str, data: bytes, body: bytes, **more: str
) -> httpx.Response:
    """A tus creation that carries ``body`` as the upload's first bytes (creation-with-upload)."""
    return client.post(
        "/api/uploads",
        content=body,
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata(name, data, **more),
                 "Content-Type": "application/offset+octet-stream"},
    )  # fmt: skip


def test_one_request_creates_sends_and_stores_a_small_photo(server: Server) -> None:
    koala = (SAMPLES / "n01882714_koala.JPEG").read_bytes()
    wombat = (SAMPLES / "n01883070_wombat.JPEG").read_bytes()
    with server.client("editor") as editor:
        assert "creation-with-upload" in editor.options("/api/uploads").headers["Tus-Extension"]
        one = create_with(editor, "koala.jpg", koala, koala)
        assert one.status_code == 201, one.text
        assert one.headers["Upload-Offset"] == str(len(koala))
        assert one.headers["Smartalbum-Status"] == "stored"
        # A broken one beside it fails alone, naming its file, and stores nothing.
        bad = create_with(editor, "wombat.jpg", wombat, wombat[:-1] + b"x")
        assert "wombat.jpg" in assert_error(bad, 422, "checksum_mismatch")["message"]
        text = b"not a photo at all"
        fake = create_with(editor, "fake-koala.jpg", text, text)
        assert "fake-koala.jpg" in assert_error(fake, 415, "unsupported_image_type")["message"]
        photo = wait_for_photo(editor, one.headers["Location"])
        assert photo["path"] == str(server.root / "editor" / "2021" / "06" / "koala.jpg")
        labels = editor.get(f"/api/photos/{photo['photo_id']}").json()["labels"]
        assert any("koala" in label["label"] for label in labels)
    names = [p.name for p in files_in(server.root)]
    assert "koala.jpg" in names and "wombat.jpg" not in names and "fake-koala.jpg" not in names


def test_a_creation_with_part_of_the_file_goes_on_with_patch(server: Server) -> None:
    data = (SAMPLES / "n01877812_wallaby.JPEG").read_bytes()
    half = len(data) // 2
    with server.client("editor") as editor:
        first = create_with(editor, "wallaby.jpg", data, data[:half])
        assert first.status_code == 201 and first.headers["Upload-Offset"] == str(half)
        assert "Smartalbum-Status" not in first.headers
        url = first.headers["Location"]
        # Created again (a retry that never saw the answer): the same upload, no bytes taken.
        again = create_with(editor, "wallaby.jpg", data, data)
        assert again.headers["Location"] == url and again.headers["Upload-Offset"] == str(half)
        done = patch(editor, url, half, data[half:])
        assert done.status_code == 204 and done.headers["Smartalbum-Status"] == "stored"
        wait_for_photo(editor, url)
    assert [p.read_bytes() == data for p in files_in(server.root) if "wallaby" in p.name] == [True]


def test_size_limits_are_refused_before_the_bytes(server: Server) -> None:
    with server.client("editor") as editor:
        big = b"x" * 10  # announced far larger than it is: refused on the announcement
        response = editor.post(
            "/api/uploads",
            headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(4 * MB),
                     "Upload-Metadata": metadata("huge.jpg", big)},
        )  # fmt: skip
        assert "huge.jpg" in assert_error(response, 413, "upload_too_large")["message"]
        options = editor.options("/api/uploads")
        assert options.status_code == 204 and options.headers["Tus-Max-Size"] == str(3 * MB)
        assert options.headers["Tus-Version"] == "1.0.0"
        assert "creation" in options.headers["Tus-Extension"]
        # A chunk over SMARTALBUM_MAX_UPLOAD_MB (2 MB here) is refused as it arrives.
        data = os.urandom(2 * MB + 1)
        url = create(editor, "/api/uploads", "noise.jpg", data).headers["Location"]
        assert_error(patch(editor, url, 0, data), 413, "upload_too_large")
        assert editor.head(url).headers["Upload-Offset"] == "0"
        at_the_limit = patch(editor, url, 0, data[: 2 * MB])  # exactly the limit passes
        assert at_the_limit.status_code == 204
        assert at_the_limit.headers["Upload-Offset"] == str(2 * MB)
        assert editor.delete(url).status_code == 204
        assert editor.head(url).status_code == 404
        assert_error(editor.post("/api/uploads", headers={"Upload-Length": "1",
                     "Tus-Resumable": "0.2.2"}), 412, "tus_version_unsupported")  # fmt: skip
        # Headers the lean route (web/lean_routes.py) does not take are FastAPI's to refuse.
        for length in ("-1", "12x", str(2**62 + 1), ""):
            error = assert_error(editor.post("/api/uploads", headers={"Upload-Length": length,
                                 "Tus-Resumable": "1.0.0"}), 422, "invalid_request")  # fmt: skip
            assert "Upload-Length" in error["message"]
        assert_error(patch(editor, url, -1, data[:10]), 422, "invalid_request")  # not 404, nor 413


def test_types_the_library_does_not_index_are_refused_naming_the_file(server: Server) -> None:
    text = b"a shopping list, not a photo\n"
    with server.client("editor") as editor:
        error = assert_error(create(editor, "/api/uploads", "list.txt", text), 415,
                             "unsupported_image_type")  # fmt: skip
        assert "list.txt" in error["message"]
        url = create(editor, "/api/uploads", "fake.jpg", text).headers["Location"]
        error = assert_error(patch(editor, url, 0, text), 415, "unsupported_image_type")
        assert "fake.jpg" in error["message"] and "text" in error["message"]
    assert not any(p.name == "fake.jpg" for p in files_in(server.root))


def test_taken_and_hostile_names_stay_inside_the_users_folder(server: Server) -> None:
    month = server.root / "editor" / "2021" / "06"
    names = {
        "n02099601_golden_retriever.JPEG": "n02124075_Egyptian_cat.JPEG",  # taken (test 1)
        "n01440764_tench.JPEG": "../../etc/passwd",
        "n01443537_goldfish.JPEG": ".hidden.jpg",
        "n01484850_great_white_shark.JPEG": "sh\x00ark.jpg",
    }
    with server.client("editor") as editor:
        if not (month / CAT).exists():
            wait_for_photo(editor, tus_upload(server, "/api/uploads", SAMPLES / CAT,
                                              server.headers["editor"]))  # fmt: skip
        placed = []
        for sample, name in names.items():
            data = (SAMPLES / sample).read_bytes()
            url = create(editor, "/api/uploads", name, data, filetype="image/jpeg").headers[
                "Location"
            ]
            assert patch(editor, url, 0, data).status_code == 204
            placed.append(Path(editor.get(url).json()["path"]))
    assert [p.name for p in placed] == [
        "n02124075_Egyptian_cat (2).JPEG", "passwd.jpg", "hidden.jpg", "shark.jpg",
    ]  # fmt: skip
    assert all(p.parent == month for p in placed)
    assert (month / CAT).read_bytes() == (SAMPLES / CAT).read_bytes(), "never overwritten"


def test_a_camera_raw_file_is_sniffed_placed_and_indexed(server: Server, tmp_path: Path) -> None:
    with Image.open(SAMPLES / CAT) as img:
        raw = dng(img.convert("RGB"), preview=(200, 300))  # taken 2024-07-01
    named, nameless = tmp_path / "IMG_0100.DNG", tmp_path / "IMG_0101"
    named.write_bytes(raw)
    nameless.write_bytes(raw + b"\x00")  # another file; its kind from its bytes alone
    with server.client("editor") as editor:
        for path, stored in ((named, "IMG_0100.DNG"), (nameless, "IMG_0101.dng")):
            upload = wait_for_photo(
                editor, tus_upload(server, "/api/uploads", path, server.headers["editor"])
            )
            assert upload["path"] == str(server.root / "editor" / "2024" / "07" / stored)
            photo = editor.get(f"/api/photos/{upload['photo_id']}").json()
            assert photo["format"] == "DNG" and photo["camera"] == "Canon Canon EOS R5"


def test_a_video_is_filed_under_the_date_it_was_shot(server: Server, tmp_path: Path) -> None:
    # Shot on 1 February 2026 (Apple's creation date in a MOV; MP4's creation time in a WebM,
    # read by ffprobe); the client says June 2021, its file's date.
    utc = {"creation_time": "2026-02-01T10:00:00Z"}
    made = [
        skiing(tmp_path / "IMG_0200.MOV", SAMPLES),
        encode(tmp_path / "clip.webm", [SAMPLES / SKI], "vp9", utc, seconds=0.5),
    ]
    with server.client("editor") as editor:
        for path in made:
            upload = wait_for_photo(
                editor, tus_upload(server, "/api/uploads", path, server.headers["editor"])
            )
            assert upload["path"] == str(server.root / "editor" / "2026" / "02" / path.name)
            photo = editor.get(f"/api/photos/{upload['photo_id']}").json()
            assert photo["kind"] == "video" and photo["taken_at"].startswith("2026-02-01")


def share(server: Server, **body: Any) -> dict[str, Any]:
    """A link to the album holding the cat (uploaded by the first test)."""
    with server.client("editor") as editor:
        if not editor.get("/api/albums/pets").json().get("count"):
            wait_for_photo(editor, tus_upload(server, "/api/uploads", SAMPLES / CAT,
                                              server.headers["editor"]))  # fmt: skip
        answer = editor.post("/api/albums/pets/shares", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


GUEST_PHOTOS = [
    "n02085620_Chihuahua.JPEG", "n02086240_Shih-Tzu.JPEG", "n02088364_beagle.JPEG",
    "n02090622_borzoi.JPEG", "n02092339_Weimaraner.JPEG",
]  # fmt: skip


def test_guests_add_photos_through_a_link_that_allows_it(server: Server) -> None:
    link = share(server, allow_upload=True, upload_budget_mb=2)
    assert link["allow_upload"] is True and link["upload_budget_mb"] == 2
    base = f"/api/shared/{link['token']}/uploads"
    with httpx.Client(base_url=server.url, timeout=60) as guest:
        urls = [tus_upload(server, base, SAMPLES / n, {}) for n in GUEST_PHOTOS]
        assert all(u.startswith(server.url + base) for u in urls)
        uploads = [wait_for_photo(guest, url) for url in urls]
        assert all("path" not in u for u in uploads), "a guest never sees a server path"
        shown = guest.get(f"/api/shared/{link['token']}").json()
        ids = {u["photo_id"] for u in uploads}
        assert {p["id"] for p in shown["guest_photos"]} == ids and shown["allow_upload"]
        some = uploads[0]["photo_id"]
        thumb = guest.get(f"/api/shared/{link['token']}/photos/{some}/thumbnail")
        assert thumb.status_code == 200
        # Past the budget (under the limit for one file): refused on the announcement.
        response = guest.post(
            base,
            headers={"Upload-Length": str(2 * MB),
                     "Upload-Metadata": metadata("big.jpg", b"big")},
        )  # fmt: skip
        assert "big.jpg" in assert_error(response, 413, "upload_too_large")["message"]
    marks = {p.id: (p.upload_link_id, p.uploaded_by, Path(p.path)) for p in rows(server, Photo)}
    assert {marks[i][:2] for i in ids} == {(link["id"], "editor")}
    # In the sharer's folder, by each photo's own date (one has EXIF from 2007).
    assert sorted(marks[i][2].name for i in ids) == sorted(GUEST_PHOTOS)
    assert all(marks[i][2].parents[2] == server.root / "editor" for i in ids)
    assert (server.root / "editor" / "2007" / "06" / "n02086240_Shih-Tzu.JPEG").is_file()
    with server.client("editor") as editor:
        listed = editor.get(f"/api/shares/{link['id']}/uploads").json()["photos"]
        assert {p["id"] for p in listed} == ids
        assert editor.delete(f"/api/shares/{link['id']}/uploads/{some}").status_code == 200
        listed = editor.get(f"/api/shares/{link['id']}/uploads").json()["photos"]
        assert some not in {p["id"] for p in listed}
        assert_error(editor.delete(f"/api/shares/{link['id']}/uploads/{some}"), 404, "not_found")
        # Taken out through the trash, as any delete: the file waits in the trash folder,
        # restorable, and the guest's link no longer shows it.
        trashed = {p["id"]: p for p in editor.get("/api/trash").json()["photos"]}
        assert trashed[some]["reason"] == "deleted" and trashed[some]["uploaded"]
        assert not marks[some][2].exists()
        assert ".trash" in Path(next(p.path for p in rows(server, Photo) if p.id == some)).parts
        shown = httpx.get(f"{server.url}/api/shared/{link['token']}", timeout=60).json()
        assert some not in {p["id"] for p in shown["guest_photos"]}


def test_a_link_without_uploads_or_gone_takes_nothing(server: Server) -> None:
    data = (SAMPLES / "n02093754_Border_terrier.JPEG").read_bytes()
    before, uploads = files_in(server.root), len(rows(server, Upload))
    closed = share(server)
    assert closed["allow_upload"] is False
    expiring = share(server, allow_upload=True, expires_in_days=1)
    revoked = share(server, allow_upload=True)
    with server.client("editor") as editor:
        assert editor.delete(f"/api/shares/{revoked['id']}").status_code == 200
    expire_share(server.catalog, expiring["id"])
    with httpx.Client(base_url=server.url, timeout=60) as guest:
        base = f"/api/shared/{closed['token']}/uploads"
        assert_error(create(guest, base, "terrier.jpg", data), 403, "forbidden")
        body = {"files": [{"sha256": sha256(data)}]}
        assert_error(guest.post(f"{base}/check", json=body), 403, "forbidden")
        for link in (expiring, revoked):
            base = f"/api/shared/{link['token']}/uploads"
            assert_error(create(guest, base, "terrier.jpg", data), 404, "not_found")
    assert files_in(server.root) == before and len(rows(server, Upload)) == uploads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    """``smartalbum serve`` on loopback (nobody signs in) with its catalog and uploads in home."""
    env = {
        **os.environ,
        "SMARTALBUM_LIBRARY": str(home / "library.db"),
        "SMARTALBUM_UPLOAD_ROOT": str(home / "uploads"),
        "SMARTALBUM_PORT": str(port),
    }
    log = home / "serve.log"
    with log.open("a") as err:  # the child has its own copy of the file
        proc = subprocess.Popen([sys.executable, "-m", "smartalbum", "serve"], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()["ready"]:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def test_a_server_killed_mid_upload_leaves_no_half_photo_and_resumes(
    tmp_path: Path,
) -> None:
    data = (SAMPLES / "n01530575_brambling.JPEG").read_bytes()
    half, port = len(data) // 2, free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve(tmp_path, port)
    sending = threading.Event()
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            upload = create(client, "/api/uploads", "brambling.jpg", data).headers["Location"]
            assert patch(client, upload, 0, data[:half]).status_code == 204

            def stalls() -> Iterator[bytes]:
                yield data[half : half + 1000]
                sending.set()
                time.sleep(30)  # the server dies meanwhile
                yield data[half + 1000 :]

            def send() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    patch(client, upload, half, stalls())

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            assert sending.wait(30)
            time.sleep(0.5)  # the first bytes reach the server's file
            proc.kill()  # SIGKILL: no shutdown, no cleanup
            proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    root = tmp_path / "uploads"
    assert [p.relative_to(root).parts[0] for p in files_in(root)] == [".partial"]
    engine = open_engine(str(tmp_path / "library.db"))
    with session_factory(engine)() as session:
        assert all(Path(p).is_file() for p in session.scalars(select(Photo.path)))
    engine.dispose()
    proc = serve(tmp_path, port)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            offset = int(client.head(upload).headers["Upload-Offset"])
            assert half <= offset < len(data)
            done = patch(client, upload, offset, data[offset:])
            assert done.status_code == 204 and done.headers["Smartalbum-Status"] == "stored"
            stored = wait_for_photo(client, upload)
    finally:
        proc.terminate()
        proc.wait(30)
    assert [p.read_bytes() == data for p in files_in(root)] == [True]
    assert files_in(root) == [Path(stored["path"])]
