"""Finding moved files (library/scan.py): a new file is a vanished record's when its hash is."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

from smartalbum.library.scan import find_moves

BIG = 96 * 1024 * 1024  # as large as a minute of phone video


def test_a_moved_video_is_hashed_a_chunk_at_a_time(tmp_path: Path) -> None:
    moved = tmp_path / "trip.mp4"
    with moved.open("wb") as out:  # sparse: 96 MB on disk costs nothing, reads as zeros
        out.truncate(BIG)
        out.seek(BIG - 5)
        out.write(b"movie")
    other = tmp_path / "other.mp4"
    other.write_bytes(b"something else")
    digest = hashlib.sha256(b"\0" * (BIG - 5) + b"movie").hexdigest()
    tracemalloc.start()
    try:
        moves, rest = find_moves([moved, other], {digest: 7})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(m.path, m.moved_from, m.size, m.sha256) for m in moves] == [
        (str(moved), 7, BIG, digest)
    ]
    assert rest == [other]
    assert peak < 16 * 1024 * 1024, f"{peak / 1e6:.0f} MB held to hash a {BIG / 1e6:.0f} MB file"


def test_a_file_that_cannot_be_read_is_left_to_the_analysis(tmp_path: Path) -> None:
    gone = tmp_path / "gone.mp4"
    moves, rest = find_moves([gone], {"0" * 64: 7})
    assert (moves, rest) == ([], [gone])
