"""The report as one self-contained HTML file: bar charts drawn in SVG, in English and 中文.

No script, no font and no fetch: the file opens anywhere, offline, and prints.
"""

from __future__ import annotations

from html import escape
from typing import Any

from smartalbum.bench.report import MODES, Report

LABEL_WIDTH, BAR_WIDTH, BAR_HEIGHT, GAP = 330, 380, 13, 9
# (series key, legend in English · 中文, colour)
CONDITION_SERIES = (
    ("off.top1", "top-1, as photographed · 原图识别 top-1", "#2563eb"),
    ("auto.top1", "top-1, enhancement auto · 自动增强 top-1", "#16a34a"),
    ("off.top3", "top-3, as photographed · 原图识别 top-3", "#93c5fd"),
)
GROUP_SERIES = (
    ("clean", "top-1, clean photos · 清晰照片 top-1", "#2563eb"),
    ("degraded", "top-1, mean of the poor conditions · 各种劣化条件平均 top-1", "#f59e0b"),
)
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #0f172a; margin: 2rem auto; max-width: 62rem;
       padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { padding: 0.2rem 0.45rem; border-bottom: 1px solid #e2e8f0; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg text { font: 12px system-ui, sans-serif; fill: #0f172a; }
.legend span { display: inline-block; margin-right: 1.2rem; }
.legend i { display: inline-block; width: 0.9rem; height: 0.9rem; margin-right: 0.3rem;
            vertical-align: -0.1rem; }
.note { color: #475569; font-size: 0.9rem; }
"""


def _legend(series: tuple[tuple[str, str, str], ...]) -> str:
    items = "".join(
        f'<span><i style="background:{colour}"></i>{escape(text)}</span>'
        for _, text, colour in series
    )
    return f'<p class="legend">{items}</p>'


def bar_chart(
    rows: list[tuple[str, dict[str, float]]], series: tuple[tuple[str, str, str], ...], title: str
) -> str:
    """Horizontal bars, one group of bars a row, values 0..1 drawn as percentages."""
    block = len(series) * BAR_HEIGHT + GAP
    height = len(rows) * block + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, values) in enumerate(rows):
        top = GAP + i * block
        middle = top + len(series) * BAR_HEIGHT / 2 + 4
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end">'
                     f"{escape(label)}</text>")  # fmt: skip
        for j, (key, _, colour) in enumerate(series):
            value = values[key]
            y = top + j * BAR_HEIGHT
            length = max(value * BAR_WIDTH, 1.0)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT - 2}" '
                f'fill="{colour}"><title>{escape(label)}: {value * 100:.1f} %</title></rect>'
                f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + BAR_HEIGHT - 3}">'
                f"{value * 100:.1f}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def reliability_chart(bins: list[dict[str, Any]], title: str) -> str:
    """Accuracy per confidence bin (bars) against the diagonal a calibrated model would follow."""
    size, pad = 260, 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{size + 2 * pad}" '
             f'height="{size + 2 * pad}"><title>{escape(title)}</title>'
             f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="#f8fafc" '
             f'stroke="#cbd5e1"/>'
             f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="#94a3b8" '
             f'stroke-dasharray="4 3"/>']  # fmt: skip
    for b in bins:
        x = pad + b["low"] * size
        width = (b["high"] - b["low"]) * size - 1
        height = b["accuracy"] * size
        tip = (f"{b['low']:.2f}–{b['high']:.2f}: {b['count']} photos, sure "
               f"{b['confidence'] * 100:.0f} %, right {b['accuracy'] * 100:.0f} %")  # fmt: skip
        parts.append(f'<rect x="{x:.1f}" y="{pad + size - height:.1f}" width="{width:.1f}" '
                     f'height="{height:.1f}" fill="#2563eb" fill-opacity="0.75">'
                     f"<title>{escape(tip)}</title></rect>")  # fmt: skip
    parts.append(f'<text x="{pad}" y="{pad + size + 18}">confidence · 置信度 →</text>'
                 f'<text x="{pad - 4}" y="{pad - 8}">accuracy · 准确率</text></svg>')  # fmt: skip
    return "".join(parts)


def _condition_rows(report: Report) -> list[tuple[str, dict[str, float]]]:
    return [
        (f"{row['en']} · {row['zh']}",
         {f"{mode}.{k}": row[mode][k] for mode in MODES for k in ("top1", "top3")})
        for row in report.conditions
    ]  # fmt: skip


def _group_rows(report: Report) -> list[tuple[str, dict[str, float]]]:
    rows = []
    for group in report.groups:
        scores = group["conditions"]
        degraded = [s["top1"] for cid, s in scores.items() if cid != "clean"]
        values = {"clean": scores["clean"]["top1"], "degraded": sum(degraded) / len(degraded)}
        rows.append((f"{group['en']} · {group['zh']} ({scores['clean']['n']})", values))
    return rows


def _condition_table(report: Report) -> str:
    head = "".join(f"<th>{m} top-1</th><th>{m} top-3</th>" for m in MODES)
    body = []
    for row in report.conditions:
        cells = "".join(
            f"<td>{row[m]['top1'] * 100:.1f}</td><td>{row[m]['top3'] * 100:.1f}</td>" for m in MODES
        )
        body.append(f"<tr><td>{escape(row['en'])} · {escape(row['zh'])}</td>{cells}"
                    f"<td>{row['auto_share'] * 100:.0f} %</td></tr>")  # fmt: skip
    return (f"<table><tr><th>condition · 条件</th>{head}<th>auto fired · 自动增强比例</th></tr>"
            f"{''.join(body)}</table>")  # fmt: skip


def _group_table(report: Report) -> str:
    ids = [(c["id"], c["en"]) for c in report.conditions]
    head = "".join(f"<th>{escape(en)}</th>" for _, en in ids)
    body = []
    for group in report.groups:
        scores = group["conditions"]
        cells = "".join(f"<td>{scores[cid]['top1'] * 100:.0f}</td>" for cid, _ in ids)
        body.append(f"<tr><td>{escape(group['en'])} · {escape(group['zh'])}</td>"
                    f"<td>{scores['clean']['n']}</td>{cells}</tr>")  # fmt: skip
    return f"<table><tr><th>group · 类别</th><th>n</th>{head}</tr>{''.join(body)}</table>"


def _calibration_section(report: Report) -> str:
    cal = report.calibration
    charts = "".join(
        f"<figure style='margin:0;width:21rem'>{reliability_chart(cal[name]['bins'], caption)}"
        f"<figcaption>{escape(caption)}: ECE {cal[name]['ece_held_out'] * 100:.2f} % "
        f"(held out · 留出集)</figcaption></figure>"
        for name, caption in (
            ("raw", "as the model says · 模型原始概率"),
            ("shipped", f"at temperature {cal['shipped_temperature']} · 温度缩放后"),
        )
    )
    return (f"<h2>Confidence · 置信度校准</h2><p class='note'>A temperature fitted on "
            f"{cal['subset']} photos (class index % 10 == 0) is {cal['fitted_temperature']}; "
            f"the model ships with {cal['shipped_temperature']}. Both are judged on the other "
            f"photos · 在 {cal['subset']} 张照片（类别序号能被 10 整除）上拟合的温度为 "
            f"{cal['fitted_temperature']}，模型使用 {cal['shipped_temperature']}；"
            f"均在其余照片上评估。"
            f"</p><div style='display:flex;gap:2rem;flex-wrap:wrap'>{charts}</div>")  # fmt: skip


def render_html(report: Report) -> str:
    """The whole report page."""
    conditions = "Accuracy per condition · 各种拍摄条件下的准确率"
    groups = "Accuracy per kind of photo · 各类照片的准确率"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>smartalbum · accuracy report · 准确率报告</title><style>{STYLE}</style></head>
<body>
<h1>smartalbum: how often it is right · 识别准确率报告</h1>
<p class="note">{escape(report.model)} ({escape(report.engine)}), {report.images} photos ·
张照片; enhancement method · 增强方法: {escape(report.method)}. Every condition is made from
each photo on the fly, seeded, so every run is the same ·
每种条件都由原图按固定随机种子生成，可重复。</p>
<h2>{conditions}</h2>{_legend(CONDITION_SERIES)}
{bar_chart(_condition_rows(report), CONDITION_SERIES, conditions)}
{_condition_table(report)}
<h2>{groups}</h2>{_legend(GROUP_SERIES)}
{bar_chart(_group_rows(report), GROUP_SERIES, groups)}
<p class="note">Top-1 % per group and condition (enhancement off) ·
各类别在各条件下的 top-1（不增强）</p>
{_group_table(report)}
{_calibration_section(report)}
</body></html>
"""
