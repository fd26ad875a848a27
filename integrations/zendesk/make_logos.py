#!/usr/bin/env python3
"""Draws the app's icons, assets/logo.png (320×320) and assets/logo-small.png (128×128, PNG-24
with transparency), the sizes Zendesk documents for an app's assets. No text in them: an icon is
not localised. Run once after changing the design; the PNGs are committed.

    .venv/bin/python integrations/zendesk/make_logos.py
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "assets"
BRAND = (31, 79, 209, 255)  # --brand of the console and the app
WHITE = (255, 255, 255, 255)
SIZES = {"logo.png": (320, False), "logo-small.png": (128, True)}
SCALE = 4  # drawn large, then scaled down: smooth edges without anti-aliasing primitives


def bubble(draw: ImageDraw.ImageDraw, size: int, fill, dots) -> None:
    """A speech bubble with three dots: the chat an agent answers."""
    left, top, right, bottom = size * 0.16, size * 0.2, size * 0.84, size * 0.68
    draw.rounded_rectangle((left, top, right, bottom), radius=size * 0.12, fill=fill)
    draw.polygon([(size * 0.3, bottom - 1), (size * 0.46, bottom - 1), (size * 0.26, size * 0.84)], fill=fill)
    radius, middle = size * 0.055, (top + bottom) / 2
    for x in (0.34, 0.5, 0.66):
        draw.ellipse((size * x - radius, middle - radius, size * x + radius, middle + radius), fill=dots)


def draw(size: int, transparent: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0) if transparent else BRAND)
    pen = ImageDraw.Draw(image)
    # the large icon: white bubble on the brand colour (Zendesk rounds its corners itself);
    # the small one: a brand-coloured bubble on transparency, as the documentation asks
    bubble(pen, big, BRAND if transparent else WHITE, WHITE if transparent else BRAND)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    for name, (size, transparent) in SIZES.items():
        draw(size, transparent).save(ASSETS / name, optimize=True)
        print(f"wrote {ASSETS / name} ({size}×{size})")


if __name__ == "__main__":
    main()
