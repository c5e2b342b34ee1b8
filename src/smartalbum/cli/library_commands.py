"""Commands about the photo library: index, duplicates, albums, moments, trips, search, label."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartalbum.cli.common import EXIT_OK, language, percent, progress, say, show, title
from smartalbum.cli.search_command import add_search_arguments, run_search
from smartalbum.errors import ConfigError
from smartalbum.i18n import Message, nt, t
from smartalbum.library.pages import MAX_PAGE
from smartalbum.settings import Settings

if TYPE_CHECKING:
    from smartalbum.library.indexer import IndexReport
    from smartalbum.library.service import PhotoLibrary
    from smartalbum.moments import Timeline


# A plain string: a URL must keep its "//" (Path would fold it).
LIBRARY_HELP = "catalog: a SQLite file or a URL such as postgresql+psycopg://user@host/smartalbum"


def add_parsers(sub: Any, model_flags: argparse.ArgumentParser) -> None:
    """The subcommands about the photo library."""
    index = sub.add_parser(
        "index", parents=[model_flags], help="classify every photo under folders into the catalog"
    )
    index.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    index.add_argument("--library", help=LIBRARY_HELP + " (default in your data folder)")
    index.add_argument("--reclassify", action="store_true", help="redo every photo")

    duplicates = sub.add_parser("duplicates", help="list exact and near-duplicate photos")
    duplicates.add_argument("--library", help=LIBRARY_HELP)
    duplicates.add_argument("--json", action="store_true", help="print JSON")

    library_flags = argparse.ArgumentParser(add_help=False)
    library_flags.add_argument("--library", help=LIBRARY_HELP)
    library_flags.add_argument(
        "--rules", type=Path, metavar="RULES.toml", help="your album rules (SMARTALBUM_ALBUMS_FILE)"
    )
    library_flags.add_argument("--json", action="store_true", help="print JSON")

    albums = sub.add_parser(
        "albums", parents=[library_flags], help="list the smart albums, or one album's photos",
        description="`smartalbum albums` lists albums; `smartalbum albums show ID` lists photos.",
    )  # fmt: skip
    _add_show(albums, "album", limit=100)
    albums.add_argument(
        "--reload", action="store_true", help="re-read the rules and regroup the library now"
    )
    albums.add_argument(
        "--dry-run", type=Path, metavar="RULES.toml",
        help="show what these rules would change, without changing anything",
    )  # fmt: skip

    home_flags = argparse.ArgumentParser(add_help=False)
    home_flags.add_argument(
        "--home", metavar="PLACE", help="where you live: a town ('Beijing', '北京') or 'lat,lon'"
    )
    moments = sub.add_parser(
        "moments", parents=[library_flags, home_flags],
        help="the timeline: photos grouped by time and place, newest first",
        description="`smartalbum moments` lists moments; `smartalbum moments show ID` its photos.",
    )  # fmt: skip
    _add_show(moments, "moment", limit=MAX_PAGE)
    sub.add_parser(
        "trips", parents=[library_flags, home_flags], help="runs of moments away from home"
    )

    search = sub.add_parser(
        "search",
        parents=[library_flags],
        help="find photos by a sentence (what, where, when) in English or 中文: "
        "'dogs on the beach in summer 2024', '去年冬天在日本滑雪'",
    )
    add_search_arguments(search)
    _add_label(sub, library_flags)


def _add_label(sub: Any, library_flags: argparse.ArgumentParser) -> None:
    """``label PHOTO --set|--confirm|--reject|--clear CLASS``."""
    label = sub.add_parser(
        "label", parents=[library_flags], help="correct a photo's label: set, confirm or reject"
    )
    label.add_argument("photo", metavar="PHOTO", help="photo id or file path")
    group = label.add_mutually_exclusive_group(required=True)
    for action, text in (
        ("set", "the right class for the photo (replaces the model's labels)"),
        ("confirm", "the model got this class right"),
        ("reject", "the photo is not this (never shown again for it)"),
        ("clear", "forget your correction of this class"),
    ):
        group.add_argument(f"--{action}", metavar="WNID", help=f"{text}; a wnid or a class name")


def _add_show(parser: argparse.ArgumentParser, noun: str, limit: int) -> None:
    """``COMMAND show ID [--limit N]``: one item's photos instead of the list."""
    parser.add_argument("action", nargs="?", choices=["show"], help=f"show one {noun}")
    parser.add_argument(noun, nargs="?", metavar="ID", help=f"the {noun} to show")
    parser.add_argument("--limit", type=int, default=limit, help="photos to list (show)")


