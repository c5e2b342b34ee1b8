"""The bundled tab-separated tables under ``data/``, read one way by every places module.

Geocoding imports the spellings and the towns, so the reader lives here, below them all.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable

from smartalbum.errors import PlaceDataError
from smartalbum.i18n import t


def bundled(name: str) -> Traversable:
    """The bundled table ``data/<name>``."""
    return resources.files("smartalbum.places").joinpath("data", name)


def tsv(
    source: Traversable,
    least: int,
    most: int,
    *,
    filled: int | None = None,
    valid: Callable[[list[str]], bool] | None = None,
) -> list[list[str]]:
    """Rows of a tab-separated table; blank lines and ``#`` comments are skipped.

    Each row has ``least``-``most`` cells, the first ``filled`` of them (all by default)
    not empty, and passes ``valid`` when given; any other row is a PlaceDataError naming
    the file and the line.
    """
    rows = []
    for number, line in enumerate(source.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        row = [cell.strip() for cell in line.split("\t")]
        if not least <= len(row) <= most or not all(row[:filled]) or (valid and not valid(row)):
            raise PlaceDataError(
                t(
                    "{file} line {number}: expected {least}-{most} fields: {line!r}",
                    file=source.name,
                    number=number,
                    least=least,
                    most=most,
                    line=line,
                )
            )
        rows.append(row)
    return rows
