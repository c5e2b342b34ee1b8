"""How well the model does on each kind of photo and in each kind of poor condition.

``smartalbum eval DIR --report``: every labelled photo is classified clean and under each
seeded degradation (``bench.conditions``), with hard-light enhancement off, always, and
``auto`` (only where the histogram says dark or washed out), and scored top-1 and top-3
per album group and per condition. The clean logits give the calibration: the expected
calibration error before and after a temperature fitted on the calibration subset
(the photos whose class index is a multiple of 10), judged on the other photos.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from smartalbum import enhance, imaging
from smartalbum.albums import class_groups
from smartalbum.bench import calibration
from smartalbum.bench.accuracy import labelled_images
from smartalbum.bench.conditions import CONDITIONS, degrade
from smartalbum.engines.classifier import Classifier, softmax
from smartalbum.engines.pipeline import batches_ahead

TOP = 3
MODES = ("off", "auto", "always")
# (id, English, Chinese, the album groups it gathers): the kinds of photo people keep.
REPORT_GROUPS = (
    ("scenery", "scenery", "自然风景", ("landscape", "mountain", "seaside", "winter")),
    ("pets", "pets", "宠物", ("pet",)),
    ("wildlife", "wild animals", "野生动物",
     ("wild_cat", "bird", "fish", "reptile", "amphibian", "insect", "sea_life", "primate")),
    ("food", "food & drink", "美食饮品", ("food", "drink")),
    ("plants", "plants & flowers", "植物花卉", ("plant", "flower", "fungus")),
    ("vehicles", "vehicles", "交通工具", ("vehicle",)),
    ("buildings", "buildings & structures", "建筑", ("building", "structure")),
    ("documents", "documents & screens", "文档与屏幕", ("document", "screen")),
    ("electronics", "electronics", "电子产品", ("electronics",)),
    ("objects", "everyday objects", "日常物品",
     ("household", "kitchen", "furniture", "container", "office", "tool")),
    ("clothing", "clothing & accessories", "服饰配件", ("clothing", "accessory", "cosmetics")),
    ("leisure", "sport, toys & music", "运动、玩具与乐器", ("sport", "toy", "instrument")),
)  # fmt: skip
CALIBRATION_EVERY = 10  # the calibration subset: class index % 10 == 0


@dataclass
class Measurements:
    """Every photo's top classes under every condition and mode, and its clean logits."""

    names: list[str]
    truth: np.ndarray  # (N,) class index
    method: str = enhance.SHIPPED  # the enhancement "always" and "auto" applied
    top: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (N, TOP), -1: failed
    enhanced: dict[str, np.ndarray] = field(default_factory=dict)  # (N,) auto changed it
    clean_logits: np.ndarray | None = None  # (N, classes), enhancement off


@dataclass(frozen=True)
class Score:
    """Top-1 and top-3 accuracy over ``n`` photos."""

    n: int
    top1: float
    top3: float


