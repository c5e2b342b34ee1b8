"""Commands about categories: teach one from example photos, list them, and evaluate learning."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartalbum.cli.common import EXIT_OK, cosine, language, progress, show, title
from smartalbum.i18n import nt, t
from smartalbum.settings import Settings

LIBRARY_HELP = "catalog: a SQLite file or a URL such as postgresql+psycopg://user@host/smartalbum"


def add_parsers(sub: Any, model_flags: argparse.ArgumentParser) -> None:
    """The subcommands about categories."""
    teach = sub.add_parser(
        "teach",
        parents=[model_flags],
        help="teach a category from 3 or more example photos (ids or paths)",
    )
    teach.add_argument("name", help="the category's English name, e.g. 'Mimi'")
    teach.add_argument("--zh", help="its Chinese name, e.g. 我家的猫")
    teach.add_argument("--examples", nargs="+", required=True, metavar="PHOTO")
    teach.add_argument("--not", dest="counter", nargs="+", default=[], metavar="PHOTO")
    teach.add_argument("--library", help=LIBRARY_HELP)
    listing = sub.add_parser("categories", parents=[model_flags], help="the taught categories")
    listing.add_argument("--library", help=LIBRARY_HELP)
    listing.add_argument("show", nargs="?", type=int, metavar="ID", help="one category's matches")
    evaluate = sub.add_parser(
        "eval-categories",
        parents=[model_flags],
        help="mean AP of categories learned from K photos, on a folder of <wnid>_* images",
    )
    evaluate.add_argument("directory", type=Path)
    evaluate.add_argument(
        "--shots", type=int, nargs="+", default=[1, 3, 5, 10], help="examples per category"
    )
    evaluate.add_argument("--draws", type=int, default=5, help="random draws per category")
    bench = sub.add_parser(
        "bench-categories",
        help="time training a category and scoring N photos (synthetic features, real size)",
    )
    bench.add_argument("--photos", type=int, default=100_000)
    bench.add_argument("--examples", type=int, default=50)
    bench.add_argument("--json", action="store_true", help="print JSON")


def _teach(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.library.categories import categories_of

    library = open_library(settings)
    examples = [library.find(ref) for ref in args.examples]
    counter = [library.find(ref) for ref in args.counter]
    category = categories_of(library, settings).teach(args.name, args.zh, examples, counter)
    if args.json:
        print(json.dumps(category, ensure_ascii=False, indent=2))
        return EXIT_OK
    shown = len(category["examples"])
    show(
        t(
            "category #{id} {name}: {examples}, {photos} at score {threshold} or more",
            id=category["id"],
            name=title(category["name"], category["name_zh"] or ""),
            examples=nt("{count} example", "{count} examples", shown, count=shown),
            photos=_photo_count(category["count"]),
            threshold=cosine(category["threshold"]),
        )
    )
    return EXIT_OK


def _photo_count(count: int) -> Any:
    return nt("{count} photo", "{count} photos", count, count=count)


def _categories(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.cli.library_commands import open_library
    from smartalbum.library.categories import category_reads

    library = open_library(settings)
    reads = category_reads(library, settings)
    found: Any = reads.one(args.show) if args.show is not None else reads.all()
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    roles = {"yes": t("(example)"), "no": t("(counter-example)")}
    for c in [found] if args.show is not None else found:
        name = title(c["name"], c["name_zh"] or "")
        show(
            t(
                "#{id}  {name}  {photos} (threshold {threshold})",
                id=c["id"],
                name=name,
                photos=_photo_count(c["count"]),
                threshold=cosine(c["threshold"]),
            )
        )
        for match in c.get("matches", [])[:20]:
            role = roles.get(match["example"] or "")
            path = library.photo(match["id"])["path"]
            mark = f"  {role.render(language())}" if role else ""
            print(f"  {cosine(match['score']):>6}  #{match['id']}  {path}{mark}")
    return EXIT_OK


def _eval_categories(args: argparse.Namespace, settings: Settings) -> int:
    from smartalbum.albums import class_groups
    from smartalbum.bench.category_eval import embed_folder
    from smartalbum.categories import evaluation
    from smartalbum.models.labels import load_labels
    from smartalbum.models.zoo import get_model

    embeddings, probabilities, wnids = embed_folder(settings, args.directory, progress)
    classes = evaluation.class_indices(load_labels(overrides=settings.labels_file), wnids)
    temperature = get_model(settings.model).temperature  # the classifier's probabilities'
    groups = [(g.id, g.classes) for g in class_groups().by_id.values()]
    table: dict[int, dict[str, Any]] = {}
    for shots in args.shots:
        results = evaluation.evaluate(
            embeddings,
            probabilities,
            classes,
            groups,
            shots,
            args.draws,
            temperature=temperature,
        )
        table[shots] = {
            "mean_ap": evaluation.summary(results),
            "groups": {r.group: {"photos": r.photos, **r.ap} for r in results},
        }
    if args.json:
        print(json.dumps({"images": len(wnids), "shots": table}, indent=2))
        return EXIT_OK
    methods = next(iter(table.values()))["mean_ap"]
    print("mean AP   " + "  ".join(f"{name:>15}" for name in methods))
    for shots, row in table.items():
        print(f"K = {shots:<5} " + "  ".join(f"{v:15.3f}" for v in row["mean_ap"].values()))
    return EXIT_OK


def _bench_categories(args: argparse.Namespace, _settings: Settings) -> int:
    from smartalbum.bench.category_bench import bench_categories

    found = bench_categories(args.photos, args.examples)
    if args.json:
        print(json.dumps(found, indent=2))
        return EXIT_OK
    show(
        t(
            "{photos} photos ({dimensions} features, {mb} MB): train from {examples} examples "
            "{train} ms, score every photo {score} ms (median of {repeats})",
            photos=found["photos"], dimensions=found["dimensions"], mb=found["matrix_mb"],
            examples=found["examples"], train=f"{found['train_seconds'] * 1000:.1f}",
            score=f"{found['score_seconds'] * 1000:.1f}", repeats=found["repeats"],
        )
    )  # fmt: skip
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "teach": _teach,
    "categories": _categories,
    "eval-categories": _eval_categories,
    "bench-categories": _bench_categories,
}
