from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from smartalbum.errors import ConfigError
from smartalbum.settings import Settings
from tests.helpers import REPO


def test_defaults_use_the_embedded_model() -> None:
    settings = Settings.from_env({})
    assert settings.model == "efficientnet_lite0"
    assert settings.engine == "auto"
    assert settings.weights is None


def test_environment_variables_are_parsed_by_type() -> None:
    settings = Settings.from_env(
        {
            "SMARTALBUM_MODEL": "resnet18",
            "SMARTALBUM_BATCH_SIZE": "16",
            "SMARTALBUM_FAST_DECODE": "off",
            "SMARTALBUM_WEIGHTS": "/tmp/w.pth",
        }
    )
    assert settings.model == "resnet18"
    assert settings.batch_size == 16
    assert settings.fast_decode is False
    assert settings.weights == Path("/tmp/w.pth")


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"SMARTALBUM_TOP_K": "3"}).with_overrides(top_k=7, model=None)
    assert settings.top_k == 7
    assert settings.model == "efficientnet_lite0"


@pytest.mark.parametrize(
    ("name", "value"),
    [("SMARTALBUM_BATCH_SIZE", "many"), ("SMARTALBUM_FAST_DECODE", "maybe")],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        Settings.from_env({"SMARTALBUM_BATCH_SIZE": "0"})
    with pytest.raises(ConfigError, match="xmp_naming"):
        Settings.from_env({"SMARTALBUM_XMP_NAMING": "beside"})
    with pytest.raises(ConfigError, match="xmp_threshold"):
        Settings.from_env({"SMARTALBUM_XMP_THRESHOLD": "1.5"})


# Variables the product reads that are no setting: a retired one is refused with a message.
RETIRED = {"SMARTALBUM_PROXY_HEADERS"}
# Defaults the README describes, where the field's default (None) means "derived".
DESCRIBED_DEFAULTS = {"lang": "from `LANG`", "upload_root": "beside the catalog: `uploads/`"}


def readme_table() -> dict[str, str]:
    """The README's settings table: each variable and its default cell (a row may name two:
    `A` / `B`, with defaults x / y)."""
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            names_cell, default_cell = line.split("|")[1:3]
            names = re.findall(r"`(SMARTALBUM_[A-Z0-9_]+)`", names_cell)
            defaults = default_cell.strip().split(" / ") if len(names) > 1 else [default_cell]
            assert len(defaults) == len(names), line
            table.update(zip(names, (d.strip() for d in defaults), strict=True))
    return table


def readme_settings() -> set[str]:
    """The variables the README's settings table names."""
    return set(readme_table())


def test_every_setting_is_documented_in_the_readme_table() -> None:
    fields = dataclasses.fields(Settings)
    assert readme_settings() == {"SMARTALBUM_" + f.name.upper() for f in fields} | RETIRED
    assert all(f.metadata["help"] for f in fields)


def test_every_variable_the_product_names_is_in_the_readme_table() -> None:
    """Not the table against the Settings it was written from: every SMARTALBUM_ name in the
    source (read, refused or told to a user) is a row."""
    named = set()
    for path in (REPO / "src" / "smartalbum").rglob("*.py"):
        text = path.read_text("utf-8")
        named |= set(re.findall(r"\bSMARTALBUM_[A-Z0-9_]*[A-Z0-9]\b", text))
        named |= {"SMARTALBUM_" + n for n in re.findall(r'ENV_PREFIX \+ "([A-Z0-9_]+)"', text)}
    assert named - {"SMARTALBUM_TEST_WORKERS"} <= readme_settings()
    for name in RETIRED:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: "1"})


def test_the_readme_table_gives_each_setting_its_real_default() -> None:
    table = readme_table()
    for f in dataclasses.fields(Settings):
        if f.default is dataclasses.MISSING:
            continue  # made by a factory (a user folder): the README says where
        value = f.default
        shown = "—" if value is None else str(value).lower() if isinstance(value, bool) else value
        expected = DESCRIBED_DEFAULTS.get(f.name, str(shown))
        assert table["SMARTALBUM_" + f.name.upper()] == expected, f.name


def test_the_library_is_a_file_path_or_a_url_kept_whole() -> None:
    url = "postgresql+psycopg://ann@db.example:5432/photos"
    assert Settings.from_env({"SMARTALBUM_LIBRARY": url}).library == url
    assert Settings.from_env({}).with_overrides(library=url).library == url
    assert Settings.from_env({"SMARTALBUM_LIBRARY": "~/lib.db"}).library == "~/lib.db"
    assert Settings.from_env({}).library.endswith("library.db")


@pytest.mark.parametrize("home", ["95,10", "10,190", "-90.5, 0", " ", "12345", "39.9;116.4;"])
def test_a_home_that_cannot_be_a_place_is_refused_at_start_up(home: str) -> None:
    with pytest.raises(ConfigError, match="home") as caught:
        Settings.from_env({"SMARTALBUM_HOME": home})
    assert caught.value.render("zh").startswith("家的位置")
    with pytest.raises(ConfigError, match="home"):
        Settings.from_env({}).with_overrides(home=home)


@pytest.mark.parametrize("home", ["Beijing", "北京", "-33.87, 151.2", "90,-180"])
def test_a_home_by_name_or_coordinates_is_kept(home: str) -> None:
    assert Settings.from_env({"SMARTALBUM_HOME": home}).home == home


def test_the_language_setting_is_english_or_chinese() -> None:
    assert Settings.from_env({"SMARTALBUM_LANG": "zh_CN.UTF-8"}).lang == "zh_CN.UTF-8"
    with pytest.raises(ConfigError, match="setting lang must be one of en, zh, got 'fr'"):
        Settings.from_env({"SMARTALBUM_LANG": "fr"})
