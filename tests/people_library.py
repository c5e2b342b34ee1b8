"""Photos of real faces for the people tests: a few people of the shared face set, group photos
composed of them on sample photos, and sample photos without a face."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image

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