def measure(
    classifier: Classifier,
    directory: Path,
    method: str = enhance.SHIPPED,
    wrap: Callable[[Iterator[Any], int], Iterator[Any]] = lambda it, _total: it,
) -> Measurements:
    """Classify every labelled photo under every condition, enhanced and not."""
    samples = labelled_images(directory)
    truth = np.array([classifier.labels.index_of(w) for _, w in samples])
    found = Measurements([p.name for p, _ in samples], truth, method)
    rows: dict[tuple[str, str], list[np.ndarray]] = {}
    flags: dict[str, list[bool]] = {c.id: [] for c in CONDITIONS}
    logits: list[np.ndarray] = []

    def work(sample: tuple[Path, str]) -> dict[tuple[str, str], np.ndarray] | None:
        return _inputs(classifier, sample[0], method)

    batches = batches_ahead(
        samples, work, classifier.settings.batch_size, classifier.settings.decode_threads,
        "smartalbum-report",
    )  # fmt: skip
    for batch in wrap(batches, -(-len(samples) // classifier.settings.batch_size)):
        for inputs in batch:
            for key, (top, row_logits, flag) in _classify(classifier, inputs).items():
                rows.setdefault(key, []).append(top)
                if key[1] == "off":
                    flags[key[0]].append(flag)
                if key == ("clean", "off"):
                    logits.append(row_logits)
    for (condition, mode), tops in rows.items():
        found.top[(condition, mode)] = np.stack(tops)
    for condition, marks in flags.items():
        found.enhanced[condition] = np.array(marks, dtype=bool)
        off, always = found.top[(condition, "off")], found.top[(condition, "always")]
        found.top[(condition, "auto")] = np.where(found.enhanced[condition][:, None], always, off)
    found.clean_logits = np.stack(logits)
    return found


def _inputs(
    classifier: Classifier, path: Path, method: str
) -> dict[tuple[str, str], np.ndarray] | None:
    """The model inputs of one photo: (condition, "off"/"always") -> array, and a flag each."""
    preprocess = classifier.preprocess
    try:
        img = imaging.decode(path, min_side=preprocess.resize_size)
    except Exception:  # scored as a miss under every condition, as ``evaluate`` does
        return None
    inputs: dict[tuple[str, str], np.ndarray] = {}
    for condition in CONDITIONS:
        crop = preprocess.crop(degrade(img, condition, path.name))
        inputs[(condition.id, "off")] = preprocess.to_array(crop)
        inputs[(condition.id, "always")] = preprocess.to_array(enhance.METHODS[method](crop))
        inputs[(condition.id, "flag")] = np.array(enhance.hard_light(crop))
    return inputs


def _classify(
    classifier: Classifier, inputs: dict[tuple[str, str], np.ndarray] | None
) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray, bool]]:
    """(top classes, logits, whether auto enhances) for each (condition, mode) of one photo."""
    classes = len(classifier.labels)
    keys = [(c.id, mode) for c in CONDITIONS for mode in ("off", "always")]
    if inputs is None:
        missing = np.full(TOP, -1)
        return {key: (missing, np.zeros(classes, np.float32), False) for key in keys}
    logits = classifier.engine.run(np.stack([inputs[key] for key in keys]))
    top = np.argsort(-logits, axis=1, kind="stable")[:, :TOP]
    return {key: (top[i], logits[i], bool(inputs[(key[0], "flag")])) for i, key in enumerate(keys)}


def score(top: np.ndarray, truth: np.ndarray) -> Score:
    """Top-1 and top-3 accuracy of these rows."""
    n = len(truth)
    if n == 0:
        return Score(0, 0.0, 0.0)
    hits = top == truth[:, None]
    return Score(n, float(hits[:, 0].mean()), float(hits.any(axis=1).mean()))


def group_members(truth: np.ndarray) -> dict[str, np.ndarray]:
    """For each report group, which photos' true class belongs to it."""
    groups = class_groups()
    members = {}
    for group_id, _en, _zh, parts in REPORT_GROUPS:
        classes = set().union(*(groups[part].classes for part in parts))
        members[group_id] = np.isin(truth, sorted(classes))
    return members


@dataclass(frozen=True)
class Report:
    """The tables: per condition and mode, per group and condition, and the calibration."""

    model: str
    engine: str
    method: str
    images: int
    seconds: float
    conditions: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    calibration: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def build_report(classifier: Classifier, found: Measurements, seconds: float) -> Report:
    """Score the measurements into the report's tables."""
    conditions = []
    for c in CONDITIONS:
        row: dict[str, Any] = {"id": c.id, "en": c.en, "zh": c.zh}
        for mode in MODES:
            row[mode] = asdict(score(found.top[(c.id, mode)], found.truth))
        row["auto_share"] = round(float(found.enhanced[c.id].mean()), 4)
        conditions.append(row)
    groups = []
    for (group_id, en, zh, _), members in zip(
        REPORT_GROUPS, group_members(found.truth).values(), strict=True
    ):
        by_condition = {
            c.id: asdict(score(found.top[(c.id, "off")][members], found.truth[members]))
            for c in CONDITIONS
        }
        groups.append({"id": group_id, "en": en, "zh": zh, "conditions": by_condition})
    assert found.clean_logits is not None
    return Report(
        model=classifier.spec.name,
        engine=classifier.engine.name,
        method=found.method,
        images=len(found.truth),
        seconds=round(seconds, 1),
        conditions=conditions,
        groups=groups,
        calibration=calibrate(found.clean_logits, found.truth, classifier.spec.temperature),
    )


