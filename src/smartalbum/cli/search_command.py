"""``smartalbum search "去年冬天在日本滑雪"``: the understood parts first, then the photos."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from smartalbum.cli.common import EXIT_OK, cosine, language, percent, show, title
from smartalbum.i18n import nt
from smartalbum.settings import Settings

# The name of each kind of part, in each language (data shown, like titles, not a message).
KINDS = {
    "when": ("when", "时间"),
    "where": ("where", "地点"),
    "what": ("what", "内容"),
    "text": ("text", "文字"),
    "keyword": ("keyword", "关键词"),  # another tool's XMP keyword
    "any": ("any of", "任一"),
    "unknown": ("not understood", "未识别"),
}


def add_search_arguments(search: argparse.ArgumentParser) -> None:
    """The query, the text wanted, how many photos to list and the day relative times count from."""
    search.add_argument("query", metavar="QUERY", nargs="?", default="")
    search.add_argument(
        "--text",
        metavar="WORDS",
        help="what the photo says (发票, 'boarding pass'); with QUERY: both",
    )
    search.add_argument("--limit", type=int, default=50, help="photos to list")
    search.add_argument(
        "--today",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the day 'last winter' and '上个月' count from (default: today)",
    )


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print the interpretation, the moments it names, then the photos (or both as JSON)."""
    from smartalbum.cli.library_commands import open_library, open_timeline
    from smartalbum.search.service import search
    from smartalbum.search.structured import Filters

    library = open_library(settings)
    timeline = open_timeline(settings, library)
    filters = Filters(text=args.text) if args.text is not None else None
    found = search(
        library, args.query, limit=args.limit, today=args.today, moments=timeline, filters=filters
    )
    keys = ("id", "path", "score", "label", "label_zh", "place", "moment", "category")
    photos = [{k: p.get(k) for k in keys} for p in found["photos"]]
    if args.json:
        shown = {k: found[k] for k in ("query", "interpretation", "skipped", "total")}
        print(json.dumps({**shown, "photos": photos, "instead": found.get("instead")},
                         ensure_ascii=False, indent=2))  # fmt: skip
        return EXIT_OK
    chinese = language() == "zh"
    for part in found["interpretation"]:
        print(_part_line(part, chinese))
    for m in timeline.matching(args.query):
        show(
            nt(
                "moment {id}: {title} ({count} photo)",
                "moment {id}: {title} ({count} photos)",
                m["count"],
                id=m["id"],
                title=title(m["title"], m["title_zh"]),
                count=m["count"],
            )
        )
    for p in photos:
        print(_photo_line(p, chinese))
    if "instead" in found:
        print(found["instead"]["zh" if chinese else "en"])
    show(
        nt(
            "{count} photo matches {query!r}",
            "{count} photos match {query!r}",
            found["total"],
            count=found["total"],
            query=" ".join(filter(None, (args.query, args.text))),
        )
    )
    return EXIT_OK


def _photo_line(photo: dict[str, Any], chinese: bool) -> str:
    """One photo found: its score, id, what found it and path. A photo found through a taught
    category shows the category and its cosine, as `categories ID` does; any other, the
    search's score in percent beside its label (or the place the query named)."""
    category = photo["category"]
    if category is not None:
        score = cosine(category["score"])
        what = title(category["name"], category["name_zh"] or "")
    else:
        score = percent(photo["score"])
        what = _place(photo["place"], chinese) or f"{photo['label']} · {photo['label_zh']}"
    return f"{score:>6}  #{photo['id']}  {what}  {photo['path']}"


def _place(place: dict[str, Any] | None, chinese: bool) -> str:
    """ "Sapporo, Japan" or "日本札幌": where a photo was, in the reader's language."""
    if not place:
        return ""
    if chinese and (place.get("country_zh") or place.get("city_zh")):
        return "".join(filter(None, (place.get("country_zh"), place.get("city_zh"))))
    return ", ".join(filter(None, (place.get("city"), place.get("country"))))


def _part_line(part: dict[str, Any], chinese: bool) -> str:
    """One part: 时间：2025–26年冬（去年冬天）· 4 张, or when: winter 2025–26 ("last winter")."""
    kind = KINDS.get(part["kind"], (part["kind"], part["kind"]))
    if chinese:
        return f"{kind[1]}：{part['zh']}（{part['text']}）· {part['matched']} 张"
    return f'{kind[0]}: {part["en"]} ("{part["text"]}") · {part["matched"]} photos'
