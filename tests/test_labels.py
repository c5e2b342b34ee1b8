from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartalbum.errors import ConfigError
from smartalbum.models.labels import load_labels


def test_thousand_classes_in_sorted_wnid_order() -> None:
    labels = load_labels()
    assert len(labels) == 1000
    wnids = [c.wnid for c in labels.classes]
    assert wnids == sorted(wnids)
    assert [c.index for c in labels.classes] == list(range(1000))
    assert (labels[0].wnid, labels[0].en) == ("n01440764", "tench")
    assert labels[281].en == "tabby"
    assert labels[970].en == "alp"


def test_class_order_matches_the_sample_set(samples: Path) -> None:
    wnids = sorted({p.name.split("_")[0] for p in samples.glob("n*_*")})
    assert wnids == [c.wnid for c in load_labels().classes]


@pytest.mark.parametrize(
    ("wnid", "en", "zh"),
    [
        ("n11879895", "rapeseed", "油菜花"),
        ("n11939491", "daisy", "雏菊"),
        ("n09193705", "alp", "高山"),
        ("n04228054", "ski", "滑雪板"),  # the ski itself, not skiing (滑雪)
        ("n02124075", "Egyptian cat", "埃及猫"),
        ("n02123045", "tabby", "虎斑猫"),
        ("n01443537", "goldfish", "金鱼"),
        ("n02012849", "crane (bird)", "鹤"),
        ("n03126707", "crane (machine)", "起重机"),
    ],
)
def test_readable_names_in_both_languages(wnid: str, en: str, zh: str) -> None:
    label = load_labels().by_wnid(wnid)
    assert (label.en, label.zh) == (en, zh)


def test_every_class_has_distinct_readable_names() -> None:
    classes = load_labels().classes
    assert len({c.en.lower() for c in classes}) == 1000
    assert len({c.zh for c in classes}) == 1000
    for c in classes:
        assert c.en.strip() and not re.fullmatch(r"n\d{8}", c.en)
        assert re.search(r"[\u4e00-\u9fff]", c.zh), c


def test_user_overrides_replace_either_language(tmp_path: Path) -> None:
    user = tmp_path / "names.toml"
    user.write_text('[n02124075]\nen = "Egyptian Mau"\n\n[n01443537]\nzh = "小金鱼"\n', "utf-8")
    labels = load_labels(overrides=user)
    assert (labels[285].en, labels[285].zh) == ("Egyptian Mau", "埃及猫")
    assert (labels[1].en, labels[1].zh) == ("goldfish", "小金鱼")


@pytest.mark.parametrize(
    "content",
    [
        '[n99999999]\nen = "x"\n',
        '[n02124075]\ncolour = "x"\n',
        "[n02124075\n",
        '[n02124075]\nen = ""\n',
    ],
)
def test_bad_override_files_name_the_file(tmp_path: Path, content: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(content, "utf-8")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_labels(overrides=user)
