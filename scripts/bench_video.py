"""``smartalbum index`` on photos, on one-minute 1080p videos, and on both mixed.

Run by scripts/bench-video. It makes ``--distinct`` one-minute 1080p30 H.264 videos with
ffmpeg (a slow zoom over a sample photo with film grain, a keyframe a second and CABAC, as
a phone records; x264 "superfast" at 16 Mbit/s), links them ``--videos`` times into a
folder (links: a run reads them from the page cache, as it reads the photos; nothing in
the index caches by content, so each link is read, hashed and decoded afresh), and indexes
four folders into fresh catalogs, each with a ``smartalbum index`` of its own:

1. nothing (the model's start-up, taken off the photos' CPU time),
2. one video (the start-up and what only the first video pays: the places' gazetteer, 1.2 s
   of CPU, loaded for the first file with a location; taken off the videos' CPU time),
3. the photos, 4. the videos, 5. photos and videos together.

For each: wall seconds (the index's own report), files/s, and CPU seconds (the index and
every process under it: ffmpeg, ffprobe). The index runs in one process with its decode
threads (``SMARTALBUM_INDEX_PROCESSES=1``), so that all of its CPU is counted. A video's
cost in photos is its CPU over a photo's. The share of the mixed run's CPU spent decoding
video is the decoder's (``video.read``, ffmpeg's CPU included) on each distinct
video, times how many.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MINUTE_SOURCES = ["n09193705_alp.JPEG", "n04228054_ski.JPEG", "n09428293_seashore.JPEG"]


def cpu_of_children() -> float:
    """CPU seconds of this process's finished children and everything they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_minute(still: Path, out: Path, seconds: int = 60) -> float:
    """One minute (or ``seconds``) of 1080p30 H.264 from a still; seconds it took."""
    started = time.perf_counter()
    graph = (
        "scale=2880:1620,setsar=1,zoompan=z='1+0.0004*on':x='iw/2-(iw/zoom/2)':"
        "y='ih/2-(ih/zoom/2)':d=1:s=1920x1080:fps=30,noise=alls=10:allf=t,format=yuv420p"
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-loop", "1", "-i", str(still),
         "-vf", graph, "-t", str(seconds), "-c:v", "libx264", "-preset", "superfast", "-b:v", "16M",
         "-maxrate", "20M", "-bufsize", "20M", "-g", "30", "-profile:v", "high",
         "-metadata", "creation_time=2026-02-01T10:00:00Z", "-metadata",
         "location=+46.0207+007.7491/", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def index(folder: Path, home: Path, name: str) -> dict[str, Any]:
    """``smartalbum index FOLDER --json`` into a fresh catalog: its report and its CPU."""
    catalog = home / f"{name}.db"
    before = cpu_of_children()
    # One process (its decode threads): worker processes come from a fork server whose
    # children's CPU never reaches this process's accounts.
    env = {**os.environ, "SMARTALBUM_INDEX_PROCESSES": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "smartalbum", "index", str(folder), "--library", str(catalog),
         "--json"],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    report = json.loads(done.stdout)
    return {"seconds": report["seconds"], "cpu": cpu_of_children() - before,
            "added": report["added"], "failed": report["failed"]}  # fmt: skip


def decoding_cpu(videos: list[Path]) -> float:
    """Mean CPU seconds ``video.read`` takes on a video (ffmpeg and ffprobe included)."""
    from smartalbum import video

    total = 0.0
    for path in videos:
        own = time.process_time()
        children = cpu_of_children()
        video.read(path, name=path.name, min_side=256)
        total += time.process_time() - own + cpu_of_children() - children
    return total / len(videos)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path, help="a folder of sample photos")
    parser.add_argument("--videos", type=int, default=50, help="one-minute videos (default 50)")
    parser.add_argument("--distinct", type=int, default=2, help="of them encoded (default 2)")
    parser.add_argument("--seconds", type=int, default=60, help="each video's (default 60)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpeg", ".jpg"))
    with tempfile.TemporaryDirectory(prefix="smartalbum-bench-video-") as temp:
        home = Path(temp)
        names = ("empty", "one-video", "photos", "videos", "mixed")
        folders = {name: home / name for name in names}
        for folder in folders.values():
            folder.mkdir()
        made = []
        for i in range(min(args.distinct, args.videos)):
            still = args.photos / MINUTE_SOURCES[i % len(MINUTE_SOURCES)]
            out = home / f"minute-{i}.mp4"
            took = make_minute(still, out, args.seconds)
            print(f"made {out.name} in {took:.0f} s", file=sys.stderr)
            made.append(out)
        os.link(made[0], folders["one-video"] / "video-first.mp4")
        for i in range(args.videos):
            for name in ("videos", "mixed"):
                os.link(made[i % len(made)], folders[name] / f"video-{i:03d}.mp4")
        for photo in photos:
            for name in ("photos", "mixed"):
                os.link(photo, folders[name] / photo.name)
        runs = {name: index(folder, home, name) for name, folder in folders.items()}
        decode = decoding_cpu(made)
        size = made[0].stat().st_size
    results = summary(runs, len(photos), args.videos, decode, size)
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


def summary(
    runs: dict[str, dict[str, Any]], photos: int, videos: int, decode: float, size: int
) -> dict[str, Any]:
    """The numbers docs/performance.md records."""
    start = runs["empty"]["cpu"]
    photo_cpu = (runs["photos"]["cpu"] - start) / photos
    # The videos' own: each after the first costs what the first did less its once-only part.
    video_cpu = (runs["videos"]["cpu"] - runs["one-video"]["cpu"]) / max(1, videos - 1)
    mixed_cpu = runs["mixed"]["cpu"] - start
    return {
        "photos": photos, "videos": videos, "video_mb": round(size / 1e6, 1), "runs": runs,
        "photos_per_second": round(photos / runs["photos"]["seconds"], 1),
        "videos_per_second": round(videos / runs["videos"]["seconds"], 2),
        "mixed_files_per_second": round((photos + videos) / runs["mixed"]["seconds"], 1),
        "cpu_per_photo_ms": round(1000 * photo_cpu, 1),
        "cpu_per_video_ms": round(1000 * video_cpu, 1),
        "video_costs_photos": round(video_cpu / photo_cpu, 1),
        "decode_cpu_per_video_ms": round(1000 * decode, 1),
        "mixed_share_decoding_video": round(decode * videos / mixed_cpu, 3),
    }  # fmt: skip


def render(results: dict[str, Any]) -> str:
    """The results as lines for a person."""
    runs = results["runs"]
    lines = [
        f"{name:>7}: {run['seconds']:7.1f} s wall, {run['cpu']:7.1f} s CPU, "
        f"{run['added']} added, {run['failed']} failed"
        for name, run in runs.items()
    ]
    lines += [f"{key}: {value}" for key, value in results.items() if key != "runs"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
