"""A test set for reading text in photos: known text rendered onto real sample photos.

Chinese, English and mixed phrases (receipts, boarding passes, signs, menus, Wi-Fi
notes; a few in Traditional characters) in Debian's Noto CJK and DejaVu fonts, at
several sizes and angles, on a plate or straight on the photo, in dim, bright and flat
light, plus photos with no text. ``truth.json`` beside the photos says what each holds.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

TRUTH = "truth.json"
SIDE = 1024  # the photos' long side (the samples are ~500 px: phones take far more)
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
CJK_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
LATIN_FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf")

CHINESE = (
    "增值税电子普通发票", "发票代码 144031900111", "登机牌", "北京故宫博物院", "浅草寺",
    "无线网络密码", "今日菜单", "收据", "停车场入口", "安全出口", "欢迎光临", "营业时间",
    "禁止吸烟", "地铁二号线", "人民广场站", "小心地滑", "会议室白板", "第三章 光的折射",
    "上海浦东国际机场", "红烧牛肉面 28元", "生日快乐", "请勿触摸", "东京塔", "西湖断桥",
    "臺北車站", "發票號碼", "營業時間 週一至週五", "歡迎光臨",
)  # fmt: skip
ENGLISH = (
    "BOARDING PASS", "Gate 23", "INVOICE", "Receipt Total 42.50", "Wi-Fi Password",
    "Menu of the Day", "EXIT", "Welcome", "Platform 9", "Coffee & Tea", "No Parking",
    "Open 9am - 6pm", "Meeting Room B", "Chapter 3: Refraction", "Happy Birthday",
    "Keep Calm", "Fresh Bakery", "Tokyo Tower", "Order #20481", "Flight CA1234",
)  # fmt: skip
MIXED = (
    "WiFi密码: sunshine2024", "航班 CA1234 登机口 B12", "Starbucks 星巴克", "总计 Total 128.00",
    "出口 EXIT", "7-Eleven 便利店", "会议 Meeting 3F", "座位 Seat 12A",
)  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """One photo of the set: its file, the lines on it (top to bottom) and how they look."""

    file: str
    lines: list[str]
    kind: str  # chinese, english, mixed or none
    font: str | None = None
    size: int = 0  # text height in pixels, on a SIDE-pixel photo
    angle: float = 0.0
    light: float = 1.0  # brightness factor applied to the whole photo
    plate: bool = False  # on a sign-like plate, or straight on the photo


def fonts_missing() -> list[str]:
    """The fonts the set needs that this machine lacks."""
    return [name for name in CJK_FONTS + LATIN_FONTS if _font(name) is None]


def _font(name: str) -> Path | None:
    return next((d / name for d in FONT_DIRS if (d / name).is_file()), None)


def make_set(samples: Path, out: Path, count: int = 200, seed: int = 25) -> list[Sample]:
    """``count`` photos with text and ``count // 5`` without, written to ``out`` with the truth."""
    rng = random.Random(seed)
    photos = sorted(samples.glob("*.JPEG"))
    rng.shuffle(photos)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for n in range(count + count // 5):
        kind = "none" if n >= count else ("chinese", "english", "mixed")[n % 3]
        made.append(_make(photos[n % len(photos)], out / f"text-{n:04d}.jpg", kind, rng))
    (out / TRUTH).write_text(
        json.dumps([asdict(s) for s in made], ensure_ascii=False, indent=1), "utf-8"
    )
    return made


def load_set(folder: Path) -> list[Sample]:
    """The samples of a set made by ``make_set``."""
    return [Sample(**s) for s in json.loads((folder / TRUTH).read_text("utf-8"))]


def _make(photo: Path, target: Path, kind: str, rng: random.Random) -> Sample:
    with Image.open(photo) as source:
        img = source.convert("RGB")
    scale = SIDE / max(img.size)
    img = img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC
    )
    light = rng.choice((0.5, 0.7, 1.0, 1.0, 1.2))
    if kind == "none":
        _finish(img, light, rng).save(target, quality=85)
        return Sample(target.name, [], kind, light=light)
    phrases = {"chinese": CHINESE, "english": ENGLISH, "mixed": MIXED}[kind]
    lines = [rng.choice(phrases)]
    if rng.random() < 0.3:
        lines.append(rng.choice(ENGLISH if kind == "english" else CHINESE))
    font = rng.choice(LATIN_FONTS if kind == "english" else CJK_FONTS)
    size = rng.choice((20, 28, 36, 48, 64))
    angle = rng.choice((0.0, 0.0, 0.0, rng.uniform(-8, 8), rng.uniform(-25, 25)))
    plate = rng.random() < 0.5
    _draw(img, lines, font, size, angle, plate, rng)
    _finish(img, light, rng).save(target, quality=rng.choice((75, 85, 92)))
    return Sample(target.name, lines, kind, font, size, round(angle, 1), light, plate)


def _draw(
    img: Image.Image, lines: list[str], font_name: str, size: int, angle: float, plate: bool,
    rng: random.Random,
) -> None:  # fmt: skip
    """The lines, one above the other, on their own layer, turned and pasted somewhere."""
    path = _font(font_name)
    if path is None:
        raise FileNotFoundError(f"{font_name}: font not installed (fonts-noto-cjk, fonts-dejavu)")
    font = ImageFont.truetype(str(path), size)
    gap = size // 2
    boxes = [font.getbbox(line) for line in lines]
    width = round(max(b[2] for b in boxes)) + 2 * gap
    height = round(sum(b[3] for b in boxes)) + gap * (len(lines) + 1)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    dark = rng.random() < 0.5
    ink = (20, 20, 20, 255) if dark else (250, 250, 250, 255)
    if plate:
        colour = rng.choice(((245, 240, 225), (255, 255, 255), (250, 220, 60)))
        if not dark:
            colour = rng.choice(((20, 60, 140), (30, 110, 60), (160, 30, 30)))
        draw.rounded_rectangle((0, 0, width - 1, height - 1), gap // 2, fill=(*colour, 255))
    stroke = 0 if plate else max(1, size // 16)
    outline = (250, 250, 250, 255) if dark else (20, 20, 20, 255)
    y: float = gap
    for line, box in zip(lines, boxes, strict=True):
        draw.text((gap, y), line, font=font, fill=ink, stroke_width=stroke, stroke_fill=outline)
        y += box[3] + gap
    turned = layer.rotate(angle, Image.Resampling.BICUBIC, expand=True) if angle else layer
    x = rng.randint(0, max(0, img.width - turned.width))
    top = rng.randint(0, max(0, img.height - turned.height))
    img.paste(turned, (x, top), turned)


def _finish(img: Image.Image, light: float, rng: random.Random) -> Image.Image:
    """Light, and now and then a little blur or a flat, low-contrast look."""
    if light != 1.0:
        img = ImageEnhance.Brightness(img).enhance(light)
    if rng.random() < 0.2:
        img = ImageEnhance.Contrast(img).enhance(0.6)
    if rng.random() < 0.2:
        img = img.filter(ImageFilter.GaussianBlur(0.8))
    return img
