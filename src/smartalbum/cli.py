"""The ``smartalbum`` command line: classify, eval, models."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from smartalbum import __version__
from smartalbum.errors import ConfigError, SmartalbumError, error_body
from smartalbum.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="smartalbum",
        description="Private, offline photo classifier: 1000 ImageNet classes, English and 中文.",
        epilog="Every flag also has an environment variable SMARTALBUM_<NAME>; flags win.",
    )
    parser.add_argument("--version", action="version", version=f"smartalbum {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    model_flags = argparse.ArgumentParser(add_help=False)
    model_flags.add_argument("--model", help="model from the zoo (default efficientnet_lite0)")
    model_flags.add_argument("--weights", type=Path, help="weights file for the model")
    model_flags.add_argument("--engine", help="inference engine: auto, torch")
    model_flags.add_argument("--batch-size", type=int, help="images per model call")
    model_flags.add_argument("--threads", type=int, help="inference threads")
    model_flags.add_argument("--json", action="store_true", help="print JSON")

    classify = sub.add_parser("classify", parents=[model_flags], help="name what is in image files")
    classify.add_argument("files", nargs="+", type=Path, metavar="FILE")
    classify.add_argument("--top-k", type=int, help="predictions per image (default 5)")

    evaluate = sub.add_parser(
        "eval", parents=[model_flags], help="top-1/top-5 accuracy on a folder of <wnid>_* images"
    )
    evaluate.add_argument("directory", type=Path, metavar="DIR")

    models = sub.add_parser("models", help="list the model zoo and which weights are here")
    models.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some input failed, 2 usage)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="smartalbum: %(message)s",
    )
    try:
        settings = Settings.from_env().with_overrides(
            model=getattr(args, "model", None),
            weights=getattr(args, "weights", None),
            engine=getattr(args, "engine", None),
            batch_size=getattr(args, "batch_size", None),
            threads=getattr(args, "threads", None),
            top_k=getattr(args, "top_k", None),
        )
        command = {"classify": _classify, "eval": _eval, "models": _models}[args.command]
        return command(args, settings)
    except SmartalbumError as exc:
        if getattr(args, "json", False):
            print(json.dumps(error_body(exc), ensure_ascii=False))
        else:
            print(f"smartalbum: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("smartalbum: interrupted", file=sys.stderr)
        return 130


def _progress(results: Iterator[Any], total: int) -> Iterator[Any]:
    """A progress bar on stderr for runs that last more than a moment on a terminal."""
    from tqdm import tqdm

    yield from tqdm(results, total=total, unit="img", delay=2.0, disable=None, file=sys.stderr)


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.classifier import Classifier

    classifier = Classifier.from_settings(settings)
    files: list[Path] = args.files
    results = _progress(classifier.iter_classify(files, names=[str(f) for f in files]), len(files))
    failed = 0
    collected = []
    for result in results:
        failed += not result.ok
        if args.json:
            collected.append(result.to_dict())
        else:
            print(_format_result(result))
    if args.json:
        print(json.dumps(collected, ensure_ascii=False, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _format_result(result: Any) -> str:
    if result.error is not None:
        return f"{result.name}\n  error: {result.error.message}\n"
    lines = [result.name]
    for p in result.predictions:
        lines.append(
            f"  {p.rank}. {p.probability * 100:6.2f}%  {p.label}  {p.label_zh}  ({p.wnid})"
        )
    return "\n".join(lines) + "\n"


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.classifier import Classifier
    from smartalbum.evaluation import evaluate

    classifier = Classifier.from_settings(settings)
    report = evaluate(classifier, args.directory, wrap=_progress)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(
            f"{report.model} ({report.engine}): top-1 {report.top1:.2%}, top-5 {report.top5:.2%} "
            f"on {report.images} images ({report.failed} failed) in {report.seconds:.1f} s"
        )
    return EXIT_OK


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.models.weights import find_weights
    from smartalbum.models.zoo import MODELS

    rows = []
    for spec in MODELS.values():
        found = find_weights(spec, settings.weights if spec.name == settings.model else None)
        rows.append(
            {
                "name": spec.name,
                "title": spec.title,
                "default": spec.name == settings.model,
                "input_size": spec.input_size,
                "resize_size": spec.resize_size,
                "scaling": spec.scaling,
                "labels": spec.labels,
                "weights": spec.weights.filename,
                "sha256": spec.weights.sha256,
                "license": spec.weights.license,
                "published_top1": spec.published_top1,
                "weights_present": found is not None,
                "weights_path": str(found) if found else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        mark = "*" if row["default"] else " "
        status = row["weights_path"] or "weights missing"
        print(f"{mark} {row['name']:<20} {row['title']}\n    {status}")
    return EXIT_OK
