"""How well text in photos is read and found, on a set made by ``text_set``.

Character error rate: edits between what a photo says and what was read (both folded,
spaces dropped) over the characters it says. Search: for each photo with text, a Chinese
substring (2-4 characters) or an English word or word prefix from it is searched in a
catalog of what was read; the photos that should be found are those whose true text
matches the query the same way. Precision and recall are over all queries together.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from smartalbum.bench.text_set import Sample, load_set
from smartalbum.catalog import OK, Photo, open_engine, session_factory
from smartalbum.ocr import Line, TextReader, photos_saying, write_text
from smartalbum.ocr.find import distance_in, query_text
from smartalbum.ocr.normalize import fold
from smartalbum.text import has_chinese


def evaluate(folder: Path, limit: int | None = None) -> dict[str, Any]:
    """CER, the probe's misses, search precision/recall and speed over a made set."""
    samples = load_set(folder)[:limit] if limit else load_set(folder)
    reader, probe = TextReader(probe=False), TextReader(probe=True)
    read: dict[str, list[Line]] = {}
    probed: dict[str, bool] = {}
    seconds = probe_seconds = 0.0
    for sample in samples:
        with Image.open(folder / sample.file) as img:
            image = img.convert("RGB")
        started = time.perf_counter()
        read[sample.file] = reader.read(image)
        seconds += time.perf_counter() - started
        started = time.perf_counter()
        probed[sample.file] = probe.has_text(_bgr(image))
        probe_seconds += time.perf_counter() - started
    gated = {f: lines if probed[f] else [] for f, lines in read.items()}
    return {
        "photos": len(samples),
        **_errors(samples, read, probed),
        **_search(samples, read),
        # as indexing reads: only the photos the probe sees text in
        **{
            f"{k}_with_probe": v
            for k, v in _search(samples, gated).items()
            if k != "queries_missed"
        },
        "read_seconds_a_photo": round(seconds / max(len(samples), 1), 3),
        "probe_seconds_a_photo": round(probe_seconds / max(len(samples), 1), 3),
    }


def _bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


def _flat(text: str) -> str:
    return fold(text).replace(" ", "")


def _errors(
    samples: list[Sample], read: dict[str, list[Line]], probed: dict[str, bool]
) -> dict[str, Any]:
    """Each true line against the best-matching stretch of what was read in its photo: text
    the photo holds besides (a watermark, a sign in the sample photo itself) is no error."""
    edits = chars = other_text = 0
    by_kind: dict[str, list[int]] = {}
    for sample in samples:
        got = _flat("".join(line.text for line in read[sample.file]))
        if not sample.lines:
            other_text += bool(got)
        for line in sample.lines:
            said = _flat(line)
            distance = distance_in(said, got, free_start=True)
            edits += distance
            chars += len(said)
            kind = by_kind.setdefault(sample.kind, [0, 0])
            kind[0] += distance
            kind[1] += len(said)
    with_text = [s for s in samples if s.lines]
    missed = [s.file for s in with_text if not probed[s.file]]
    return {
        "cer": round(edits / max(chars, 1), 4),
        "cer_by_kind": {k: round(e / max(c, 1), 4) for k, (e, c) in sorted(by_kind.items())},
        "no_text_photos_with_text_read": other_text,  # mostly real: watermarks, labels
        "probe_missed": len(missed),
        "probe_recall": round(1 - len(missed) / max(len(with_text), 1), 4),
        "probe_missed_files": missed,
    }


def queries_for(sample: Sample, rng: random.Random) -> list[str]:
    """A Chinese substring and an English word or word prefix of what a photo says."""
    found = []
    for line in sample.lines:
        chinese = "".join(c for c in line if has_chinese(c))
        if len(chinese) >= 2:
            size = rng.randint(2, min(4, len(chinese)))
            start = rng.randint(0, len(chinese) - size)
            found.append(chinese[start : start + size])
        words = [w for w in line.replace(":", " ").split() if w.isascii() and len(w) >= 3]
        if words:
            word = rng.choice(words)
            found.append(word if rng.random() < 0.5 else word[: max(3, len(word) - 2)])
    return found


def _truly(query: str, sample: Sample) -> bool:
    wanted, body = query_text(query), "\n".join(fold(line) for line in sample.lines)
    if has_chinese(wanted) or not re.match(r"[0-9a-z]", wanted):
        return wanted in body
    return re.search(rf"(?<![0-9a-z]){re.escape(wanted)}", body) is not None


def _search(samples: list[Sample], read: dict[str, list[Line]]) -> dict[str, Any]:
    rng = random.Random(25)
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(Path(folder) / "library.db")
        sessions = session_factory(engine)
        try:
            with sessions.begin() as session:
                for i, sample in enumerate(samples, 1):
                    session.add(Photo(id=i, path=sample.file, size=1, mtime=0, status=OK,
                                      indexed_at=0))  # fmt: skip
                session.flush()
                write_text(session, {i: read[s.file] for i, s in enumerate(samples, 1)})
            hits = wrong = missed = 0
            failures = []
            with sessions() as session:
                for sample in samples:
                    for query in queries_for(sample, rng):
                        truth = {i for i, s in enumerate(samples, 1) if _truly(query, s)}
                        found = set(photos_saying(session, query))
                        hits += len(found & truth)
                        wrong += len(found - truth)
                        missed += len(truth - found)
                        if truth - found:
                            failures.append(query)
        finally:
            engine.dispose()
    return {
        "queries_missed": failures[:40],
        "precision": round(hits / max(hits + wrong, 1), 4),
        "recall": round(hits / max(hits + missed, 1), 4),
    }
