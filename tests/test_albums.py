"""Smart albums on a real SQLite catalog: groups, rules files, membership, search, corrections."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.albums import RulesError, RulesWatcher, class_groups, load_rules
from smartalbum.catalog import OK, Photo, PhotoLabel, open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.errors import NotFoundError, RequestError
from smartalbum.library.indexer import Indexer
from smartalbum.library.service import PhotoLibrary
from smartalbum.models.labels import LabelSet, load_labels
from smartalbum.search.service import search
from smartalbum.settings import Settings
from tests.helpers import CAT, all_at_once

LABELS = load_labels()
GROUPS = class_groups()
ALBUMS = {
    "winter": ("Winter travel", "冬季旅行"),
    "pets": ("My pets", "我的宠物"),
    "food": ("Food", "美食"),
    "scenery": ("Scenery", "自然风光"),
    "seaside": ("Seaside", "海边"),
    "wildlife": ("Wildlife", "动物"),
    "vehicles": ("Vehicles & travel", "出行"),
    "architecture": ("Architecture", "城市建筑"),
    "sports": ("Sports", "运动"),
    "plants": ("Flowers & plants", "花草"),
    "documents": ("Documents & screens", "文档截图"),
    "music": ("Music", "音乐"),
}
# A class that on its own, at 0.9, must put a photo in each default album.
TYPICAL = {
    "winter": "alp",
    "pets": "golden retriever",
    "food": "pizza",
    "scenery": "valley",
    "seaside": "seashore",
    "wildlife": "zebra",
    "vehicles": "sports car",
    "architecture": "church",
    "sports": "basketball",
    "plants": "daisy",
    "documents": "web site",
    "music": "violin",
}


def wnid(name: str, labels: LabelSet = LABELS) -> str:
    return next(c.wnid for c in labels.classes if c.en == name)


def add_photo(sessions: sessionmaker[Session], path: str, labels: list[tuple[str, float]]) -> int:
    """A catalogued photo with the given (English class name, probability) top labels."""
    with sessions.begin() as s:
        photo = Photo(path=path, size=1, mtime=1.0, status=OK, indexed_at=time.time())
        for rank, (name, probability) in enumerate(labels, 1):
            c = LABELS.by_wnid(wnid(name))
            photo.predictions.append(
                PhotoLabel(rank=rank, class_index=c.index, wnid=c.wnid, probability=probability)
            )
        s.add(photo)
        s.flush()
        return photo.id


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    return session_factory(open_engine(tmp_path / "library.db"))


def library(sessions: sessionmaker[Session], rules: Path | None = None) -> PhotoLibrary:
    """The library of a test catalog, grouped under its rules as ``PhotoLibrary.open`` does."""
    lib = PhotoLibrary(sessions, LABELS, RulesWatcher(rules, LABELS, GROUPS))
    lib.refresh()
    return lib


def album_ids(lib: PhotoLibrary, photo_id: int) -> list[str]:
    return [a["id"] for a in lib.photo(photo_id)["albums"]]


# --- the groups data -----------------------------------------------------------------------


def test_every_class_is_in_a_named_group() -> None:
    assert len(GROUPS.of_class) == 1000
    assert all(GROUPS.of_class), "a class without a group"
    used = {g for groups in GROUPS.of_class for g in groups}
    assert used <= set(GROUPS.by_id), used - set(GROUPS.by_id)
    required_groups = (
        "animal pet dog cat bird food plant landscape water winter vehicle building sport "
        "indoor clothing instrument electronics document"
    )
    for required in required_groups.split(" "):
        assert GROUPS[required].classes, required
    assert all(g.en and g.zh for g in GROUPS.by_id.values())


def test_dog_breeds_and_house_cats_are_pets_wolves_and_lions_are_not() -> None:
    pets = load_rules(None, LABELS, GROUPS).get("pets")
    assert pets is not None
    dogs = set(range(LABELS.index_of("n02085620"), LABELS.index_of("n02113978") + 1))
    assert len(dogs) == 118 and dogs == set(GROUPS["dog"].classes) and dogs <= pets.classes
    house_cats = {LABELS.index_of(wnid(n)) for n in ("tabby", "Persian cat", "Egyptian cat")}
    assert house_cats <= pets.classes
    for wild in ("timber wolf", "lion", "zebra"):
        assert LABELS.index_of(wnid(wild)) not in pets.classes


# --- rules files ---------------------------------------------------------------------------


def test_built_in_albums_in_order_with_both_titles() -> None:
    rules = load_rules(None, LABELS, GROUPS)
    assert [(a.id, (a.title, a.title_zh)) for a in rules.albums] == list(ALBUMS.items())
    assert {"ski", "alp"} <= {LABELS[i].en for i in rules.get("winter").classes}  # type: ignore[union-attr]


@pytest.mark.parametrize("album", list(TYPICAL))
def test_every_default_album_on_stored_predictions(
    sessions: sessionmaker[Session], album: str
) -> None:
    photo = add_photo(sessions, f"/p/{album}.jpg", [(TYPICAL[album], 0.9), ("mortar", 0.05)])
    other = add_photo(sessions, "/p/other.jpg", [("mortar", 0.9), ("pitcher", 0.05)])
    lib = library(sessions)
    assert album in album_ids(lib, photo)
    assert album not in album_ids(lib, other)
    shown = lib.album(album)
    assert shown["count"] == 1 and shown["photos"] == [
        {"id": photo, "path": f"/p/{album}.jpg", "score": 0.9, "motion": False}
    ]


def test_scores_add_up_over_classes(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[albums.winter]\nmin_probability = 0.5\n")
    both = add_photo(sessions, "/p/both.jpg", [("ski", 0.3), ("alp", 0.3), ("pizza", 0.2)])
    one = add_photo(sessions, "/p/one.jpg", [("ski", 0.3), ("pizza", 0.3), ("mortar", 0.2)])
    lib = library(sessions, rules)
    assert "winter" in album_ids(lib, both) and "winter" not in album_ids(lib, one)
    assert lib.album("winter")["photos"][0]["score"] == 0.6
    rules.write_text('[albums.winter]\nmin_probability = 0.5\ncombine = "max"\n')
    lib.refresh()  # the edit, as a server's rules watcher applies it
    assert "winter" not in album_ids(lib, both)  # no single label reaches 0.5


def test_a_user_file_adds_changes_and_hides_albums(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        "[albums.pets]\nmin_probability = 0.6\n\n"
        "[albums.music]\nenabled = false\n\n"
        '[albums.cats]\ntitle = "Cats"\ntitle_zh = "猫咪"\ngroups = ["cat"]\n'
        'keywords = ["lynx", "雪豹"]\nexclude_classes = ["tiger cat"]\n'
    )
    rules = load_rules(path, LABELS, GROUPS)
    ids = [a.id for a in rules.albums]
    assert ids == [*(a for a in ALBUMS if a != "music"), "cats"]
    pets = rules.get("pets")
    assert pets is not None and pets.min_probability == 0.6 and pets.title_zh == "我的宠物"
    cats = rules.get("cats")
    assert cats is not None
    names = {LABELS[i].en for i in cats.classes}
    assert names == {"tabby", "Persian cat", "Siamese cat", "Egyptian cat", "lynx", "snow leopard"}
    assert rules.digest != load_rules(None, LABELS, GROUPS).digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[albums.pets\nmin_probability = 0.5\n", "not valid TOML: .*line 1"),
        ("\n[albums.pets]\ncolour = 'red'\n", r"line 3: album 'pets': unknown key 'colour'"),
        ("[albums.pets]\n\ngroups = ['dogz']\n", r"line 3: .*unknown group 'dogz'"),
        ("[albums.x]\ntitle = 'X'\ntitle_zh = 'X'\nclasses = ['n0000']\n", r"line 4: .*'n0000'"),
        ("[albums.pets]\nmin_probability = 1.5\n", r"line 2: .*min_probability must be in"),
        ("[albums.pets]\nmin_probability = 'high'\n", r"line 2: .*wrong type"),
        ("[albums.pets]\ncombine = 'avg'\n", r"line 2: .*combine must be"),
        ("[albums.new]\ngroups = ['cat']\n", r"line 1: album 'new': a new album needs title"),
        ("[albums.x]\ntitle = 'X'\ntitle_zh = 'X'\n", r"line 1: .*matches no class"),
        ("[albums.'Bad Id']\ntitle = 'X'\n", r"line 1: .*lower-case"),
        ("[album.pets]\n", r"line 1: unknown top-level key 'album'"),
    ],
)
def test_a_bad_rules_file_names_the_line_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "my-rules.toml"
    path.write_text(text)
    with pytest.raises(RulesError, match=f"my-rules.toml.*{message}"):
        load_rules(path, LABELS, GROUPS)


def test_reload_regroups_from_stored_labels_and_keeps_good_rules_on_error(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("")
    ids = [add_photo(sessions, f"/p/{i}.jpg", [("tabby", 0.1 * i)]) for i in range(1, 10)]
    lib = library(sessions, path)
    counts = {a["id"]: a["count"] for a in lib.albums()}
    assert counts["pets"] == 8  # 0.2 and up
    path.write_text("[albums.pets]\nmin_probability = 0.75\n")
    lib.refresh()  # what a server's rules watcher does when it sees the file change
    assert {a["id"]: a["count"] for a in lib.albums()}["pets"] == 2  # picked up at once
    path.write_text("[albums.pets]\nmin_probability = 'x'\n")
    lib.refresh()
    assert {a["id"]: a["count"] for a in lib.albums()}["pets"] == 2  # previous rules stay
    assert lib.watcher.error is not None and "line 2" in lib.watcher.error.message
    with pytest.raises(RulesError):
        lib.watcher.reload()
    assert [p["id"] for p in lib.album("pets")["photos"]] == [ids[8], ids[7]]


def test_albums_reload_and_dry_run_on_the_command_line_load_no_model(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    for i in range(1, 10):
        add_photo(sessions, f"/p/{i}.jpg", [("tabby", 0.1 * i)])
    library_path = sessions.kw["bind"].url.database
    candidate = tmp_path / "candidate.toml"
    candidate.write_text("[albums.pets]\nmin_probability = 0.75\n")
    script = (
        "import json, sys\n"
        "from smartalbum.cli import main\n"
        f"assert main(['albums', '--library', {library_path!r}, '--json']) == 0\n"
        f"assert main(['albums', '--library', {library_path!r}, '--json', "
        f"'--dry-run', {str(candidate)!r}]) == 0\n"
        "assert 'onnxruntime' not in sys.modules and 'torch' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    decoder = json.JSONDecoder()
    listed, end = decoder.raw_decode(done.stdout)
    preview, _ = decoder.raw_decode(done.stdout[end:].lstrip())
    assert {"id": "pets", "title": "My pets", "title_zh": "我的宠物", "count": 8} in listed
    pets = next(row for row in preview if row["id"] == "pets")
    assert (pets["before"], pets["after"], pets["added"], pets["removed"]) == (8, 2, 0, 6)
    assert {a["id"]: a["count"] for a in library(sessions).albums()}["pets"] == 8  # unchanged


def test_requests_grouping_a_new_catalog_at_once_all_succeed(
    sessions: sessionmaker[Session],
) -> None:
    for i in range(5):
        add_photo(sessions, f"/p/{i}.jpg", [("tabby", 0.9)])
    assert (
        all_at_once(lambda: library(sessions), 6) == []
    )  # the first sync's record of the rules, written by one of them
    lib = library(sessions)
    assert {a["id"]: a["count"] for a in lib.albums()}["pets"] == 5


@pytest.mark.soak  # 20,000 photos
def test_regrouping_a_large_library_takes_seconds(sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import insert

    with sessions.begin() as s:
        s.execute(
            insert(Photo),
            [
                {"path": f"/p/{i}.jpg", "size": 1, "mtime": 1.0, "status": OK, "indexed_at": 1.0}
                for i in range(20_000)
            ],
        )
        s.execute(
            insert(PhotoLabel),
            [
                {"photo_id": i, "rank": r, "class_index": (i * 7 + r * 131) % 1000,
                 "wnid": "n", "probability": 0.5 / r}
                for i in range(1, 20_001) for r in range(1, 6)
            ],
        )  # fmt: skip
    lib = PhotoLibrary(sessions, LABELS, RulesWatcher(None, LABELS, GROUPS))
    assert lib.refresh() == 20_000
    assert lib.refresh() == 0  # nothing stale: nothing redone
    assert sum(a["count"] for a in lib.albums()) > 5_000


# --- search --------------------------------------------------------------------------------


@pytest.fixture
def searchable(sessions: sessionmaker[Session]) -> Iterator[tuple[PhotoLibrary, dict[str, int]]]:
    photos = {
        "tabby": add_photo(sessions, "/p/tabby.jpg", [("tabby", 0.7), ("tiger cat", 0.15)]),
        "egyptian": add_photo(sessions, "/p/eg.jpg", [("Egyptian cat", 0.5), ("lynx", 0.1)]),
        "owl": add_photo(sessions, "/p/owl.jpg", [("great grey owl", 0.9)]),
        "ski": add_photo(sessions, "/p/ski.jpg", [("ski", 0.6), ("alp", 0.3)]),
        "pizza": add_photo(sessions, "/p/pizza.jpg", [("pizza", 0.8), ("tabby", 0.01)]),
    }
    yield library(sessions), photos


@pytest.mark.parametrize("query", ["猫", "cat", "Cats", "  CAT "])
def test_search_cats_in_both_languages(
    searchable: tuple[PhotoLibrary, dict[str, int]], query: str
) -> None:
    lib, photos = searchable
    found = search(lib, query)
    assert [p["id"] for p in found["photos"]] == [photos["tabby"], photos["egyptian"]]
    top = found["photos"][0]
    assert (top["label"], top["label_zh"], top["path"]) == ("tabby", "虎斑猫", "/p/tabby.jpg")
    assert top["score"] == pytest.approx(0.85)  # tabby + tiger cat


def test_search_by_group_alias_album_title_and_part_of_a_name(
    searchable: tuple[PhotoLibrary, dict[str, int]],
) -> None:
    lib, photos = searchable
    assert [p["id"] for p in search(lib, "snow")["photos"]] == [photos["ski"]]
    assert [p["id"] for p in search(lib, "雪")["photos"]] == [photos["ski"]]
    assert [p["id"] for p in search(lib, "冬季旅行")["photos"]] == [photos["ski"]]
    assert search(lib, "Winter travel")["albums"] == ["winter"]
    assert [p["id"] for p in search(lib, "owl")["photos"]] == [photos["owl"]]
    assert [p["id"] for p in search(lib, "披萨")["photos"]] == [photos["pizza"]]
    assert search(lib, "no such thing")["total"] == 0
    everything = search(lib, "  ")  # nothing to look for: every photo, newest first
    assert everything["total"] == len(photos) and not everything["interpretation"]


PARIS = {"city": "Paris", "region": "Île-de-France", "country": "France", "country_code": "FR",
         "city_zh": "巴黎", "region_zh": "法兰西岛大区", "country_zh": "法国"}  # fmt: skip
SAPPORO = {"city": "Sapporo", "region": "Hokkaido", "country": "Japan", "country_code": "JP",
           "city_zh": "札幌", "region_zh": "北海道", "country_zh": "日本"}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "paris", "sapporo"),
    [("Paris", True, False), ("paris, france", True, False), ("ile-de-france", True, False),
     ("France", True, False), ("巴黎", True, False), ("法国巴黎", True, False),
     ("北海道", False, True), ("日本北海道", False, True), ("日本 北海道 札幌", False, True),
     ("japan", False, True), ("Hokkaido, Japan", False, True), ("Sapporo, France", False, False),
     ("par", False, False), ("", False, False)],
)  # fmt: skip
def test_place_names_match_in_both_languages(query: str, paris: bool, sapporo: bool) -> None:
    from smartalbum.places.stored import matches

    assert (matches(PARIS, query), matches(SAPPORO, query)) == (paris, sapporo)


def test_search_finds_photos_by_their_stored_place(
    searchable: tuple[PhotoLibrary, dict[str, int]], sessions: sessionmaker[Session]
) -> None:
    from sqlalchemy import update

    lib, photos = searchable
    with sessions.begin() as s:
        for name, place in (("ski", SAPPORO), ("pizza", PARIS), ("owl", PARIS)):
            stored = json.dumps(place, ensure_ascii=False)
            s.execute(update(Photo).where(Photo.id == photos[name]).values(place=stored))
    found = search(lib, "北海道")
    assert [p["id"] for p in found["photos"]] == [photos["ski"]]
    assert found["photos"][0]["place"]["city_zh"] == "札幌" and found["places"] == [SAPPORO]
    assert {p["id"] for p in search(lib, "Paris")["photos"]} == {photos["pizza"], photos["owl"]}
    # A label and a place in one word: both kinds of photo, the place counting as certain.
    both = search(lib, "pizza")["photos"]
    assert [p["id"] for p in both] == [photos["pizza"]] and both[0]["place"] is None
    assert lib.photo(photos["ski"])["place"] == SAPPORO
    assert lib.photo(photos["tabby"])["place"] is None


# --- corrections ---------------------------------------------------------------------------


def test_corrections_outrank_the_model_and_move_the_photo(
    searchable: tuple[PhotoLibrary, dict[str, int]],
) -> None:
    lib, photos = searchable
    tabby = photos["tabby"]
    assert album_ids(lib, tabby) == ["pets"]
    after = lib.correct(tabby, "reject", "tabby")
    assert [lbl["label"] for lbl in after["labels"]] == ["tiger cat"]
    assert after["albums"] == []  # 0.15 alone is not enough for pets
    assert tabby not in [p["id"] for p in search(lib, "虎斑猫")["photos"]]
    after = lib.correct(tabby, "set", "n11939491")  # daisy
    assert [(lbl["label"], lbl["probability"], lbl["source"]) for lbl in after["labels"]] == [
        ("daisy", 1.0, "set")
    ]
    assert [a["id"] for a in after["albums"]] == ["plants"]
    assert [p["id"] for p in lib.album("plants")["photos"]] == [tabby]
    assert lib.album("pets")["count"] == 1  # only the Egyptian cat is left
    lib.correct(tabby, "set", "雏菊")  # the same class by its Chinese name: still one
    assert sorted(c["action"] for c in lib.photo(tabby)["corrections"]) == ["reject", "set"]
    lib.correct(tabby, "clear", "daisy")
    lib.correct(tabby, "clear", "tabby")
    assert album_ids(lib, tabby) == ["pets"] and lib.photo(tabby)["corrections"] == []
    confirmed = lib.correct(photos["egyptian"], "confirm", "lynx")
    assert confirmed["labels"][0] == {
        "rank": 1, "index": LABELS.index_of(wnid("lynx")), "wnid": wnid("lynx"),
        "label": "lynx", "label_zh": LABELS.by_wnid(wnid("lynx")).zh, "probability": 1.0,
        "source": "confirmed",
    }  # fmt: skip


def test_bad_corrections_are_refused(searchable: tuple[PhotoLibrary, dict[str, int]]) -> None:
    lib, photos = searchable
    with pytest.raises(RequestError, match="not an ImageNet class"):
        lib.correct(photos["tabby"], "set", "unicorn")
    with pytest.raises(RequestError, match="unknown correction"):
        lib.correct(photos["tabby"], "love", "tabby")
    with pytest.raises(NotFoundError):
        lib.correct(99_999, "set", "tabby")


# --- with the real model and indexer -------------------------------------------------------


def test_corrections_survive_reindexing_and_a_model_change(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    for name in (CAT, "n11939491_daisy.JPEG"):
        (root / name).write_bytes((samples / name).read_bytes())
    sessions = session_factory(open_engine(tmp_path / "library.db"))
    onnx = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    Indexer(onnx, sessions, tmp_path / "library.db").run([root])
    lib = library(sessions)
    cat = lib.find(str(root / CAT))
    assert album_ids(lib, cat) == ["pets"]
    lib.correct(cat, "reject", "Egyptian cat")
    lib.correct(cat, "set", "n11939491")
    assert album_ids(lib, cat) == ["plants"]
    torch = Classifier.from_settings(settings.with_overrides(engine="torch"))
    for classifier in (onnx, torch):  # the same model again, then another engine
        report = Indexer(classifier, sessions, tmp_path / "library.db").run([root], reclassify=True)
        assert report.updated == 2
        detail = lib.photo(cat)
        assert [lbl["label"] for lbl in detail["labels"]] == ["daisy"]
        assert [a["id"] for a in detail["albums"]] == ["plants"]
    lib.correct(cat, "clear", "n11939491")
    labels = [lbl["label"] for lbl in lib.photo(cat)["labels"]]
    assert "Egyptian cat" not in labels and labels[0] == "tabby"  # still rejected


@pytest.mark.slow
def test_the_sample_set_lands_in_the_right_albums(settings: Settings, samples: Path) -> None:
    library_path = settings.cache_dir / "samples-library.db"
    sessions = session_factory(open_engine(library_path))
    onnx = Classifier.from_settings(settings.with_overrides(engine="onnx"))
    report = Indexer(onnx, sessions, library_path).run([samples])
    assert report.added == 1000 and report.failed == 0
    lib = library(sessions)
    sizes = {a["id"]: a["count"] for a in lib.albums()}
    print("album sizes on the 1000 samples:", sizes)
    assert all(sizes[a] > 0 for a in ALBUMS)
    members = {a: {Path(p["path"]).name for p in lib.album(a, limit=500)["photos"]} for a in ALBUMS}
    assert {"n09193705_alp.JPEG", "n04228054_ski.JPEG"} <= members["winter"]
    dogs = GROUPS["dog"].classes
    breeds = sorted(samples.glob("n02*.JPEG"))
    breeds = [p for p in breeds if LABELS.index_of(p.name[:9]) in dogs]
    assert len(breeds) == 118
    missed = sorted(p.name for p in breeds if p.name not in members["pets"])
    print(f"dog breeds in My pets: {len(breeds) - len(missed)} of 118; not: {missed}")
    # The model takes the Rhodesian ridgeback for a dhole and the Lhasa for a polecat:
    # their top 5 hold almost no dog, and no rule should call a dhole a pet.
    assert set(missed) <= {"n02087394_Rhodesian_ridgeback.JPEG", "n02098413_Lhasa.JPEG"}
    not_pets = [n for n in members["pets"] if LABELS.index_of(n[:9]) not in GROUPS["pet"].classes]
    assert len(not_pets) <= 2, not_pets