def calibrate(logits: np.ndarray, truth: np.ndarray, shipped: float) -> dict[str, Any]:
    """ECE with the shipped temperature and with one fitted on the calibration subset."""
    subset = truth % CALIBRATION_EVERY == 0
    if subset.all() or not subset.any():  # a folder without both: judge on every photo
        subset = np.arange(len(truth)) % 2 == 0
    fitted = calibration.fit_temperature(logits[subset], truth[subset])
    out: dict[str, Any] = {"subset": int(subset.sum()), "fitted_temperature": round(fitted, 4)}
    out["shipped_temperature"] = shipped
    for name, temperature in (("raw", 1.0), ("shipped", shipped), ("fitted", fitted)):
        probabilities = softmax(logits / temperature)
        confidence = probabilities.max(axis=1)
        correct = probabilities.argmax(axis=1) == truth
        out[name] = {
            "ece_all": round(calibration.expected_calibration_error(confidence, correct), 4),
            "ece_held_out": round(
                calibration.expected_calibration_error(confidence[~subset], correct[~subset]), 4
            ),
            "nll_held_out": round(
                calibration.negative_log_likelihood(logits[~subset], truth[~subset], temperature),
                4,
            ),
            "bins": [asdict(b) for b in calibration.reliability(confidence, correct)],
        }
    return out


def run_report(
    classifier: Classifier,
    directory: Path,
    wrap: Callable[[Iterator[Any], int], Iterator[Any]] = lambda it, _total: it,
) -> Report:
    """Measure and score: the whole ``eval --report``."""
    started = time.perf_counter()
    found = measure(classifier, directory, wrap=wrap)
    return build_report(classifier, found, time.perf_counter() - started)


def format_table(report: Report) -> str:
    """The report as plain-text tables (English and Chinese names)."""
    lines = [f"{report.model} ({report.engine}), {report.images} photos, enhancement "
             f"{report.method}; top-1 / top-3 %", ""]  # fmt: skip
    head = f"{'condition':<52}" + "".join(f"{m:>14}" for m in MODES) + f"{'auto fired':>12}"
    lines += [head, "-" * len(head)]
    for row in report.conditions:
        cells = "".join(
            f"{row[m]['top1'] * 100:>7.1f} /{row[m]['top3'] * 100:>5.1f}" for m in MODES
        )
        name = f"{row['en']} · {row['zh']}"
        lines.append(f"{_pad(name, 52)}{cells}{row['auto_share'] * 100:>11.1f}%")
    lines += ["", "top-1 % per group (enhancement off): clean, then each condition", ""]
    ids = [c["id"] for c in report.conditions]
    head = f"{'group':<40}{'n':>5}" + "".join(f"{i[:11]:>12}" for i in ids)
    lines += [head, "-" * len(head)]
    for group in report.groups:
        scores = group["conditions"]
        cells = "".join(f"{scores[i]['top1'] * 100:>12.1f}" for i in ids)
        name = f"{group['en']} · {group['zh']}"
        lines.append(f"{_pad(name, 40)}{scores['clean']['n']:>5}{cells}")
    cal = report.calibration
    lines += ["", f"calibration: temperature fitted on {cal['subset']} photos "
              f"(class index % 10 == 0): {cal['fitted_temperature']}"]  # fmt: skip
    for name in ("raw", "shipped", "fitted"):
        c = cal[name]
        temperature = {"raw": 1.0, "shipped": cal["shipped_temperature"]}.get(
            name, cal["fitted_temperature"]
        )
        lines.append(
            f"  {name:<7} T {temperature:<6} ECE all {c['ece_all'] * 100:.2f} %, held out "
            f"{c['ece_held_out'] * 100:.2f} %, NLL held out {c['nll_held_out']:.3f}"
        )
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify text whose CJK characters take two columns each."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return text + " " * max(1, width - len(text) - wide)
