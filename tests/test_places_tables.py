"""The places' table reader: every bundled table read one way, a bad row named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartalbum.errors import PlaceDataError
from smartalbum.places import continents, spellings, tables, towns


def _table(tmp_path: Path, text: str) -> Path:
    source = tmp_path / "made.tsv"
    source.write_text(text, "utf-8")
    return source


def test_rows_skip_comments_and_blank_lines_and_trim_cells(tmp_path: Path) -> None:
    source = _table(tmp_path, "# a comment\n\nJP\t日本 \nFR\t法国\t巴黎\n")
    assert tables.tsv(source, 2, 3) == [["JP", "日本"], ["FR", "法国", "巴黎"]]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("JP\t日本\nFR\n", 2),  # too few cells
        ("JP\t日本\t东京\t!\n", 1),  # too many
        ("# note\nJP\t\n", 2),  # an empty cell
    ],
)
def test_a_bad_row_names_the_file_and_the_line(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(PlaceDataError, match=rf"made\.tsv line {line}: expected 2-3 fields"):
        tables.tsv(_table(tmp_path, text), 2, 3)


def test_only_the_first_cells_must_be_filled_and_a_row_can_be_checked(tmp_path: Path) -> None:
    source = _table(tmp_path, "Tokyo\t8336599\t\n")
    assert tables.tsv(source, 3, 3, filled=2) == [["Tokyo", "8336599", ""]]
    with pytest.raises(PlaceDataError, match="line 1"):
        tables.tsv(source, 3, 3)
    with pytest.raises(PlaceDataError, match="line 1"):
        tables.tsv(source, 3, 3, filled=2, valid=lambda row: row[1].isalpha())


def test_every_bundled_table_reads() -> None:
    assert len(continents.continents()) == 7
    assert spellings.pinyin_names()["xi an"] == ("西安",)
    assert spellings.region_aliases() and spellings.regions_zh()
    named = towns.town_names()
    assert len(named) > 10_000 and any(town.aliases for town in named)
    assert any(not town.aliases for town in named)  # an empty last cell is allowed there
