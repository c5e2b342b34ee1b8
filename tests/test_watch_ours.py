"""The folder watcher on a real folder (inotify through watchfiles): a file this server placed
and indexes itself (an upload) asks for no re-scan of its folder; any other file does, and so
does a placed file changed afterwards."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartalbum.ingest.watch import FolderWatcher, _visible
from tests.helpers import CAT as CAT_NAME
from tests.helpers import SAMPLES

CAT, DOG = SAMPLES / CAT_NAME, SAMPLES / "n02099601_golden_retriever.JPEG"

SETTLE = 0.3


class Asked:
    """The folders the watcher asked to re-scan, as they came."""

    def __init__(self) -> None:
        self.folders: list[Path] = []
        self.came = threading.Event()

    def __call__(self, folders: list[Path]) -> None:
        self.folders.extend(folders)
        self.came.set()

    def wait(self, seconds: float) -> list[Path]:
        """What was asked within ``seconds`` (then cleared)."""
        self.came.wait(seconds)
        time.sleep(SETTLE * 2)  # what else settles with it
        asked, self.folders = self.folders, []
        self.came.clear()
        return asked


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[FolderWatcher, Asked, Path]]:
    asked = Asked()
    watcher = FolderWatcher(lambda: [tmp_path], asked, settle=SETTLE)
    watcher.start()
    time.sleep(0.5)  # watching
    yield watcher, asked, tmp_path
    watcher.close()


def placed(watcher: FolderWatcher, source: Path, target: Path) -> None:
    """As an upload places a file: linked in, then told to the watcher as its own."""
    shutil.copyfile(source, target.with_name(".tmp"))
    (target.with_name(".tmp")).rename(target)
    watcher.ours(target)


def test_a_placed_file_asks_for_no_rescan_and_any_other_does(
    watched: tuple[FolderWatcher, Asked, Path],
) -> None:
    watcher, asked, root = watched
    month = root / "alice" / "2026" / "12"
    month.mkdir(parents=True)  # a new folder is a change (made by the first upload of a month)
    first = asked.wait(5.0)  # alice, or (once its own watch is up) a folder under it: a race
    assert first and all(f == root / "alice" or root / "alice" in f.parents for f in first), first
    for _ in range(10):  # the three new folders may be told one by one: until none comes
        if not asked.wait(1.0):
            break
    placed(watcher, CAT, month / "cat.jpg")
    assert asked.wait(3.0) == []
    shutil.copyfile(DOG, month / "dog.jpg")  # copied in by someone
    assert asked.wait(5.0) == [month]


def test_a_placed_file_changed_afterwards_is_rescanned(
    watched: tuple[FolderWatcher, Asked, Path],
) -> None:
    watcher, asked, root = watched
    (root / "bob").mkdir()
    asked.wait(5.0)
    target = root / "bob" / "cat.jpg"
    placed(watcher, CAT, target)
    with target.open("ab") as file:  # changed before it settled: not as it was placed
        file.write(b"\0" * 10)
    assert asked.wait(5.0) == [root / "bob"]


def test_a_watcher_not_running_keeps_no_list(tmp_path: Path) -> None:
    watcher = FolderWatcher(lambda: [tmp_path], Asked(), settle=SETTLE)
    shutil.copyfile(CAT, tmp_path / "cat.jpg")
    watcher.ours(tmp_path / "cat.jpg")
    assert watcher._ours == {}


def test_what_the_watcher_looks_at(tmp_path: Path) -> None:
    roots = [tmp_path / "uploads", tmp_path / "photos"]
    (tmp_path / "photos" / "trip").mkdir(parents=True)
    seen = {
        "uploads/alice/2026/12/IMG_1.JPG": True,
        "uploads/alice/2026/12/clip.mov": True,
        "uploads/.partial/0123abcd": False,
        "uploads/.trash/alice/IMG_1.JPG": False,
        "uploads/alice/.hidden.jpg": False,
        "photos/trip": True,  # a folder (moved in or away)
        "photos/trip/notes.txt": False,
        "photos/new folder": True,  # gone already: a name without a suffix may be one
        "photos": True,
    }
    for name, expected in seen.items():
        assert _visible(str(tmp_path / name), roots) is expected, name
    assert _visible(str(tmp_path / "elsewhere" / ".x" / "a.jpg"), roots) is False
