"""Draw the app's home-screen icons into web/static/icons/: 192 and 512 px, a maskable 512
and iOS's 180.

Run once when the design changes, then commit the PNGs:
``.venv/bin/python scripts/make_icons.py``. The drawing is a photo print (a sun over two
hills) on the app's blue; the maskable one keeps it inside the central 80 % circle that
Android may crop to, on a background that fills the whole square.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "src" / "smartalbum" / "web" / "static" / "icons"
BLUE, WHITE, SKY, SUN = (37, 99, 235), (255, 255, 255), (219, 234, 254), (245, 158, 11)
HILL, FAR_HILL = (22, 163, 74), (74, 222, 128)
SCALE = 4  # drawn large and scaled down: smooth edges without an anti-aliasing pass


def print_of_a_photo(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """A white-bordered print inside ``box``: sky, a sun, two hills."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    border = side * 0.07
    draw.rounded_rectangle(box, radius=side * 0.06, fill=WHITE)
    inner = (x0 + border, y0 + border, x1 - border, y1 - border * 2.2)
    draw.rectangle(inner, fill=SKY)
    ix0, iy0, ix1, iy1 = inner
    w, h = ix1 - ix0, iy1 - iy0
    r = w * 0.11
    cx, cy = ix0 + w * 0.72, iy0 + h * 0.3
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=SUN)
    draw.polygon([(ix0, iy1), (ix0 + w * 0.62, iy0 + h * 0.42), (ix1, iy1)], fill=FAR_HILL)
    draw.polygon([(ix0, iy1), (ix0, iy0 + h * 0.62), (ix0 + w * 0.34, iy0 + h * 0.38),
                  (ix0 + w * 0.78, iy1)], fill=HILL)  # fmt: skip


def icon(size: int, maskable: bool) -> Image.Image:
    """One icon: rounded on a transparent corner, or full-bleed for a maskable one."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BLUE)
        margin = big * 0.27  # the print's corners stay inside the 80 % safe circle
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.2, fill=BLUE)
        margin = big * 0.18
    side = big - 2 * margin
    tilt = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    print_of_a_photo(ImageDraw.Draw(tilt), (margin, margin, margin + side, margin + side))
    image.alpha_composite(tilt.rotate(-6, resample=Image.Resampling.BICUBIC))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the icons; iOS rounds its own corners and blackens transparent ones: full-bleed."""
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True),
                                 ("apple-touch-icon.png", 180, True)):  # fmt: skip
        icon(size, maskable).save(ICONS / name, optimize=True)
        print(ICONS / name)


if __name__ == "__main__":
    main()
