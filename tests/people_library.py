"""Photos of real faces for the people tests: a few people of the shared face set, group photos
composed of them on sample photos, and sample photos without a face."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image

from smartalbum.settings import Settings
from tests.helpers import REPO, SAMPLES, make_exif
from tests.moments_library import gps_tags

FACES = REPO.parent / "shared" / "faces"
# Three of LFW's original crops and three of its aligned ("deep-funneled") photos.
PEOPLE = [
    "Colin_Powell", "Hugo_Chavez", "Tony_Blair",
    "Serena_Williams", "Junichiro_Koizumi", "Kofi_Annan",
]  # fmt: skip
NO_FACE = ["n01440764_tench.JPEG", "n02504458_African_elephant.JPEG"]


def face_photos(person: str) -> list[Path]:
    """The shared photos of one person, in order."""
    return sorted((FACES / person).glob("*.jpg"))


def compose_group(
    people: list[str],
    target: Path,
    face_px: int = 110,
    seed: int = 0,
    taken: tuple[str, tuple[float, float]] | None = None,
) -> None:
    """A 1280x960 photo of these people's faces (one photo each) pasted on a sample photo,
    ``taken`` ("YYYY-MM-DD HH:MM", (lat, lon)) when and where its EXIF says."""
    rnd = random.Random(seed)
    backgrounds = sorted(SAMPLES.glob("n0*.JPEG"))
    canvas = Image.open(rnd.choice(backgrounds)).convert("RGB").resize((1280, 960))
    for k, person in enumerate(people):
        photo = Image.open(rnd.choice(face_photos(person))).convert("RGB")
        face = photo.crop((50, 40, 200, 210)).resize((face_px, round(face_px * 170 / 150)))
        canvas.paste(face, (60 + (k % 4) * 300, 120 + (k // 4) * 420))
    if taken is None:
        canvas.save(target, quality=92)
        return
    when, (lat, lon) = taken
    stamp = when.replace("-", ":") + ":00"
    exif = make_exif(detail={0x9003: stamp}, gps=gps_tags(lat, lon))
    canvas.save(target, quality=92, exif=exif)


def make_library(root: Path, per_person: tuple[int, int]) -> dict[str, list[Path]]:
    """Photos ``per_person[0]`` up to ``per_person[1]`` of each person into ``root``/person/."""
    placed: dict[str, list[Path]] = {}
    first, last = per_person
    for person in PEOPLE:
        folder = root / person
        folder.mkdir(parents=True, exist_ok=True)
        for source in face_photos(person)[first:last]:
            (folder / source.name).write_bytes(source.read_bytes())
            placed.setdefault(person, []).append(folder / source.name)
    return placed


FEW = ["Colin_Powell", "Serena_Williams"]  # the small library's people: 3 photos each


def write_few(root: Path) -> list[Path]:
    """Three photos of each of FEW, a group photo of both and a photo without anybody."""
    root.mkdir(parents=True, exist_ok=True)
    placed = []
    for person in FEW:
        for source in face_photos(person)[:3]:
            placed.append(root / f"{person}-{source.name}")
            placed[-1].write_bytes(source.read_bytes())
    compose_group(FEW, root / "both.jpg")
    (root / NO_FACE[0]).write_bytes((SAMPLES / NO_FACE[0]).read_bytes())
    return [*placed, root / "both.jpg", root / NO_FACE[0]]


def index_few(root: Path, library: str, settings: Settings, faces: bool = True) -> int:
    """FEW's photos (``write_few``) indexed into ``library``, faces looked for unless
    ``faces`` is False (one worker process: a small library); how many photos."""
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library.indexer import Indexer

    placed = write_few(root)
    own = settings.with_overrides(faces=faces, library=library, index_processes=1, engine="onnx")
    engine = open_engine(library)
    try:
        report = Indexer(Classifier.from_settings(own), session_factory(engine), library).run(
            [root]
        )
    finally:
        engine.dispose()
    assert report.added == len(placed) and report.failed == 0, report
    return len(placed)


def face_video(target: Path, photos: list[Path]) -> Path:
    """A short H.264 video showing each of ``photos`` for a second (every frame a keyframe, so
    each of the four frames the indexer takes is a different photo)."""
    import shutil
    import subprocess
    import tempfile

    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg is not None, "the video tests need ffmpeg (scripts/test installs it)"
    with tempfile.TemporaryDirectory() as folder:
        for i, photo in enumerate(photos):
            Image.open(photo).convert("RGB").resize((320, 320)).save(f"{folder}/{i}.jpg")
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-framerate", "1", "-i", f"{folder}/%d.jpg",
             "-r", "5", "-g", "1", "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", str(target)],
            check=True,
        )  # fmt: skip
    return target
