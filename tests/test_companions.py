"""One shot, one item: a RAW beside its JPEG, a Live Photo's still and MOV, a Motion Photo's
video inside its JPEG. Files written here (tifffile's DNGs, pillow-heif's HEIC, ffmpeg's MOV
and MP4), indexed for real, read back through HTTP."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from smartalbum.catalog import Photo, open_engine, session_factory
from smartalbum.cli.library_commands import open_library
from smartalbum.ingest.trash import TRASH_FOLDER, Trash
from smartalbum.library import companions
from smartalbum.media import motion
from smartalbum.metadata import read_metadata
from smartalbum.settings import Settings
from tests.helpers import CAT, LiveServer, assert_error, index_folder, make_exif
from tests.stills_files import MAKER_NOTE, apple_maker_note, clip, dng, heic, motion_photo

ORIGINAL = 0x9003  # DateTimeOriginal
SHOT = "2024:07:01 18:05:09"  # the DNGs' time (tests.stills_files.SHOT_AT)
LATER = "2024:07:01 19:30:00"
ID_A, ID_B, ID_C = (f"8B5A1E43-2C6F-4D1A-9E3B-1F2A3B4C5D6{n}" for n in "ABC")
CREATED = "2024-07-01T18:05:09-0700"  # a Live Photo's MOV: the still's local time


class Library(NamedTuple):
    """The folder, its server and the motion videos written into it."""

    folder: Path
    url: str
    mp4: bytes


def jpeg(img: Image.Image, taken: str, maker_note: bytes | None = None) -> bytes:
    detail: dict[int, Any] = {ORIGINAL: taken}
    if maker_note is not None:
        detail[MAKER_NOTE] = maker_note
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=make_exif({}, detail))
    return out.getvalue()


@pytest.fixture(scope="module")
def library(
    samples: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("camera-roll")
    with Image.open(samples / CAT) as opened:
        cat = opened.convert("RGB")
    # a camera's RAW+JPEG; a RAW alone; a RAW and a JPEG of one name but not one time
    (folder / "IMG_0001.DNG").write_bytes(dng(cat, preview=(200, 300)))
    (folder / "IMG_0001.JPG").write_bytes(jpeg(cat, SHOT))
    (folder / "IMG_0002.DNG").write_bytes(dng(cat))
    (folder / "IMG_0003.DNG").write_bytes(dng(cat))
    (folder / "IMG_0003.JPG").write_bytes(jpeg(cat, LATER))
    # Live Photos: paired by content identifier; identifiers that differ; by name and time
    exif = make_exif({}, {ORIGINAL: SHOT, MAKER_NOTE: apple_maker_note(ID_A)}).tobytes()
    (folder / "IMG_0010.HEIC").write_bytes(heic(cat, exif=exif))
    clip(folder / "IMG_0010.MOV", samples / CAT, content_id=ID_A, created="2024-07-01T19:30:00")
    (folder / "IMG_0011.JPG").write_bytes(jpeg(cat, SHOT, apple_maker_note(ID_B)))
    clip(folder / "IMG_0011.MOV", samples / CAT, content_id=ID_C, created=CREATED)
    (folder / "IMG_0012.JPG").write_bytes(jpeg(cat, SHOT))
    clip(folder / "IMG_0012.mov", samples / CAT, created=CREATED)
    # a Google Motion Photo, and its MP4 kept aside (outside the folder) to compare
    mp4 = clip(tmp_path_factory.mktemp("aside") / "clip.mp4", samples / CAT).read_bytes()
    (folder / "PXL_0020.MP.jpg").write_bytes(motion_photo(jpeg(cat, SHOT), mp4))
    catalog = tmp_path_factory.mktemp("catalog") / "library.db"
    assert index_folder(settings, folder, catalog) == 12  # 9 stills and RAWs, 3 MOVs
    with LiveServer(settings.with_overrides(library=str(catalog))) as url:
        yield Library(folder, url, mp4)


@pytest.fixture
def client(library: Library) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=library.url, timeout=60) as c:
        yield c


def shown(client: httpx.Client) -> dict[str, int]:
    """Every photo people see, by file name: in the albums and the moments."""
    found: dict[str, int] = {}
    pages = [f"/api/albums/{a['id']}?limit=500" for a in client.get("/api/albums").json()["albums"]]
    moments = client.get("/api/moments?limit=500").json()["moments"]
    pages += [f"/api/moments/{m['id']}?limit=500" for m in moments]
    for page in pages:
        for photo in client.get(page).json()["photos"]:
            found[Path(photo["path"]).name] = photo["id"]
    return found


def test_a_raw_and_its_jpeg_are_one_item_shown_as_the_jpeg(client: httpx.Client) -> None:
    names = set(shown(client))
    assert {"IMG_0001.JPG", "IMG_0002.DNG", "IMG_0003.DNG", "IMG_0003.JPG"} <= names
    assert "IMG_0001.DNG" not in names  # under its JPEG
    item = client.get(f"/api/photos/{shown(client)['IMG_0001.JPG']}").json()
    assert [(c["name"], c["kind"], c["format"]) for c in item["companions"]] == [
        ("IMG_0001.DNG", "raw", "DNG")
    ]
    assert item["motion"] is False
    # the companion is kept, not shown: its own address is no photo people see
    raw_id = item["companions"][0]["id"]
    assert_error(client.get(f"/api/photos/{raw_id}"), 404, "not_found")
    alone = client.get(f"/api/photos/{shown(client)['IMG_0003.DNG']}").json()
    assert alone["companions"] == [] and alone["format"] == "DNG"


def test_a_live_photo_plays_its_mov_with_range_requests(
    client: httpx.Client, library: Library
) -> None:
    items = shown(client)
    mov = (library.folder / "IMG_0010.MOV").read_bytes()
    # the MOV's time is not the still's: the content identifier paired them
    item = client.get(f"/api/photos/{items['IMG_0010.HEIC']}").json()
    assert item["motion"] is True
    whole = client.get(f"/api/photos/{items['IMG_0010.HEIC']}/motion")
    assert whole.status_code == 200 and whole.content == mov
    assert whole.headers["content-type"] == "video/quicktime"
    part = client.get(
        f"/api/photos/{items['IMG_0010.HEIC']}/motion", headers={"Range": "bytes=100-299"}
    )
    assert part.status_code == 206 and part.content == mov[100:300]
    assert part.headers["content-range"] == f"bytes 100-299/{len(mov)}"
    # no identifiers on one side: the same name and time pair them
    assert client.get(f"/api/photos/{items['IMG_0012.JPG']}").json()["motion"] is True


def test_content_identifiers_that_differ_keep_a_still_alone(client: httpx.Client) -> None:
    items = shown(client)
    assert client.get(f"/api/photos/{items['IMG_0011.JPG']}").json()["motion"] is False
    assert_error(client.get(f"/api/photos/{items['IMG_0011.JPG']}/motion"), 404, "not_found")


def test_a_motion_photo_plays_the_video_inside_it(client: httpx.Client, library: Library) -> None:
    photo = shown(client)["PXL_0020.MP.jpg"]
    assert client.get(f"/api/photos/{photo}").json()["motion"] is True
    whole = client.get(f"/api/photos/{photo}/motion")
    assert whole.status_code == 200 and whole.content == library.mp4
    assert whole.headers["content-type"] == "video/mp4"
    tail = client.get(f"/api/photos/{photo}/motion", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == library.mp4[-50:]
    start = client.get(f"/api/photos/{photo}/motion", headers={"Range": "bytes=0-"})
    assert start.status_code == 206 and start.content == library.mp4
    beyond = client.get(f"/api/photos/{photo}/motion", headers={"Range": f"bytes={10**9}-"})
    assert beyond.status_code == 416


def test_what_a_still_and_a_clip_say_of_themselves(library: Library) -> None:
    still = read_metadata((library.folder / "IMG_0010.HEIC").read_bytes())
    assert (still.format, still.content_id) == ("HEIF", ID_A)
    assert motion.clip(library.folder / "IMG_0010.MOV") == motion.Clip(ID_A, "2024-07-01T19:30:00")
    assert motion.clip(library.folder / "IMG_0012.mov") == motion.Clip(None, "2024-07-01T18:05:09")
    data = (library.folder / "PXL_0020.MP.jpg").read_bytes()
    meta = read_metadata(data)
    assert meta.motion_offset == len(data) - len(library.mp4)
    assert read_metadata((library.folder / "IMG_0001.JPG").read_bytes()).motion_offset is None


@pytest.mark.browser
def test_the_photo_page_plays_the_motion_while_hovered(browser: Any, client: httpx.Client) -> None:
    from playwright.sync_api import expect

    items = shown(client)
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(f"{client.base_url}/gallery#/photo/{items['IMG_0010.HEIC']}")
    photo = page.locator(".detail .photo")
    expect(photo.locator(".live")).to_have_text("LIVE")
    expect(photo.locator("video")).to_have_count(0)
    photo.hover()
    video = photo.locator("video.motion")
    expect(video).to_have_count(1)
    # Chromium decodes the MOV's H.264 frames: the motion plays, not only a box
    page.wait_for_function("() => document.querySelector('video.motion')?.videoWidth > 0")
    page.mouse.move(5, 5)  # off the photo: the still again
    expect(video).to_have_count(0)
    page.goto(f"{client.base_url}/gallery#/photo/{items['IMG_0011.JPG']}")  # no motion: no badge
    expect(page.locator(".detail .photo img")).to_have_count(1)
    expect(page.locator(".detail .photo .live")).to_have_count(0)
    context.close()


def test_health_names_each_decoder(client: httpx.Client) -> None:
    decoders = client.get("/api/health").json()["decoders"]
    assert decoders["heic"].startswith("pi-heif ")
    assert "libavif" in decoders["avif"] and "LibRaw 0." in decoders["raw"]


def test_a_motion_photo_container_directory_says_where_its_video_is(library: Library) -> None:
    still = (library.folder / "IMG_0001.JPG").read_bytes()
    xmp = (
        b'<Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item '
        b'Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/>'
        b'</rdf:li><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" '
        b'Item:Semantic="MotionPhoto" Item:Length="' + str(len(library.mp4)).encode() + b'"/>'
        b"</rdf:li></rdf:Seq></Container:Directory>"
    )
    segment = b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") + b"http://ns.adobe.com/xap/1.0/\x00"
    data = still[:2] + segment + xmp + still[2:] + library.mp4
    assert motion.motion_photo_offset(data) == len(data) - len(library.mp4)
    # a length that does not lead to an MP4 is no video
    assert motion.motion_photo_offset(data[:-1]) is None


def test_a_raw_whose_jpeg_is_gone_stands_alone_again(
    samples: Path, settings: Settings, tmp_path: Path
) -> None:
    with Image.open(samples / CAT) as opened:
        cat = opened.convert("RGB")
    (tmp_path / "roll").mkdir()
    (tmp_path / "roll" / "IMG_0030.DNG").write_bytes(dng(cat))
    (tmp_path / "roll" / "IMG_0030.JPG").write_bytes(jpeg(cat, SHOT))
    catalog = tmp_path / "library.db"

    def companion_of_raw() -> int | None:
        with sqlite3.connect(catalog) as db:
            query = "SELECT companion_of FROM photos WHERE path LIKE '%.DNG'"
            return db.execute(query).fetchone()[0]  # type: ignore[no-any-return]

    assert index_folder(settings, tmp_path / "roll", catalog) == 2
    assert companion_of_raw() is not None
    (tmp_path / "roll" / "IMG_0030.JPG").unlink()
    index_folder(settings, tmp_path / "roll", catalog)
    assert companion_of_raw() is None


def test_a_mov_indexed_after_its_still_goes_under_it(
    samples: Path, settings: Settings, tmp_path: Path
) -> None:
    # Videos are indexed by their own pass; its row is written here as that pass writes one.
    with Image.open(samples / CAT) as opened:
        cat = opened.convert("RGB")
    roll = tmp_path / "roll"
    roll.mkdir()
    (roll / "IMG_0040.JPG").write_bytes(jpeg(cat, SHOT, apple_maker_note(ID_A)))
    catalog = tmp_path / "library.db"
    assert index_folder(settings, roll, catalog) == 1
    mov = clip(roll / "IMG_0040.MOV", samples / CAT, content_id=ID_A, created=CREATED)
    engine = open_engine(str(catalog))
    try:
        with session_factory(engine).begin() as session:
            still = session.scalars(select(Photo)).one()
            assert still.motion_path is None  # no MOV when it was indexed
            video = Photo(path=str(mov), size=1, mtime=0.0, status="ok", format="MOV",
                          indexed_at=0.0)  # fmt: skip
            session.add(video)
            session.flush()
            companions.pair(session, [video.id])
            paired = select(Photo.motion_path).where(Photo.id == still.id)
            under = select(Photo.companion_of).where(Photo.id == video.id)
            assert (session.scalar(paired), session.scalar(under)) == (str(mov), still.id)
    finally:
        engine.dispose()


def test_a_deleted_item_takes_its_companions_to_the_trash_and_back(
    samples: Path, settings: Settings, tmp_path: Path
) -> None:
    with Image.open(samples / CAT) as opened:
        cat = opened.convert("RGB")
    uploads = tmp_path / "uploads"
    roll = uploads / "editor" / "2024" / "07"
    roll.mkdir(parents=True)
    (roll / "IMG_0050.DNG").write_bytes(dng(cat))
    (roll / "IMG_0050.JPG").write_bytes(jpeg(cat, SHOT))
    (roll / "IMG_0051.JPG").write_bytes(jpeg(cat, SHOT, apple_maker_note(ID_A)))
    clip(roll / "IMG_0051.MOV", samples / CAT, content_id=ID_A, created=CREATED)
    catalog = tmp_path / "library.db"
    assert index_folder(settings, uploads, catalog) == 4
    with sqlite3.connect(catalog) as db:  # as the upload route records them
        db.execute("UPDATE photos SET uploaded_by = 'editor'")
    served = settings.with_overrides(library=str(catalog), upload_root=uploads)
    library = open_library(served, regroup=False)
    names = ("IMG_0050.DNG", "IMG_0050.JPG", "IMG_0051.JPG", "IMG_0051.MOV")
    try:
        before = _rows(library, names)
        assert before["IMG_0050.DNG"][2] == before["IMG_0050.JPG"][0]  # the pairs
        assert before["IMG_0051.MOV"][2] == before["IMG_0051.JPG"][0]
        assert before["IMG_0051.JPG"][3] == str(roll / "IMG_0051.MOV")
        trash = Trash(library, served)
        trash.delete([before["IMG_0050.JPG"][0], before["IMG_0051.JPG"][0]], "editor")
        inside = _rows(library, names)
        for name, (number, path, _, _, trashed_at) in inside.items():
            assert trashed_at is not None, name
            assert path == str(uploads / TRASH_FOLDER / str(number) / "editor/2024/07" / name)
            assert Path(path).is_file() and not (roll / name).exists(), name
        assert inside["IMG_0051.JPG"][3] == inside["IMG_0051.MOV"][1]  # its motion, moved
        trash.restore([before["IMG_0050.JPG"][0], before["IMG_0051.JPG"][0]], "editor")
        assert _rows(library, names) == before
        assert all((roll / name).is_file() for name in names)
    finally:
        library.close()


def _rows(library: Any, names: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """(id, path, companion_of, motion_path, trashed_at) of each file, by its name."""
    columns = (Photo.id, Photo.path, Photo.companion_of, Photo.motion_path, Photo.trashed_at)
    with library.sessions() as session:
        rows = session.execute(select(*columns)).all()
    found = {Path(row.path).name: tuple(row) for row in rows}
    assert set(found) == set(names)
    return found


def _album_of(client: httpx.Client, name: str) -> tuple[str, dict[str, Any]]:
    """(an album holding the file called ``name``, that album's listing of it)."""
    for album in client.get("/api/albums").json()["albums"]:
        for photo in client.get(f"/api/albums/{album['id']}?limit=500").json()["photos"]:
            if Path(photo["path"]).name == name:
                return album["id"], photo
    raise AssertionError(f"{name} is in no album")


def test_a_share_link_plays_a_live_photos_motion(client: httpx.Client, library: Library) -> None:
    album, listed = _album_of(client, "IMG_0010.HEIC")
    assert listed["motion"] is True  # the grid's LIVE badge
    assert _album_of(client, "IMG_0011.JPG")[1]["motion"] is False
    link = client.post(f"/api/albums/{album}/shares", json={}).json()
    shared = client.get(f"/api/shared/{link['token']}").json()["photos"]
    motion = {p["id"]: p["motion"] for p in shared}
    assert motion[listed["id"]] is True and not all(motion.values())
    mov = (library.folder / "IMG_0010.MOV").read_bytes()
    base = f"/api/shared/{link['token']}/photos/{listed['id']}/motion"
    with httpx.Client(base_url=library.url, timeout=60) as stranger:  # no cookie, the token
        part = stranger.get(base, headers={"Range": "bytes=100-299"})
        assert part.status_code == 206 and part.content == mov[100:300]
        still = next(i for i, m in motion.items() if not m)
        assert_error(
            stranger.get(f"/api/shared/{link['token']}/photos/{still}/motion"), 404, "not_found"
        )
        unknown = f"/api/shared/{'x' * 43}/photos/{listed['id']}/motion"
        assert_error(stranger.get(unknown), 404, "not_found")


@pytest.mark.browser
def test_live_tiles_are_badged_and_play_on_a_share_page(browser: Any, client: httpx.Client) -> None:
    from playwright.sync_api import expect

    album, listed = _album_of(client, "IMG_0010.HEIC")
    context = browser.new_context(viewport={"width": 375, "height": 800}, has_touch=True)
    page = context.new_page()
    page.goto(f"{client.base_url}/gallery#/album/{album}")
    tile = page.locator(f'.grid a[data-photo="{listed["id"]}"]')
    expect(tile.locator(".live-badge")).to_have_text("LIVE")
    link = client.post(f"/api/albums/{album}/shares", json={}).json()
    page.goto(f"{client.base_url}{link['url']}")
    tile = page.locator(f'#photos a[data-photo="{listed["id"]}"]')
    expect(tile.locator(".live-badge")).to_have_text("LIVE")
    expect(page.locator("#photos .live-badge")).not_to_have_count(0)
    tile.hover()
    expect(tile.locator("video.motion-over")).to_have_count(1)
    page.wait_for_function("() => document.querySelector('video.motion-over')?.videoWidth > 0")
    page.mouse.move(370, 790)
    expect(tile.locator("video.motion-over")).to_have_count(0)
    context.close()
