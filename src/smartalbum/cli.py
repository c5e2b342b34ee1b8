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
    model_flags.add_argument(
        "--engine", help="inference engine: auto, torch, onnx, onnx-int8 (bench: also all)"
    )
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

    optimize = sub.add_parser(
        "optimize", parents=[model_flags], help="build the INT8 model, calibrated on your photos"
    )
    optimize.add_argument(
        "--calibrate", type=Path, required=True, metavar="DIR",
        help="folder of at least 50 of your own photos",
    )  # fmt: skip
    optimize.add_argument("--limit", type=int, default=300, help="photos to use at most")

    bench = sub.add_parser(
        "bench", parents=[model_flags], help="measure latency and throughput of the engines"
    )
    bench.add_argument("--images", type=Path, metavar="DIR", help="also time classifying these")
    bench.add_argument("--repeats", type=int, default=20, help="timed runs per measurement")
    bench.add_argument(
        "--baseline", action="store_true",
        help="also time the seed's way (eager PyTorch, full decode, one image at a time)",
    )  # fmt: skip

    serve = sub.add_parser(
        "serve", parents=[model_flags], help="start the web page and the REST API"
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--public", action="store_true",
        help="allow binding to an address other than loopback (exposes your model to the network)",
    )  # fmt: skip

    load = sub.add_parser("loadtest", help="measure a running server (127.0.0.1 only)")
    load.add_argument("url", help="e.g. http://127.0.0.1:8000")
    load.add_argument("--image", type=Path, required=True, help="photo to upload")
    load.add_argument("--clients", type=int, nargs="+", default=[1, 16], help="concurrencies")
    load.add_argument("--requests", type=int, default=160, help="requests per concurrency")
    load.add_argument("--json", action="store_true", help="print JSON")

    index = sub.add_parser(
        "index", parents=[model_flags], help="classify every photo under folders into the catalog"
    )
    index.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    index.add_argument("--library", type=Path, help="catalog file (default in your data folder)")
    index.add_argument("--reclassify", action="store_true", help="redo every photo")

    duplicates = sub.add_parser("duplicates", help="list exact and near-duplicate photos")
    duplicates.add_argument("--library", type=Path, help="catalog file")
    duplicates.add_argument("--json", action="store_true", help="print JSON")

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
        engine = getattr(args, "engine", None)
        settings = Settings.from_env().with_overrides(
            model=getattr(args, "model", None),
            weights=getattr(args, "weights", None),
            engine=None if engine == "all" else engine,
            batch_size=getattr(args, "batch_size", None),
            threads=getattr(args, "threads", None),
            top_k=getattr(args, "top_k", None),
            host=getattr(args, "host", None),
            library=getattr(args, "library", None),
            port=getattr(args, "port", None),
        )
        command = {
            "classify": _classify,
            "eval": _eval,
            "models": _models,
            "optimize": _optimize,
            "bench": _bench,
            "serve": _serve,
            "loadtest": _loadtest,
            "index": _index,
            "duplicates": _duplicates,
        }[args.command]
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


def _optimize(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum import imaging
    from smartalbum.bench import image_files
    from smartalbum.classifier import model_files
    from smartalbum.engines import build_int8

    if not args.calibrate.is_dir():
        raise ConfigError(f"{args.calibrate}: not a folder")
    files = model_files(settings)
    arrays = []
    for path in image_files(args.calibrate)[: args.limit]:
        try:
            arrays.append(imaging.load(path, files.spec.preprocess, max_pixels=settings.max_pixels))
        except SmartalbumError as exc:
            print(f"smartalbum: skipping {exc.message}", file=sys.stderr)
    path = build_int8(files, arrays)
    summary = {"model": files.spec.name, "engine": "onnx-int8", "calibration_images": len(arrays)}
    if args.json:
        print(json.dumps({**summary, "path": str(path)}))
    else:
        print(f"built {path} from {len(arrays)} photos; `--engine auto` now uses it")
    return EXIT_OK


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench import SEED_BASELINE, bench_engine, image_files
    from smartalbum.engines import ENGINES

    engine = args.engine or "auto"
    engines = list(ENGINES) if engine == "all" else [engine]
    if args.baseline:
        engines.append(SEED_BASELINE)
    images = image_files(args.images) if args.images else []
    rows = []
    for name in engines:
        try:
            row = bench_engine(settings, name, images, repeats=args.repeats)
        except SmartalbumError as exc:
            if engine != "all":
                raise
            print(f"smartalbum: skipping {name}: {exc.message}", file=sys.stderr)
            continue
        rows.append(row)
        if not args.json:
            e2e = row["end_to_end_ips"]
            print(
                f"{row['model']:<20} {row['engine']:<14} weights={row['weights']:<8} "
                f"batch-1 {row['batch1_ms']:7.2f} ms  batch-8 {row['batch8_ips']:7.1f} img/s  "
                + (f"end-to-end {e2e:6.1f} img/s over {row['images']}" if e2e else "")
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from smartalbum.web import create_app
    from smartalbum.web.hosts import is_loopback

    host = settings.host
    if not is_loopback(host) and not args.public:
        raise ConfigError(
            f"refusing to listen on {host}: the server has no login; pass --public to "
            "expose it beyond this machine"
        )
    print(
        f"smartalbum: serving {settings.model} on http://{host}:{settings.port}/", file=sys.stderr
    )
    uvicorn.run(create_app(settings), host=host, port=settings.port, log_level="warning")
    return EXIT_OK


def _loadtest(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.web.loadtest import run_load

    rows = [run_load(args.url, args.image, n, args.requests) for n in args.clients]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(
                f"{r['clients']:>3} clients: {r['requests_per_second']:6.1f} req/s, "
                f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                f"{r['failed']} failed of {r['requests']}"
            )
    return EXIT_FAILED if any(r["failed"] for r in rows) else EXIT_OK


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.classifier import Classifier
    from smartalbum.indexer import Indexer

    sessions = session_factory(open_engine(settings.library))
    indexer = Indexer(Classifier.from_settings(settings), sessions, settings.library)
    report = indexer.run(args.folders, reclassify=args.reclassify, wrap=_progress)
    for warning in report.warnings:
        print(f"smartalbum: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(
            f"{report.scanned} files: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.moved} moved, {report.missing} missing, "
            f"{report.failed} failed in {report.seconds:.1f} s ({report.images_per_second} img/s)"
        )
    return EXIT_OK


def _duplicates(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.duplicates import find_duplicates

    groups = find_duplicates(session_factory(open_engine(settings.library)))
    if args.json:
        print(json.dumps([asdict(g) for g in groups], indent=2, ensure_ascii=False))
        return EXIT_OK
    for group in groups:
        print(f"{group.kind} ({group.similarity:.3f}):")
        for path in group.paths:
            print(f"  {path}")
    print(f"{len(groups)} groups of duplicates")
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
