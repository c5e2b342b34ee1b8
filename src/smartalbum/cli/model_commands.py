"""Commands about models and single photos: classify, eval, optimize, bench, models, serve."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.cli.common import EXIT_FAILED, EXIT_OK, language, percent, progress, say, show
from smartalbum.errors import ConfigError, SmartalbumError
from smartalbum.i18n import Message, nt, t
from smartalbum.settings import MAX_TOP_K, Settings

log = logging.getLogger(__name__)


def add_parsers(sub: Any, model_flags: argparse.ArgumentParser) -> None:
    """The subcommands about models and single photos."""
    classify = sub.add_parser("classify", parents=[model_flags], help="name what is in image files")
    classify.add_argument("files", nargs="+", type=Path, metavar="FILE")
    classify.add_argument(
        "--top-k", type=int, help=f"predictions per image, 1 to {MAX_TOP_K} (default 5)"
    )

    evaluate = sub.add_parser(
        "eval", parents=[model_flags], help="top-1/top-5 accuracy on a folder of <wnid>_* images"
    )
    evaluate.add_argument("directory", type=Path, metavar="DIR")
    evaluate.add_argument(
        "--report", action="store_true",
        help="top-1/top-3 per album group and per degraded condition, enhancement and calibration",
    )  # fmt: skip
    evaluate.add_argument("--html", type=Path, metavar="FILE", help="also write it as HTML")

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
    bench.add_argument(
        "--catalog", type=int, metavar="N",
        help="instead, time re-scanning a synthetic library of N photos and a label query",
    )  # fmt: skip
    bench.add_argument(
        "--search", action="store_true",
        help="with --catalog: time sentence searches (what + where + when) on it instead",
    )  # fmt: skip

    _add_serve(sub, model_flags)

    load = sub.add_parser("loadtest", help="measure a running server (127.0.0.1 only)")
    load.add_argument("url", help="e.g. http://127.0.0.1:8000")
    load.add_argument("--image", type=Path, required=True, help="photo to upload")
    load.add_argument("--clients", type=int, nargs="+", default=[1, 16], help="concurrencies")
    load.add_argument("--requests", type=int, default=160, help="requests per concurrency")
    load.add_argument("--json", action="store_true", help="print JSON")

    models = sub.add_parser("models", help="list the model zoo and which weights are here")
    models.add_argument("--json", action="store_true", help="print JSON")


def _add_serve(sub: Any, model_flags: argparse.ArgumentParser) -> None:
    """``serve``: where it listens, HTTPS, and a reverse proxy in front."""
    serve = sub.add_parser(
        "serve", parents=[model_flags], help="start the web page and the REST API"
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--public", action="store_true",
        help="others can reach this server (needed to bind beyond loopback): everyone signs "
        "in, and it needs an admin account",
    )  # fmt: skip
    serve.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")
    serve.add_argument(
        "--trusted-proxies", metavar="ADDR,...",
        help="behind a reverse proxy: its addresses or networks, whose X-Forwarded-For/-Proto "
        "are believed (everyone signs in; SMARTALBUM_TRUSTED_PROXIES)",
    )  # fmt: skip


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.engines.classifier import Classifier

    classifier = Classifier.from_settings(settings)
    files: list[Path] = args.files
    results = progress(classifier.iter_classify(files, names=[str(f) for f in files]), len(files))
    failed = 0
    collected = []
    lang = language()
    for result in results:
        failed += not result.ok
        if args.json:
            collected.append(result.to_dict(lang))
        else:
            print(_format_result(result, lang))
    if args.json:
        print(json.dumps(collected, ensure_ascii=False, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _format_result(result: Any, lang: str) -> str:
    if result.error is not None:
        error = t("error: {message}", message=result.error.text).render(lang)
        return f"{result.name}\n  {error}\n"
    lines = [result.name]
    for p in result.predictions:
        lines.append(
            f"  {p.rank}. {percent(p.probability):>6}  {p.label}  {p.label_zh}  ({p.wnid})"
        )
    return "\n".join(lines) + "\n"


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.accuracy import evaluate
    from smartalbum.engines.classifier import Classifier

    classifier = Classifier.from_settings(settings)
    if args.report or args.html:
        return _eval_report(args, classifier)
    report = evaluate(classifier, args.directory, wrap=progress)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        show(
            nt(
                "{model} ({engine}): top-1 {top1:.2%}, top-5 {top5:.2%} on {images} image "
                "({failed} failed) in {seconds:.1f} s",
                "{model} ({engine}): top-1 {top1:.2%}, top-5 {top5:.2%} on {images} images "
                "({failed} failed) in {seconds:.1f} s",
                report.images,
                model=report.model,
                engine=report.engine,
                top1=report.top1,
                top5=report.top5,
                images=report.images,
                failed=report.failed,
                seconds=report.seconds,
            )
        )
    return EXIT_OK


def _eval_report(args: argparse.Namespace, classifier: Any) -> int:
    from smartalbum.bench.report import format_table, run_report
    from smartalbum.bench.report_html import render_html

    report = run_report(classifier, args.directory, wrap=progress)
    if args.html:
        args.html.write_text(render_html(report), encoding="utf-8")
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_table(report))
    return EXIT_OK


def _optimize(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum import imaging
    from smartalbum.bench.engines import image_files
    from smartalbum.engines import build_int8
    from smartalbum.engines.classifier import model_files

    if not args.calibrate.is_dir():
        raise ConfigError(t("{path}: not a folder", path=args.calibrate))
    files = model_files(settings)
    arrays = []
    for path in image_files(args.calibrate)[: args.limit]:
        try:
            arrays.append(imaging.load(path, files.spec.preprocess, max_pixels=settings.max_pixels))
        except SmartalbumError as exc:
            say(t("smartalbum: skipping {message}", message=exc.text))
    path = build_int8(files, arrays)
    summary = {"model": files.spec.name, "engine": "onnx-int8", "calibration_images": len(arrays)}
    if args.json:
        print(json.dumps({**summary, "path": str(path)}))
    else:
        show(
            nt(
                "built {path} from {count} photo; `--engine auto` now uses it",
                "built {path} from {count} photos; `--engine auto` now uses it",
                len(arrays),
                path=str(path),
                count=len(arrays),
            )
        )
    return EXIT_OK


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.engines import SEED_BASELINE, bench_engine, image_files
    from smartalbum.engines import ENGINES

    if args.catalog is not None:
        return _bench_catalog(args, settings)

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
            say(t("smartalbum: skipping {engine}: {message}", engine=name, message=exc.text))
            continue
        rows.append(row)
        if not args.json:
            show(_bench_line(row))
    if args.json:
        print(json.dumps(rows, indent=2))
    return EXIT_OK


def _bench_line(row: dict[str, Any]) -> Message:
    """One engine's timings: batch-1 latency, batch-8 throughput, and end to end if timed."""
    line = t(
        "{model} {engine} weights={weights} batch-1 {batch1} ms  batch-8 {batch8} img/s",
        model=f"{row['model']:<20}", engine=f"{row['engine']:<14}",
        weights=f"{row['weights']:<8}", batch1=f"{row['batch1_ms']:7.2f}",
        batch8=f"{row['batch8_ips']:7.1f}",
    )  # fmt: skip
    if not row["end_to_end_ips"]:
        return line
    over = nt(
        "end-to-end {rate} img/s over {count} image",
        "end-to-end {rate} img/s over {count} images",
        row["images"],
        rate=f"{row['end_to_end_ips']:6.1f}",
        count=row["images"],
    )
    return t("{line}  {end_to_end}", line=line, end_to_end=over)


