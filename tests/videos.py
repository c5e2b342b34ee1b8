"""Real videos for the tests, encoded by ffmpeg from the sample photos: small and a few seconds."""

from __future__ import annotations

import subprocess
from pathlib import Path

SKI, ALP = "n04228054_ski.JPEG", "n09193705_alp.JPEG"
# Zermatt, 1620 m: Apple writes ISO 6709 with the altitude, MP4's ©xyz often without.
ZERMATT = "+46.0207+007.7491+1620.000/"
ZERMATT_2D = "+46.0207+007.7491/"

# (codec and its options, what the muxer needs to write the tags) by the file's suffix
CODECS = {
    "h264": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mpeg4": ["-c:v", "mpeg4", "-q:v", "5"],
    "hevc": ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-tag:v", "hvc1", "-x265-params", "log-level=none"],
    "vp9": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"],
}  # fmt: skip


def encode(
    out: Path,
    stills: list[Path],
    codec: str = "h264",
    tags: dict[str, str] | None = None,
    seconds: float = 1.0,
) -> Path:
    """A video showing each still for ``seconds`` in turn (320x240, 10 fps, a keyframe a
    half-second), with the container tags given; Apple's keys go in as QuickTime metadata."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for still in stills:
        command += ["-loop", "1", "-t", f"{seconds}", "-framerate", "10", "-i", str(still)]
    scaled = ";".join(f"[{i}:v]scale=320:240,setsar=1[s{i}]" for i in range(len(stills)))
    joined = "".join(f"[s{i}]" for i in range(len(stills)))
    graph = f"{scaled};{joined}concat=n={len(stills)}:v=1[v]"
    command += ["-filter_complex", graph, "-map", "[v]", "-g", "5", *CODECS[codec]]
    if any(key.startswith("com.apple.") for key in tags or {}):
        command += ["-movflags", "use_metadata_tags"]
    for key, value in (tags or {}).items():
        command += ["-metadata", f"{key}={value}"]
    subprocess.run([*command, str(out)], check=True, capture_output=True, timeout=120)
    return out


def skiing(out: Path, samples: Path) -> Path:
    """A skiing trip in Zermatt: the ski and alp samples in turn, shot at 11:00 local time on
    1 February 2026 (Apple's creation date, with its offset) with Apple's ISO 6709 location."""
    stills = [samples / SKI, samples / ALP, samples / SKI, samples / ALP]
    tags = {
        "com.apple.quicktime.creationdate": "2026-02-01T11:00:00+0100",
        "com.apple.quicktime.location.ISO6709": ZERMATT,
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 15",
    }
    return encode(out, stills, "h264", tags)