def _index(args: argparse.Namespace, settings: Settings) -> int:
    if settings.broker:  # the work goes to `smartalbum worker` processes
        from smartalbum.cli.worker_commands import distributed_index

        return _print_index(args, distributed_index(args, settings))
    from smartalbum.library import workers

    if settings.index_processes != 1:
        workers.prepare()  # the workers' imports run while this process loads the model

    from smartalbum.albums import RulesWatcher, class_groups
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.cli.later_command import print_second_phase, second_phase
    from smartalbum.engines.classifier import Classifier
    from smartalbum.library import later_passes
    from smartalbum.library.indexer import Indexer
    from smartalbum.library.sidecars import landing

    classifier = Classifier.from_settings(settings)
    rules = RulesWatcher(settings.albums_file, classifier.labels, class_groups())
    if rules.error is not None:  # the photos still go in; `albums --reload` regroups them
        say(t("smartalbum: warning: {message}; built-in albums used", message=rules.error.text))
    sessions = session_factory(open_engine(settings.library))
    landed = landing(settings, sessions, rules.current())  # XMP sidecars, when on
    indexer = Indexer(
        classifier, sessions, settings.library, rules=rules.current(), later=False, landed=landed
    )
    report = indexer.run(args.folders, reclassify=args.reclassify, wrap=progress)
    if not later_passes.wanted(settings):
        code = _print_index(args, report)
    else:  # the first phase's figures, then text and faces (see library.later_passes)
        if not args.json:
            _print_index(args, report)
        later = second_phase(settings, sessions, rules.current(), landed)
        code = print_second_phase(report, later, args.json)
    if settings.engine == "auto":
        _int8_from_the_library(settings, sessions)
    return code


def _int8_from_the_library(settings: Settings, sessions: Any) -> None:
    """Once the library is big enough, the INT8 model from its photos (see library.int8)."""
    from smartalbum.engines.classifier import model_files
    from smartalbum.library.int8 import auto_int8, verdict_message

    def starting() -> None:
        say(t("smartalbum: building the INT8 model from your photos (once; it takes a while)"))

    verdict = auto_int8(settings, model_files(settings), sessions, starting)
    if verdict is not None:
        say(t("smartalbum: {message}", message=verdict_message(verdict)))


def _print_index(args: argparse.Namespace, report: IndexReport) -> int:
    for warning in report.warnings:
        say(t("smartalbum: warning: {warning}", warning=warning))
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        show(
            nt(
                "{scanned} file: {added} added, {updated} updated, {unchanged} unchanged, "
                "{moved} moved, {missing} missing, {failed} failed in {seconds:.1f} s "
                "({speed} img/s)",
                "{scanned} files: {added} added, {updated} updated, {unchanged} unchanged, "
                "{moved} moved, {missing} missing, {failed} failed in {seconds:.1f} s "
                "({speed} img/s)",
                report.scanned,
                scanned=report.scanned,
                added=report.added,
                updated=report.updated,
                unchanged=report.unchanged,
                moved=report.moved,
                missing=report.missing,
                failed=report.failed,
                seconds=report.seconds,
                speed=report.images_per_second,
            )
        )
    return EXIT_OK


