"""The face pass and the grouping, measured. Run by scripts/bench-people.

1. The face pass alone (decode at the detector's size, detect, align, embed) over
   ``--photos`` photos of FACES: photos/s and faces/s.
2. ``smartalbum index`` of the same photos with the face pass on and off, in fresh
   catalogs: the pass's share of the index's time.
3. Regrouping ``--faces`` synthetic faces (people of 1-60 faces around random centres,
   spread as dlib's embeddings are: ~0.3 from their person's mean), seconds.
4. Placing a new photo's face in an index of that many faces (``FaceIndex.place``),
   milliseconds (median of 50).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from smartalbum import imaging
from smartalbum.catalog import open_engine, session_factory
from smartalbum.engines.classifier import Classifier
from smartalbum.library.indexer import Indexer
from smartalbum.people.faces import FACE_SIDE, find_faces
from smartalbum.people.grouping import FaceIndex, regroup
from smartalbum.settings import Settings


def pass_alone(photos: list[Path]) -> dict[str, float]:
    """Photos/s and faces/s of decode + find_faces."""
    find_faces(imaging.decode(photos[0], min_side=FACE_SIDE * 3 // 4))  # models loaded
    started = time.perf_counter()
    faces = sum(len(find_faces(imaging.decode(p, min_side=FACE_SIDE * 3 // 4))) for p in photos)
    seconds = time.perf_counter() - started
    return {"photos_per_second": round(len(photos) / seconds, 2),
            "faces_per_second": round(faces / seconds, 2), "faces": faces}  # fmt: skip


def index_seconds(photos: list[Path], faces: bool) -> float:
    """Seconds of one `index` of the photos (one process) into a fresh catalog."""
    with tempfile.TemporaryDirectory() as home:
        root = Path(home) / "photos"
        root.mkdir()
        for p in photos:
            (root / f"{p.parent.name}-{p.name}").write_bytes(p.read_bytes())
        settings = Settings.from_env().with_overrides(
            library=str(Path(home) / "library.db"), faces=faces, index_processes=1
        )
        engine = open_engine(settings.library)
        try:
            report = Indexer(Classifier.from_settings(settings), session_factory(engine),
                             settings.library).run([root])  # fmt: skip
        finally:
            engine.dispose()
        return report.seconds


def synthetic(count: int, seed: int = 0) -> np.ndarray:
    """Faces of people of 1-60 faces, each ~0.3 from its person's mean (as dlib's are)."""
    rng = np.random.default_rng(seed)
    vectors, made = [], 0
    while made < count:
        size = min(int(rng.integers(1, 61)), count - made)
        centre = rng.normal(size=128)
        centre *= 0.9 / np.linalg.norm(centre) * np.sqrt(2)  # people ~1.3 apart
        vectors.append(centre + rng.normal(scale=0.3 / np.sqrt(128), size=(size, 128)))
        made += size
    return np.concatenate(vectors).astype(np.float32)


def grouping(count: int) -> dict[str, float]:
    """Seconds to regroup ``count`` faces; median ms to place one face among them."""
    vectors = synthetic(count)
    started, cpu = time.perf_counter(), time.process_time()
    labels = regroup(vectors)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    index = FaceIndex()
    for face_id, (vector, label) in enumerate(zip(vectors, labels, strict=True)):
        index.add(face_id, vector, int(label) if label >= 0 else None)
    index.matrix  # built once, as a writer's index is  # noqa: B018
    times, cpu_times = [], []
    for k, vector in enumerate(synthetic(50, seed=1)):
        started, placed = time.perf_counter(), time.process_time()
        index.place(count + k, vector)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - placed) * 1000)
    # CPU seconds beside the wall clock: on a shared machine the wall clock measures the others.
    return {"faces": count, "regroup_seconds": round(seconds, 2),
            "regroup_cpu_seconds": round(cpu, 2),
            "place_one_face_cpu_ms": round(statistics.median(cpu_times), 2),
            "people_found": len(set(labels[labels >= 0].tolist())),
            "place_one_face_ms": round(statistics.median(times), 2)}  # fmt: skip


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("faces", type=Path)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--faces", dest="count", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    photos = sorted(args.faces.rglob("*.jpg"))[: args.photos]
    report: dict[str, object] = {"pass": pass_alone(photos)}
    on, off = index_seconds(photos, True), index_seconds(photos, False)
    report["index"] = {"photos": len(photos), "seconds_with_faces": on,
                       "seconds_without": off, "face_share": round(1 - off / on, 3)}  # fmt: skip
    report["grouping"] = grouping(args.count)
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
