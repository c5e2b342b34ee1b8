"""Albums people make, favourites, the archive and acting on a selection, over real HTTP.

One server for the module (listening beyond loopback, so everyone signs in with a token of
their role) on a copy of the indexed catalog; each test makes its own albums and undoes
its marks.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.cli import main
from smartalbum.errors import RulesError
from smartalbum.library import activity, marks
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.user_albums import UserAlbums
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import CAT, LiveServer, assert_error, bearer_headers, copy_catalog

PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    settings: Settings
    headers: dict[str, dict[str, str]]
    opened: list[httpx.Client] = dataclasses.field(default_factory=list)

    def client(self, role: str) -> httpx.Client:
        """A client signed in as ``role``, closed with the server (an unclosed one warns)."""
        headers = self.headers.get(role, {})  # "guest": nobody signed in
        client = httpx.Client(base_url=self.url, headers=headers, timeout=120)
        self.opened.append(client)
        return client


@pytest.fixture(scope="module")
def server(
    settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("user-albums")
    catalog = copy_catalog(indexed.catalog, home / "library.db")
    mine = dataclasses.replace(settings.with_overrides(library=str(catalog)), host="0.0.0.0")
    headers = bearer_headers(mine.library, ("admin", "editor", "viewer"), PASSWORD)
    with LiveServer(mine) as url:
        server = Server(url, mine, headers)
        yield server
        for client in server.opened:
            client.close()


def ids_by_name(client: httpx.Client) -> dict[str, int]:
    """Every photo of the library by file name (through the smart albums and a search)."""
    found: dict[str, int] = {}
    for album in client.get("/api/albums").json()["albums"]:
        page = client.get(f"/api/albums/{album['id']}", params={"limit": 500}).json()
        found |= {Path(p["path"]).name: p["id"] for p in page["photos"]}
    return found


def activity_rows(server: Server, action: str) -> list[dict[str, Any]]:
    rows = server.client("admin").get("/api/activity", params={"limit": 1000}).json()
    return [r for r in rows["activity"] if r["action"] == action]


def test_an_editor_makes_renames_fills_orders_and_deletes_an_album(server: Server) -> None:
    editor = server.client("editor")
    photos = ids_by_name(editor)
    cat, daisy, pizza = photos[CAT], photos["n11939491_daisy.JPEG"], photos["n07873807_pizza.JPEG"]
    made = editor.post("/api/user-albums", json={"title": "Trip", "ids": [pizza, cat]})
    assert made.status_code == 201, made.text
    album = made.json()
    assert (album["title"], album["title_zh"], album["owner"], album["count"]) == (
        "Trip", "Trip", "editor", 2)  # fmt: skip
    path = f"/api/user-albums/{album['id']}"

    renamed = editor.patch(path, json={"title": "Summer trip", "title_zh": "夏日旅行"}).json()
    assert (renamed["title"], renamed["title_zh"]) == ("Summer trip", "夏日旅行")
    added = editor.post(path + "/photos", json={"ids": [daisy, cat]}).json()
    assert (added["added"], added["already"]) == ([daisy], [cat])

    editor.post(path + "/order", json={"ids": [daisy, pizza]}).raise_for_status()
    page = editor.get(path).json()
    assert [p["id"] for p in page["photos"]] == [daisy, pizza, cat]
    assert page["order"] == "manual"
    assert page["photos"][0]["name"] == "n11939491_daisy.JPEG"

    assert editor.patch(path, json={"cover": pizza}).json()["cover"] == pizza
    violin = photos["n04536866_violin.JPEG"]
    assert_error(editor.patch(path, json={"cover": violin}), 404, "not_found")
    assert_error(editor.post(path + "/order", json={"ids": [violin]}), 404, "not_found")
    removed = editor.post(path + "/photos/remove", json={"ids": [pizza]}).json()
    assert removed["removed"] == [pizza]
    page = editor.get(path).json()
    assert page["count"] == 2 and page["cover"] == daisy  # the cover left: the first is it

    listed = editor.get("/api/user-albums").json()["albums"]
    assert any(a["id"] == album["id"] and a["title"] == "Summer trip" for a in listed)
    assert editor.delete(path).json() == {"deleted": album["id"]}
    assert_error(editor.get(path), 404, "not_found")
    assert editor.get(f"/api/photos/{cat}").status_code == 200  # its photos stay
    kinds = {r["action"] for r in server.client("admin").get("/api/activity").json()["activity"]}
    assert {activity.ALBUM_CREATE, activity.ALBUM_EDIT, activity.ALBUM_ADD,
            activity.ALBUM_REMOVE, activity.ALBUM_DELETE} <= kinds  # fmt: skip


def test_a_cover_in_the_trash_gives_way_and_cannot_be_chosen(server: Server) -> None:
    editor = server.client("editor")
    photos = ids_by_name(editor)
    daisy, pizza = photos["n11939491_daisy.JPEG"], photos["n07873807_pizza.JPEG"]
    album = editor.post("/api/user-albums", json={"title": "Covers", "ids": [daisy, pizza]}).json()
    path = f"/api/user-albums/{album['id']}"
    assert editor.patch(path, json={"cover": pizza}).json()["cover"] == pizza

    def smart_counts() -> dict[str, int]:  # the smart albums' listing, kept between changes
        return {a["id"]: a["count"] for a in editor.get("/api/albums").json()["albums"]}

    before = smart_counts()
    editor.post("/api/trash", json={"ids": [pizza]}).raise_for_status()
    try:
        page = editor.get(path).json()
        assert (page["count"], page["cover"]) == (1, daisy)  # its member row kept for a restore
        assert_error(editor.patch(path, json={"cover": pizza}), 404, "not_found")
        assert sum(smart_counts().values()) < sum(before.values())  # the listing followed
    finally:
        editor.post("/api/trash/restore", json={"ids": [pizza]}).raise_for_status()
        editor.delete(path).raise_for_status()
    assert editor.get(path).status_code == 404
    assert smart_counts() == before


def test_a_viewer_sees_albums_but_cannot_change_one(server: Server) -> None:
    editor, viewer = server.client("editor"), server.client("viewer")
    cat = ids_by_name(editor)[CAT]
    album = editor.post("/api/user-albums", json={"title": "Cats", "ids": [cat]}).json()
    path = f"/api/user-albums/{album['id']}"
    assert viewer.get(path).json()["count"] == 1
    assert any(a["id"] == album["id"] for a in viewer.get("/api/user-albums").json()["albums"])
    refused = [
        viewer.post("/api/user-albums", json={"title": "Mine"}),
        viewer.patch(path, json={"title": "Dogs"}),
        viewer.delete(path),
        viewer.post(path + "/photos", json={"ids": [cat]}),
        viewer.post(path + "/photos/remove", json={"ids": [cat]}),
        viewer.post(path + "/order", json={"ids": [cat]}),
        viewer.post(path + "/shares", json={}),
        viewer.post("/api/selection/archive", json={"ids": [cat]}),
        viewer.post("/api/selection/labels", json={"ids": [cat], "action": "set", "wnid": "tabby"}),
    ]
    for answer in refused:
        assert_error(answer, 403, "forbidden")
    # Another editor may change an album someone else made.
    other_editor = server.client("admin")
    assert other_editor.patch(path, json={"title": "Our cats"}).json()["owner"] == "editor"


def test_bad_album_input_is_a_clear_error(server: Server) -> None:
    editor = server.client("editor")
    assert_error(editor.post("/api/user-albums", json={"title": "   "}), 422, "invalid_request")
    assert_error(editor.post("/api/user-albums", json={"title": "x", "ids": [2**40]}), 404,
                 "not_found")  # fmt: skip
    assert_error(editor.get("/api/user-albums/12abc"), 404, "not_found")
    assert_error(editor.patch("/api/user-albums/999999", json={"title": "x"}), 404, "not_found")
    assert editor.get("/api/user-albums").json()["albums"] is not None


def test_favourites_are_each_persons_own(server: Server) -> None:
    editor, viewer = server.client("editor"), server.client("viewer")
    photos = ids_by_name(editor)
    three = [photos[CAT], photos["n11939491_daisy.JPEG"], photos["n09193705_alp.JPEG"]]
    answer = viewer.post("/api/selection/favourite", json={"ids": three})
    assert answer.json()["changed"] == sorted(three)
    assert viewer.get("/api/favourites").json()["ids"] == sorted(three)
    assert editor.get("/api/favourites").json()["ids"] == []  # someone else's hearts
    found = viewer.get("/api/search", params={"q": "is:favourite"}).json()
    assert sorted(p["id"] for p in found["photos"]) == sorted(three)
    cats = viewer.get("/api/search", params={"q": "cat is:favourite"}).json()
    assert [p["id"] for p in cats["photos"]] == [photos[CAT]]
    assert editor.get("/api/search", params={"q": "is:favourite"}).json()["photos"] == []
    viewer.post("/api/selection/favourite", json={"ids": three, "on": False}).raise_for_status()
    assert viewer.get("/api/favourites").json()["ids"] == []
    hearts = activity_rows(server, activity.FAVOURITE)  # one entry for the three
    assert [(r["user"], r["subject"]) for r in hearts] == [
        ("viewer", activity.photos_subject(three))
    ]
    assert len(activity_rows(server, activity.UNFAVOURITE)) == 1


def test_archived_photos_leave_the_timeline_and_search_until_asked(server: Server) -> None:
    editor = server.client("editor")
    cat = ids_by_name(editor)[CAT]

    def in_moments() -> bool:
        moments = editor.get("/api/moments", params={"limit": 500}).json()["moments"]
        return any(
            p["id"] == cat
            for m in moments
            for p in editor.get(f"/api/moments/{m['id']}", params={"limit": 500}).json()["photos"]
        )

    assert in_moments()
    before = len(activity_rows(server, activity.ARCHIVE))
    assert editor.post("/api/selection/archive", json={"ids": [cat]}).json()["changed"] == [cat]
    try:
        assert not in_moments()
        found = editor.get("/api/search", params={"q": "Egyptian cat"}).json()["photos"]
        assert cat not in [p["id"] for p in found]
        asked = editor.get("/api/search", params={"q": "is:archived"}).json()["photos"]
        assert [p["id"] for p in asked] == [cat]
        asked = editor.get("/api/search", params={"q": "cat is:archived"}).json()["photos"]
        assert [p["id"] for p in asked] == [cat]
        assert editor.get(f"/api/photos/{cat}").status_code == 200  # still in the library
        assert len(activity_rows(server, activity.ARCHIVE)) == before + 1
    finally:
        editor.post("/api/selection/archive", json={"ids": [cat], "on": False}).raise_for_status()
    assert in_moments()


def test_a_selection_is_corrected_in_one_request_and_one_entry(server: Server) -> None:
    editor = server.client("editor")
    photos = ids_by_name(editor)
    chosen = [photos["n02099601_golden_retriever.JPEG"], photos["n07873807_pizza.JPEG"]]
    before = len(activity_rows(server, activity.RELABEL))
    done = editor.post("/api/selection/labels",
                       json={"ids": chosen, "action": "set", "wnid": "tabby"})  # fmt: skip
    assert done.json()["corrected"] == sorted(chosen), done.text
    for photo in chosen:
        assert editor.get(f"/api/photos/{photo}").json()["labels"][0]["label"] == "tabby"
    rows = activity_rows(server, activity.RELABEL)
    assert len(rows) == before + 1 and rows[0]["user"] == "editor"
    # One unknown photo: none is corrected.
    clear = {"action": "clear", "wnid": "tabby"}
    bad = editor.post("/api/selection/labels", json={"ids": [*chosen, 2**40], **clear})
    assert_error(bad, 404, "not_found")
    assert editor.get(f"/api/photos/{chosen[0]}").json()["labels"][0]["label"] == "tabby"
    editor.post("/api/selection/labels", json={"ids": chosen, **clear}).raise_for_status()


def test_a_person_s_album_is_shared_alone(server: Server) -> None:
    editor = server.client("editor")
    photos = ids_by_name(editor)
    flowers = {"title": "Flowers", "ids": [photos["n11939491_daisy.JPEG"]]}
    album = editor.post("/api/user-albums", json=flowers).json()
    link = editor.post(f"/api/user-albums/{album['id']}/shares", json={})
    assert link.status_code == 201, link.text
    token = link.json()["token"]
    guest = server.client("guest")
    shown = guest.get(f"/api/shared/{token}").json()
    assert (shown["kind"], shown["title"], shown["count"]) == ("user_album", "Flowers", 1)
    daisy = photos["n11939491_daisy.JPEG"]
    assert guest.get(f"/api/shared/{token}/photos/{daisy}/thumbnail").status_code == 200
    assert_error(guest.get(f"/api/shared/{token}/photos/{photos[CAT]}/thumbnail"), 404, "not_found")
    assert_error(guest.get(f"/api/shared/{token}/download"), 403, "forbidden")  # not allowed
    listed = editor.get(f"/api/user-albums/{album['id']}/shares").json()["links"]
    assert [x["kind"] for x in listed] == ["user_album"]


def test_the_command_line_makes_and_fills_albums(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "library.db"
    copy_catalog(Path(server.settings.library), catalog)
    with httpx.Client(base_url=server.url, headers=server.headers["viewer"]) as client:
        cat = ids_by_name(client)[CAT]

    def run(*args: str) -> Any:
        assert main([*args, "--library", str(catalog), "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    made = run("user-albums", "create", "Cats", str(cat), "--zh", "猫")
    assert (made["title_zh"], made["count"], made["owner"]) == ("猫", 1, None)
    assert run("user-albums", "rename", str(made["id"]), "--title", "Kittens")["title"] == "Kittens"
    assert run("user-albums", "list")[0]["title"] == "Kittens"
    assert run("favourite", str(cat)) == {"changed": [cat]}
    assert run("archive", str(cat)) == {"changed": [cat]}
    zipped = tmp_path / "cats.zip"
    assert (
        main(["user-albums", "download", str(made["id"]), str(zipped), "--library", str(catalog)])
        == 0
    )
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist() == [CAT]
    engine = open_engine(str(catalog))
    try:
        sessions = session_factory(engine)
        with sessions() as session:
            assert marks.favourite_ids(session, None) == {cat}
            assert marks.archived_ids(session) == {cat}
        assert UserAlbums(sessions).listed()[0]["count"] == 1
    finally:
        engine.dispose()


RULES = """
[albums.loved]
title = "Loved"
title_zh = "最爱"
marks = ["favourite"]