def _duplicates(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.duplicates import find_duplicates

    groups = find_duplicates(session_factory(open_engine(settings.library)))
    if args.json:
        print(json.dumps([asdict(g) for g in groups], indent=2, ensure_ascii=False))
        return EXIT_OK
    kinds = {"exact": t("exact copies"), "near": t("near copies")}
    for group in groups:
        show(t("{kind} ({similarity:.3f}):", kind=kinds[group.kind], similarity=group.similarity))
        for path in group.paths:
            print(f"  {path}")
    show(
        nt(
            "{count} group of duplicates",
            "{count} groups of duplicates",
            len(groups),
            count=len(groups),
        )
    )
    return EXIT_OK


def open_library(settings: Settings, regroup: bool = True) -> PhotoLibrary:
    """The catalog with the album rules in force, as the command line browses it."""
    from smartalbum.library.service import PhotoLibrary

    return PhotoLibrary.open(settings, regroup=regroup)


def _albums(args: argparse.Namespace, settings: Settings) -> int:
    library = open_library(settings, regroup=not args.reload)
    if args.dry_run is not None:
        return _albums_dry_run(args, library)
    if args.action == "show":
        if not args.album:
            raise ConfigError(t("say which album: smartalbum albums show ID"))
        album = library.album(args.album, limit=args.limit)
        if args.json:
            print(json.dumps(album["photos"], ensure_ascii=False, indent=2))
        else:
            show(_photos(title(album["title"], album["title_zh"]), album["count"]))
            for photo in album["photos"]:
                print(f"  {percent(photo['score']):>6}  #{photo['id']}  {photo['path']}")
        return EXIT_OK
    if args.reload:
        regrouped = library.reload_rules()
        say(
            nt(
                "smartalbum: rules from {source}: {count} photo regrouped",
                "smartalbum: rules from {source}: {count} photos regrouped",
                regrouped,
                source=_rules_source(library.rules.source),
                count=regrouped,
            )
        )
    rows = [{k: a[k] for k in ("id", "title", "title_zh", "count")} for a in library.albums()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:<16} {row['count']:>6}  {title(row['title'], row['title_zh'])}")
    return EXIT_OK


def _rules_source(source: str) -> object:
    """Where the rules came from: a file, or the built-in rules (named in the reader's words)."""
    from smartalbum.albums.rules import BUILT_IN

    return t("built-in album rules") if source == BUILT_IN else source


def _albums_dry_run(args: argparse.Namespace, library: PhotoLibrary) -> int:
    from smartalbum.albums.rules import load_rules

    candidate = load_rules(args.dry_run, library.labels, library.groups)
    rows = library.preview(candidate)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    show(t("with {path} (nothing changed):", path=str(args.dry_run)))
    same = t("same").render(language())
    for row in rows:
        change = f"+{row['added']} -{row['removed']}" if row["added"] or row["removed"] else same
        print(f"  {row['id']:<16} {row['before']:>6} -> {row['after']:<6} {change}")
    return EXIT_OK


def open_timeline(settings: Settings, library: PhotoLibrary | None = None) -> Timeline:
    """The library's moments and trips, as the command line lists them."""
    from smartalbum.moments import Timeline

    return Timeline(library or open_library(settings), settings)


def _moments(args: argparse.Namespace, settings: Settings) -> int:
    timeline = open_timeline(settings)
    if args.action == "show":
        if not args.moment:
            raise ConfigError(t("say which moment: smartalbum moments show ID"))
        moment = timeline.moment(args.moment, limit=args.limit)
        if args.json:
            print(json.dumps(moment, ensure_ascii=False, indent=2))
        else:
            show(_photos(title(moment["title"], moment["title_zh"]), moment["count"]))
            for photo in moment["photos"]:
                print(f"  #{photo['id']}  {photo['path']}")
        return EXIT_OK
    rows = timeline.moments()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    file_dates = t(" (file dates)").render(language())
    for m in rows:
        trip = f"  [{title(m['trip']['title'], m['trip']['title_zh'])}]" if m["trip"] else ""
        dates = f"{m['start'][:10]} – {m['end'][:10]}"
        note = file_dates if m["time_is_file_date"] else ""
        name = title(m["title"], m["title_zh"])
        print(f"{m['id']:<10} {dates}  {m['count']:>5}  {name}{note}{trip}")
    show(nt("{count} moment", "{count} moments", len(rows), count=len(rows)))
    return EXIT_OK


def _trips(args: argparse.Namespace, settings: Settings) -> int:
    timeline = open_timeline(settings)
    trips = timeline.trips()
    if args.json:
        print(json.dumps(trips, ensure_ascii=False, indent=2))
        return EXIT_OK
    lang = language()
    for trip in trips:
        dates = f"{trip['start'][:10]} – {trip['end'][:10]}"
        moments = nt(
            "{count} moment", "{count} moments", len(trip["moments"]), count=len(trip["moments"])
        )
        photos = nt(
            "{count} photo in {moments}",
            "{count} photos in {moments}",
            trip["count"],
            count=trip["count"],
            moments=moments,
        )
        print(
            f"{trip['id']:<10} {dates}  {photos.render(lang)}  "
            f"{title(trip['title'], trip['title_zh'])}"
        )
    show(nt("{count} trip", "{count} trips", len(trips), count=len(trips)))
    return EXIT_OK


def _label(args: argparse.Namespace, settings: Settings) -> int:
    library = open_library(settings)
    action, ref = next((a, getattr(args, a)) for a in ("set", "confirm", "reject", "clear")
                       if getattr(args, a))  # fmt: skip
    photo = library.correct(library.find(args.photo), action, ref)
    if args.json:
        print(json.dumps(photo, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(photo["path"])
    for label in photo["labels"]:
        source = {"set": t("(set by you)"), "confirmed": t("(confirmed)")}.get(label["source"])
        mark = f"  {source.render(language())}" if source else ""
        print(f"  {percent(label['probability']):>6}  {label['label']} · {label['label_zh']}{mark}")
    albums = "、" if language() == "zh" else ", "
    listed = albums.join(title(a["title"], a["title_zh"]) for a in photo["albums"])
    show(t("  albums: {albums}", albums=listed or t("none")))
    return EXIT_OK


def _photos(name: str, count: int) -> Message:
    """ "Winter: 3 photos" (an album's or moment's heading)."""
    return nt("{name}: {count} photo", "{name}: {count} photos", count, name=name, count=count)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "index": _index,
    "duplicates": _duplicates,
    "albums": _albums,
    "moments": _moments,
    "trips": _trips,
    "search": run_search,
    "label": _label,
}
