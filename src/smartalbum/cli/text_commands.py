"""``smartalbum text``: read the text of photos indexed before; ``eval-text``: how well."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.cli.common import EXIT_OK
from smartalbum.settings import Settings


def add_parsers(sub: Any) -> None:
    """``text [--library]`` and ``eval-text DIR [--make N] [--limit N]``."""
    text = sub.add_parser(
        "text", help="read the text in photos indexed before (resumable)",
        description="Reads the photos the text pass has not read yet, with progress; "
        "stopped, it carries on from there next time.",
    )  # fmt: skip
    text.add_argument("--library", help="the catalog")
    text.add_argument("--json", action="store_true", help="print JSON")
    evaluation = sub.add_parser(
        "eval-text", help="character error rate and search precision/recall on a text set",
        description="Reads every photo of a set made by --make (known text rendered on the "
        "sample photos) and reports CER, the probe's misses and search precision/recall.",
    )  # fmt: skip
    evaluation.add_argument("folder", type=Path, metavar="DIR")
    evaluation.add_argument(
        "--make", type=Path, metavar="SAMPLES", help="first make the set in DIR from these photos"
    )
    evaluation.add_argument("--count", type=int, default=200, help="photos with text (--make)")
    evaluation.add_argument("--limit", type=int, help="read only the first N photos")
    evaluation.add_argument("--json", action="store_true", help="print JSON")
    bench = sub.add_parser(
        "bench-text", help="the text pass's photos/s and share of an index; text search at scale",
        description="Times the text pass on a folder's photos (alone, and in an index against "
        "one without it) and text searches on a synthetic catalog of --photos photos.",
    )  # fmt: skip
    bench.add_argument("--images", type=Path, help="a folder of photos to time the pass on")
    bench.add_argument("--limit", type=int, default=100, help="photos of --images to use")
    bench.add_argument("--photos", type=int, default=100_000, help="the catalog's size")


def _text(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from smartalbum.cli.library_commands import open_library
    from smartalbum.library.text_pass import read_library_text
    from smartalbum.ocr.backfill import Backfilled

    library = open_library(settings)
    try:
        with tqdm(unit="photo", disable=args.json) as bar:

            def shown(done: Backfilled) -> bool:
                bar.total = done.total
                bar.update(done.read + done.failed - bar.n)
                return True

            done = read_library_text(library, settings, shown)
    finally:
        library.close()
    print(json.dumps(dataclasses.asdict(done)) if args.json else
          f"read {done.read} of {done.total} photos ({done.with_text} with text, "
          f"{done.failed} unreadable)")  # fmt: skip
    return EXIT_OK


def _eval_text(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.text_eval import evaluate
    from smartalbum.bench.text_set import make_set

    if args.make:
        make_set(args.make, args.folder, args.count)
    found = evaluate(args.folder, args.limit)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{found['photos']} photos: CER {found['cer']:.2%} {found['cer_by_kind']}; "
          f"search precision {found['precision']:.2%}, recall {found['recall']:.2%}; "
          f"probe recall {found['probe_recall']:.2%}; {found['read_seconds_a_photo']} s a "
          f"photo read, {found['probe_seconds_a_photo']} s probed")  # fmt: skip
    return EXIT_OK


def _bench_text(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.text_bench import bench_pass, bench_search

    found: dict[str, Any] = {}
    if args.images:
        found["pass"] = bench_pass(settings, args.images, args.limit)
    found["search"] = bench_search(args.photos)
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "text": _text,
    "eval-text": _eval_text,
    "bench-text": _bench_text,
}
