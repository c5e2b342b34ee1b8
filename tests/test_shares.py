"""Share links over real HTTP: made by an editor, opened by a stranger, revoked, expired, locked.

The server listens beyond loopback with accounts, so everything but the share routes needs
a sign-in; the stranger's client sends no credentials at all.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import LiveServer, assert_error, bearer_headers, copy_catalog, expire_share

PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    editor: dict[str, str]  # headers with an editor's token
    admin: dict[str, str]
    library: str = ""  # the server's catalog


@pytest.fixture
def server(library_settings: Settings, tmp_path: Path) -> Iterator[Server]:
    headers = bearer_headers(library_settings.library, ("editor", "admin"), PASSWORD)
    public = dataclasses.replace(library_settings, host="0.0.0.0")
    with LiveServer(public) as url:
        yield Server(url, headers["editor"], headers["admin"], library_settings.library)


# The plain calls wait as long as the server may take on a loaded machine (httpx's own 5 s
# timed out a search there).
get = functools.partial(httpx.get, timeout=60)
post = functools.partial(httpx.post, timeout=60)
delete = functools.partial(httpx.delete, timeout=60)


def share(server: Server, kind: str, target: str, **body: Any) -> dict[str, Any]:
    answer = post(f"{server.url}/api/{kind}s/{target}/shares", json=body, headers=server.editor)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def keys(value: object) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_a_stranger_sees_only_the_shared_album(server: Server) -> None:
    link = share(server, "album", "pets")
    assert link["url"] == f"/s/{link['token']}" and link["created_by"] == "editor"
    with httpx.Client(base_url=server.url, timeout=60) as stranger:
        page = stranger.get(link["url"])
        assert page.status_code == 200 and "share.js" in page.text
        shown = stranger.get(f"/api/shared/{link['token']}", params={"limit": 500}).json()
        pets = get(
            f"{server.url}/api/albums/pets", params={"limit": 500}, headers=server.editor
        ).json()
        assert shown["title"] == pets["title"] and shown["count"] == pets["count"] >= 2
        assert [p["id"] for p in shown["photos"]] == [p["id"] for p in pets["photos"]]
        assert {"path", "name", "gps", "camera"}.isdisjoint(keys(shown)), "no server paths"
        assert shown["photos"][0]["labels"][0]["label_zh"]
        believable_labels_and_dates(server, shown["photos"])
        inside = shown["photos"][0]["id"]
        base = f"/api/shared/{link['token']}/photos"
        thumb = stranger.get(f"{base}/{inside}/thumbnail")
        assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
        assert stranger.get(f"{base}/{inside}/original").status_code == 200
        outside = first_photo_not_in(server, "pets")
        assert_error(stranger.get(f"{base}/{outside}/thumbnail"), 404, "not_found")
        assert_error(stranger.get(f"{base}/{outside}/original"), 404, "not_found")
        # The link opens nothing else: the rest of the library still needs a sign-in.
        for path in ("/api/albums", f"/api/photos/{inside}", "/api/search?q=cat", "/api/shares"):
            assert_error(stranger.get(path), 401, "unauthorized")


def believable_labels_and_dates(server: Server, photos: list[dict[str, Any]]) -> None:
    """Each shared photo has its date, and of its top three labels only those at 50 % or
    more (a guest cannot tell a 23 % guess from a fact); some were left out."""
    left_out = 0
    for photo in photos:
        full = get(f"{server.url}/api/photos/{photo['id']}", headers=server.editor).json()
        assert photo["taken_at"] and photo["taken_at"] == full["taken_at"]
        top = [
            {k: label[k] for k in ("label", "label_zh", "probability")}
            for label in full["labels"][:3]
        ]
        assert photo["labels"] == [label for label in top if label["probability"] >= 0.5]
        left_out += len(top) - len(photo["labels"])
    assert left_out > 0


def first_photo_not_in(server: Server, album: str) -> int:
    found = get(f"{server.url}/api/search", params={"q": "pizza"}, headers=server.editor)
    for photo in found.json()["photos"]:
        albums = get(f"{server.url}/api/photos/{photo['id']}", headers=server.editor)
        if album not in {a["id"] for a in albums.json()["albums"]}:
            return int(photo["id"])
    raise AssertionError("every pizza is a pet")


def test_revoked_and_expired_links_answer_404_in_both_languages(server: Server) -> None:
    kept, revoked = share(server, "album", "food"), share(server, "album", "food")
    expiring = share(server, "album", "food", expires_in_days=1)
    listed = get(f"{server.url}/api/albums/food/shares", headers=server.editor).json()
    assert {link["id"] for link in listed["links"]} == {kept["id"], revoked["id"], expiring["id"]}
    assert "token" not in keys(listed), "a token is shown once, when it is made"
    gone = delete(f"{server.url}/api/shares/{revoked['id']}", headers=server.editor)
    assert gone.status_code == 200
    expire_share(server.library, expiring["id"])  # as the passing of a day would
    with httpx.Client(base_url=server.url, timeout=60) as stranger:
        assert stranger.get(f"/api/shared/{kept['token']}").status_code == 200
        for link in (revoked, expiring):
            assert stranger.get(link["url"]).status_code == 404
            assert_error(stranger.get(f"/api/shared/{link['token']}"), 404, "not_found")
            zh = stranger.get(f"/api/shared/{link['token']}", headers={"Accept-Language": "zh"})
            assert "分享链接" in assert_error(zh, 404, "not_found")["message"]
    assert_error(
        delete(f"{server.url}/api/shares/{revoked['id']}", headers=server.editor),
        404,
        "not_found",
    )
    log = get(f"{server.url}/api/activity", headers=server.admin).json()["activity"]
    made = [a for a in log if a["action"] == "share.create"]
    assert len(made) == 3 and {a["user"] for a in made} == {"editor"}
    assert [a["user"] for a in log if a["action"] == "share.revoke"] == ["editor"]


def test_a_locked_link_needs_its_password_and_throttles_guesses(server: Server) -> None:
    link = share(server, "album", "pets", password="open sesame!")
    api = f"/api/shared/{link['token']}"
    with httpx.Client(base_url=server.url, timeout=60) as stranger:
        assert_error(stranger.get(api), 401, "share_password_required")
        wrong = stranger.post(f"{api}/unlock", json={"password": "not it at all"})
        assert_error(wrong, 401, "unauthorized")
        assert stranger.post(f"{api}/unlock", json={"password": "open sesame!"}).status_code == 200
        shown = stranger.get(api)
        assert shown.status_code == 200 and shown.json()["count"] >= 2
        photo = shown.json()["photos"][0]["id"]
        assert stranger.get(f"{api}/photos/{photo}/thumbnail").status_code == 200
    with httpx.Client(base_url=server.url, timeout=60) as guesser:
        answers = [
            guesser.post(f"{api}/unlock", json={"password": f"guess {i}"}).status_code
            for i in range(7)
        ]
        # One wrong password came from this address already: the fifth failure locks it.
        assert answers == [401] * 4 + [429] * 3, answers
        assert_error(guesser.get(f"{api}/photos/{photo}/thumbnail"), 401, "share_password_required")


def test_a_viewer_may_not_share_and_bad_requests_change_nothing(
    server: Server, library_settings: Settings
) -> None:
    accounts = Accounts(session_factory(open_engine(library_settings.library)))
    accounts.add("viewer", "viewer", PASSWORD)
    viewer = {"Authorization": f"Bearer {accounts.create_token('viewer', False, None)}"}
    url = f"{server.url}/api/albums/pets/shares"
    assert_error(post(url, json={}, headers=viewer), 403, "forbidden")
    assert_error(get(url, headers=viewer), 403, "forbidden")
    missing = post(f"{server.url}/api/albums/no-such/shares", json={}, headers=server.editor)
    assert_error(missing, 404, "not_found")
    short = post(url, json={"password": "short"}, headers=server.editor)
    assert_error(short, 422, "invalid_request")
    assert get(url, headers=server.editor).json() == {"links": []}


def test_a_shared_moment_shows_its_photos_only(
    trip_library: tuple[Path, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    catalog = copy_catalog(trip_library[0], tmp_path / "library.db")
    accounts = Accounts(session_factory(open_engine(catalog)))
    accounts.add("editor", "editor", PASSWORD)
    editor = {"Authorization": f"Bearer {accounts.create_token('editor', False, None)}"}
    public = dataclasses.replace(settings.with_overrides(library=str(catalog)), host="0.0.0.0")
    with LiveServer(public) as url, httpx.Client(base_url=url, timeout=60) as stranger:
        moments = get(f"{url}/api/moments", headers=editor).json()["moments"]
        first, other = moments[0], moments[1]
        inside = get(f"{url}/api/moments/{first['id']}", headers=editor).json()["photos"]
        outside = get(f"{url}/api/moments/{other['id']}", headers=editor).json()["photos"]
        made = post(f"{url}/api/moments/{first['id']}/shares", json={}, headers=editor)
        assert made.status_code == 201, made.text
        api = f"/api/shared/{made.json()['token']}"
        shown = stranger.get(api).json()
        assert (shown["kind"], shown["title_zh"]) == ("moment", first["title_zh"])
        assert (shown["start"], shown["end"]) == (first["start"], first["end"])
        assert [p["id"] for p in shown["photos"]] == [p["id"] for p in inside]
        assert "path" not in keys(shown)
        assert stranger.get(f"{api}/photos/{inside[0]['id']}/original").status_code == 200
        stray = stranger.get(f"{api}/photos/{outside[0]['id']}/original")
        assert_error(stray, 404, "not_found")
        listed = get(f"{url}/api/moments/{first['id']}/shares", headers=editor).json()
        assert [link["created_by"] for link in listed["links"]] == ["editor"]
        assert get(f"{url}/api/moments/m999999/shares", headers=editor).status_code == 404


def test_a_link_lives_from_a_second_to_ten_years(tmp_path: Path) -> None:
    """The library's own bounds, for every caller (the web's schema has its own)."""
    from smartalbum.errors import RequestError
    from smartalbum.library.shares import ShareLinks

    engine = open_engine(str(tmp_path / "library.db"))
    try:
        links = ShareLinks(session_factory(engine))
        ten_years = 3650 * 86400.0
        made = links.create("album", "pets", None, lifetime=ten_years)
        assert made["expires_at"] - made["created_at"] == pytest.approx(ten_years, abs=1)
        opened = links.open(made["token"])  # asked for nothing more, it lets guests only look
        assert not opened.allow_download and not opened.allow_upload
        second = links.create("album", "pets", None, lifetime=1.0)  # the shortest there is
        for wrong in (0.0, -1.0, ten_years + 1):
            with pytest.raises(RequestError, match="1 second to 10 years"):
                links.create("album", "pets", None, lifetime=wrong)
        made_ids = sorted(link["id"] for link in links.listed())
        assert made_ids == [made["id"], second["id"]]  # nothing else made
    finally:
        engine.dispose()