[albums.hidden]
title = "Archived"
title_zh = "已归档"
marks = ["is:archived"]
"""


def test_album_rules_may_name_favourites_and_the_archive(
    settings: Settings, indexed: Indexed, tmp_path: Path
) -> None:
    rules = tmp_path / "albums.toml"
    rules.write_text(RULES, "utf-8")
    catalog = copy_catalog(indexed.catalog, tmp_path / "library.db")
    library = PhotoLibrary.open(settings.with_overrides(library=str(catalog), albums_file=rules))
    try:
        cat = library.find(str(indexed.root / CAT))

        def members(album: str) -> list[int]:
            return [p["id"] for p in library.album(album, 0, 500)["photos"]]

        assert members("loved") == members("hidden") == []
        marks.set_favourite(library.sessions, "mia", [cat], True, library.rules)
        assert members("loved") == [cat]  # anyone's heart
        marks.set_archived(library.sessions, "mia", [cat], True, library.rules)
        assert members("hidden") == [cat]
        marks.set_favourite(library.sessions, "mia", [cat], False, library.rules)
        marks.set_archived(library.sessions, "mia", [cat], False, library.rules)
        assert members("loved") == members("hidden") == []
    finally:
        library.close()
    rules.write_text(RULES.replace('"favourite"', '"liked"'), "utf-8")
    with pytest.raises(RulesError, match="'liked' is not a mark"):
        PhotoLibrary.open(settings.with_overrides(library=str(catalog), albums_file=rules))
