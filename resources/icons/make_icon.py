"""Draw the mammostudio app icon: ``mammostudio.svg`` and PNGs rendered from it.

The icon is a dark viewing-box tile with a breast outline in an MLO view (a
half-disc against the chest wall with the pectoral muscle as a lighter corner
triangle), soft glandular tissue, and one bright mass framed by the yellow
annotation box the viewer draws. Run ``python resources/icons/make_icon.py``
after changing the drawing; the outputs are committed.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (16, 32, 48, 64, 128, 256, 512)


def svg_text() -> str:
    """The icon as an SVG document (a 256 x 256 canvas)."""
    return """<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <defs>
    <linearGradient id="tile" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#1d2733"/>
      <stop offset="1" stop-color="#0b1017"/>
    </linearGradient>
    <radialGradient id="breast" cx="0.18" cy="0.5" r="0.85">
      <stop offset="0" stop-color="#f2efe6"/>
      <stop offset="0.55" stop-color="#b9b4a8"/>
      <stop offset="1" stop-color="#6d6a63"/>
    </radialGradient>
    <radialGradient id="gland" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" stop-color="#ffffff" stop-opacity="0.55"/>
      <stop offset="1" stop-color="#ffffff" stop-opacity="0"/>
    </radialGradient>
    <radialGradient id="mass" cx="0.45" cy="0.4" r="0.6">
      <stop offset="0" stop-color="#ffffff"/>
      <stop offset="1" stop-color="#e4e1d8"/>
    </radialGradient>
  </defs>
  <rect x="8" y="8" width="240" height="240" rx="44" fill="url(#tile)"/>
  <path d="M 40 30 C 150 38, 214 96, 214 150 C 214 198, 172 226, 118 228 L 40 228 Z" fill="url(#breast)"/>
  <path d="M 40 30 L 112 36 L 40 132 Z" fill="#d9d4c7" opacity="0.85"/>
  <ellipse cx="108" cy="150" rx="62" ry="46" fill="url(#gland)"/>
  <path d="M 44 150 C 90 140, 130 150, 200 152" stroke="#ffffff" stroke-opacity="0.25" stroke-width="3" fill="none"/>
  <path d="M 44 180 C 90 168, 130 176, 190 186" stroke="#ffffff" stroke-opacity="0.2" stroke-width="3" fill="none"/>
  <path d="M 44 118 C 92 112, 140 124, 196 122" stroke="#ffffff" stroke-opacity="0.2" stroke-width="3" fill="none"/>
  <circle cx="150" cy="150" r="17" fill="url(#mass)"/>
  <rect x="124" y="124" width="52" height="52" fill="none" stroke="#ffd21f" stroke-width="7" rx="3"/>
</svg>
"""


def main() -> int:
    """Write the SVG and render each PNG size with Qt's SVG renderer."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(HERE.parents[1]))
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from mammostudio.core.atomic import atomic_path, write_text

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - needed for painting
    text = svg_text()
    write_text(HERE / "mammostudio.svg", text)
    renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
    if not renderer.isValid():
        raise RuntimeError("the icon SVG did not parse")
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        name = "mammostudio.png" if size == 256 else f"mammostudio-{size}.png"
        with atomic_path(HERE / name) as tmp:
            if not image.save(str(tmp), "PNG"):
                raise OSError(f"could not write {HERE / name}")
        print(HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