def _bench_search(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.search_bench import bench_search

    row = bench_search(settings, args.catalog, repeats=max(2, args.repeats))
    if args.json:
        print(json.dumps(row, indent=2, ensure_ascii=False))
        return EXIT_OK
    show(t("{photos} photos (built in {build} s), today {today}:", photos=row["photos"],
           build=row["build_s"], today=row["today"]))  # fmt: skip
    for q in row["queries"]:
        show(t("  {warm} ms warm  (first {first} ms)  {found} found  {parts}  {query}",
               warm=f"{q['warm_ms']:8.1f}", first=q["first_ms"], found=f"{q['found']:>6}",
               parts="+".join(q["parts"]), query=q["query"]))  # fmt: skip
    return EXIT_OK


def _bench_catalog(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.catalog import bench_catalog

    if args.catalog < 1:
        raise ConfigError(t("--catalog needs a number of photos, got {value}", value=args.catalog))
    if args.search:
        return _bench_search(args, settings)
    row = bench_catalog(settings, args.catalog, repeats=max(2, args.repeats))
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        show(
            t(
                "{photos} photos, {labels} labels (built in {build} s): re-scan {rescan} s, "
                "label query {query} ms (first {first} ms, {rows} rows)",
                photos=row["photos"], labels=row["labels"], build=row["build_s"],
                rescan=row["rescan_s"], query=row["label_query_ms"],
                first=row["label_query_first_ms"], rows=row["label_query_rows"],
            )
        )  # fmt: skip
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from smartalbum.engines import memory
    from smartalbum.hosts import is_loopback
    from smartalbum.web import create_app

    host = settings.host
    if not is_loopback(host) and not settings.public:
        raise ConfigError(
            t(
                "refusing to listen on {host}: pass --public to serve beyond this machine "
                "(everyone will need to sign in)",
                host=host,
            )
        )
    if settings.serves_beyond_this_machine and not _has_admin(settings):
        raise ConfigError(
            t(
                "refusing to serve beyond this machine without an admin account: make one "
                "with `smartalbum users add NAME --role admin`"
            )
        )
    certfile, keyfile = _tls(args)
    memory.limit_arenas()  # before the pools' threads: each would keep an arena of its own
    scheme = "https" if certfile else "http"
    say(
        t(
            "smartalbum: serving {model} on {url}",
            model=settings.model,
            url=f"{scheme}://{host}:{settings.port}/",
        )
    )
    uvicorn.run(
        create_app(settings), host=host, port=settings.port, log_level="warning",
        proxy_headers=False,  # the app believes only the trusted proxies (web/proxies.py)
        ssl_certfile=certfile, ssl_keyfile=keyfile,
    )  # fmt: skip
    return EXIT_OK


def _tls(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The certificate and key files for HTTPS: both, or neither."""
    if (args.certfile is None) != (args.keyfile is None):
        raise ConfigError(t("HTTPS needs both --certfile and --keyfile"))
    if args.certfile is None:
        return None, None
    for path in (args.certfile, args.keyfile):
        if not path.is_file():
            raise ConfigError(t("{path}: no such file", path=str(path)))
    return str(args.certfile), str(args.keyfile)


def _has_admin(settings: Settings) -> bool:
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.accounts import Accounts

    return bool(Accounts(session_factory(open_engine(settings.library))).has_admin())


def _loadtest(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.bench.load import run_load

    rows = [run_load(args.url, args.image, n, args.requests) for n in args.clients]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            show(
                nt(
                    "{clients} client: {rate} req/s, p50 {p50} ms, p99 {p99} ms, "
                    "{failed} failed of {requests}",
                    "{clients} clients: {rate} req/s, p50 {p50} ms, p99 {p99} ms, "
                    "{failed} failed of {requests}",
                    r["clients"],
                    clients=f"{r['clients']:>3}", rate=f"{r['requests_per_second']:6.1f}",
                    p50=f"{r['p50_ms']:.1f}", p99=f"{r['p99_ms']:.1f}",
                    failed=r["failed"], requests=r["requests"],
                )
            )  # fmt: skip
    return EXIT_FAILED if any(r["failed"] for r in rows) else EXIT_OK


def _serving_engine(settings: Settings) -> dict[str, Any] | None:
    """Which engine the configured model serves with and why (``auto`` measures, once)."""
    from smartalbum.engines import auto_choice
    from smartalbum.engines.choice import forced_info
    from smartalbum.engines.classifier import model_files

    if settings.engine != "auto":
        return forced_info(settings.engine, language())
    try:
        files = model_files(settings)
        return auto_choice(files, settings.threads).to_dict(language())
    except SmartalbumError as exc:  # no weights here: the listing says so already
        log.info("no engine for %s: %s", settings.model, exc.message)
        return None


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum import imaging, video
    from smartalbum.models.weights import find_weights
    from smartalbum.models.zoo import MODELS

    rows: list[dict[str, Any]] = []
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
    serving = _serving_engine(settings)
    decoder = video.decoder()  # the install's, the same for every model
    decoders = {**imaging.decoders(), **video.decoders()}
    for row in rows:
        row["engine"] = serving if row["default"] else None
        row["video_decoder"] = decoder
        row["decoders"] = decoders
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    missing = t("weights missing").render(language())
    for row in rows:
        mark = "*" if row["default"] else " "
        status = row["weights_path"] or missing
        print(f"{mark} {row['name']:<20} {row['title']}\n    {status}")
        if row["engine"]:
            show(t("    engine {reason}", reason=row["engine"]["reason"]))
    _show_decoders(decoders)
    return EXIT_OK


def _show_decoders(decoders: dict[str, str | None]) -> None:
    """A line for each kind of file beyond JPEG, PNG and the like: what decodes it here."""
    from smartalbum import video

    missing = t("not available").render(language())
    for kind, key in (("HEIC", "heic"), ("AVIF", "avif"), ("RAW", "raw")):
        show(t("{kind}: {decoder}", kind=kind, decoder=decoders[key] or missing))
    phones = t("videos in MP4, MOV, M4V, 3GP (H.264, HEVC): {decoder}, in this process",
               decoder=decoders["video"] or missing)  # fmt: skip
    show(phones)
    kinds = ", ".join(video.CONTAINERS)
    if decoders["video_ffmpeg"] is None:
        show(t("videos ({containers}): not decoded, ffmpeg is not installed", containers=kinds))
    else:
        show(t("videos ({containers}): {decoder}", containers=kinds,
               decoder=decoders["video_ffmpeg"]))  # fmt: skip


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "classify": _classify,
    "eval": _eval,
    "models": _models,
    "optimize": _optimize,
    "bench": _bench,
    "serve": _serve,
    "loadtest": _loadtest,
}
