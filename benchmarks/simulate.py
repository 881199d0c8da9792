"""Lesion insertion: speed at full size and the seam scores of each blending method.

Usage::

    python benchmarks/simulate.py [--repeats 7] [--placements 12] [--no-mias] [--no-gui]

1. Speed. A synthetic 4096 x 3328 12-bit mammogram (the demo's renderer,
   0.07 mm pixels) and a 20 mm spiculated mass. Per method, the median over
   ``--repeats`` of: making the template at the image's spacing, resampling it
   by a size factor, and blending it in place (ours: a local window). Beside
   it, the naive way measured in the same run: the same lesion added as a
   full-size float image (``image + full_size_signal``, cast back). Goal: one
   insertion < 100 ms on 2 cores. Also the GUI's preview update (size or
   contrast changed: resample the cached template, blend the window, hand it
   to the display), goal < 50 ms, with the Qt part when PySide6 is present.
2. Seam scores (:mod:`mammostudio.core.simulate.seam`), mean +- sd over
   ``--placements`` automatic placements per source, for each method:
   ring gradient ratio (1 = no seam) and the spectrum-slope difference
   insert-minus-surroundings, beside the same difference on the untouched
   image (the tissue's own spread). Sources: demo masses into demo images
   ("demo parametric"), lesions cut from demo images with a lesion into other
   demo images ("demo crops"), and mini-MIAS lesion crops (film, real) into
   mini-MIAS normal films ("MIAS real"), when /work/shared/data/mias or
   ``--mias`` exists.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from mammostudio.core.demo.synth import synthesize_mammogram
from mammostudio.core.simulate import (METHODS, auto_place, insert_lesion, parametric_template, patch_template,
                                       rescale_template, seam_scores)


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def speed(repeats: int) -> None:
    m = synthesize_mammogram(7, rows=4096, cols=3328, view="CC", laterality="L")
    image, spacing = m.pixels, m.pixel_spacing_mm
    unit = float(image.max() - image.min())
    base = parametric_template("spiculated", spacing_mm=spacing, seed=1, size_mm=20.0)
    centre = auto_place(m.breast_mask, np.zeros((0, 4)), base.shape, np.random.default_rng(0), margin=80)
    print(f"speed: 4096 x 3328 uint16, spacing {spacing:.3f} mm, 20 mm spiculated mass "
          f"({base.shape[0]} x {base.shape[1]} px template), centre {centre}; median of {repeats}")
    work = image.copy()
    t_make = _median_ms(lambda: parametric_template("spiculated", spacing_mm=spacing, seed=1, size_mm=20.0), repeats)
    print(f"  {'drawing the template':24s} {t_make:8.1f} ms   (once per lesion; the demo renderer, not timed below)")

    def ours(method):
        t = rescale_template(base, spacing, scale=1.1, with_patch=method != "additive")
        ins = insert_lesion(work, t, centre, method=method, unit=unit, limit=4095, out=work)
        ins.undo(work)

    def naive():
        t = rescale_template(base, spacing, scale=1.1, with_patch=False)
        full = np.zeros(image.shape, np.float32)
        h, w = t.shape
        r, c = centre[0] - h // 2, centre[1] - w // 2
        full[r:r + h, c:c + w] = t.signal
        return np.clip(image.astype(np.float32) + unit * full, 0, 4095).astype(np.uint16)

    t_naive = _median_ms(naive, repeats)
    print(f"  {'naive full-size add':24s} {t_naive:8.1f} ms   (resample + add a full-size float image)")
    for method in METHODS:
        t_ours = _median_ms(lambda: ours(method), repeats)
        print(f"  {'ours, ' + method:24s} {t_ours:8.1f} ms   ours/naive = {t_ours / t_naive:.3f}   "
              f"goal < 100 ms: {'met' if t_ours < 100 else 'NOT met'}")
    for method in ("additive", "poisson"):
        def preview():
            t = rescale_template(base, spacing, scale=1.25, with_patch=method != "additive")
            return insert_lesion(image, t, centre, contrast=1.3, method=method, unit=unit, limit=4095)
        t_prev = _median_ms(preview, repeats)
        print(f"  {'preview core, ' + method:24s} {t_prev:8.1f} ms   goal < 50 ms: "
              f"{'met' if t_prev < 50 else 'NOT met'}")
    return image, spacing
    return image, spacing


def gui_preview(image, spacing, repeats: int) -> None:
    """The Qt path: a slider change in Simulate mode, until the canvas has repainted."""
    try:
        from mammostudio.gui.app import make_app
        from mammostudio.core.pyramid import build_display
        from mammostudio.gui.simulate import SimulatePanel
        from mammostudio.gui.state import AppState
    except ImportError as exc:
        print(f"  (no GUI timing: {exc})")
        return
    app = make_app()
    panel = SimulatePanel(AppState())
    panel.resize(1600, 1000)
    panel.show()
    row = {"image_id": "bench", "patient_id": "p", "pixel_spacing_mm": spacing, "path": "", "format": "dicom"}
    panel.set_image(row, image, build_display("bench", image))
    panel.gallery.setCurrentRow(3)  # demo spiculated
    panel.place((2650, 1266))
    app.processEvents()
    for name, slider, values in (("size", panel.scale, (110, 125)), ("contrast", panel.contrast, (90, 130))):
        times = []
        for k in range(repeats):
            t0 = time.perf_counter()
            slider.setValue(values[k % 2])
            panel.canvas.viewport().repaint()
            times.append((time.perf_counter() - t0) * 1000)
        med = float(np.median(times))
        print(f"  {'GUI preview, ' + name:24s} {med:8.1f} ms   goal < 50 ms: {'met' if med < 50 else 'NOT met'}   "
              f"(slider change to repainted canvas, {panel.session.active.template.shape[0]} px lesion)")
    panel.close()


def _demo_sources(n: int):
    """Lesion crops (uint8) and their spacing, cut from demo images with one lesion each."""
    crops = []
    for k in range(n):
        m = synthesize_mammogram(100 + k, rows=1024, cols=832, lesions=["round", "lobulated", "oval"][k % 3])
        r0, c0, r1, c1 = m.lesions[0]["box"]
        pad = max(4, (r1 - r0) // 4)
        crop = m.pixels[max(r0 - pad, 0):r1 + pad + 1, max(c0 - pad, 0):c1 + pad + 1].astype(np.float32)
        u8 = np.round(crop / float(m.pixels.max()) * 255).astype(np.uint8)
        crops.append((u8, m.pixel_spacing_mm, (pad, pad, pad + r1 - r0, pad + c1 - c0)))
    return crops


def _scores(targets, make, placements: int) -> dict:
    rng = np.random.default_rng(0)
    out = {m: [] for m in METHODS}
    for p in range(placements):
        image, mask, spacing = targets[p % len(targets)]
        template = make(p, spacing)
        centre = auto_place(mask, np.zeros((0, 4)), template.shape, rng, margin=int(5 / spacing))
        if centre is None:
            continue
        unit = float(image.max() - image.min())
        for method in METHODS:
            ins = insert_lesion(image, template, centre, method=method, unit=unit)
            after = image.copy()
            ins.apply(after)
            out[method].append(seam_scores(image, after, ins))
    return out


def _print_scores(name: str, scores: dict) -> None:
    def ms(vals):
        vals = np.asarray([v for v in vals if np.isfinite(v)])
        return f"{vals.mean():6.3f} +- {vals.std():5.3f}" if vals.size else "   n/a"

    n = len(scores[METHODS[0]])
    print(f"\nseam scores, {name} ({n} insertions per method)")
    print(f"  {'method':10s} {'ring gradient ratio':>22s} {'slope delta (after)':>22s} {'slope delta (before)':>22s}"
          f" {'seam distance':>14s}")
    dist = {}
    for method in METHODS:
        s = scores[method]
        # how far from untouched tissue: |ln ring ratio| + |slope change caused by the insert|
        d = [abs(np.log(x["ring_gradient"])) + abs(x["slope_delta"] - x["slope_delta_before"]) for x in s
             if np.isfinite(x["ring_gradient"]) and np.isfinite(x["slope_delta"])]
        dist[method] = float(np.mean(d)) if d else float("nan")
        print(f"  {method:10s} {ms([x['ring_gradient'] for x in s]):>22s} {ms([x['slope_delta'] for x in s]):>22s} "
              f"{ms([x['slope_delta_before'] for x in s]):>22s} {dist[method]:14.3f}")
    print(f"  closest to untouched tissue: {min(dist, key=lambda m: dist[m])}")


def seams(placements: int, mias: Path | None) -> None:
    targets = []
    for k in range(3):
        m = synthesize_mammogram(200 + k, rows=1024, cols=832)
        targets.append((m.pixels, m.breast_mask, m.pixel_spacing_mm))
    _print_scores("demo parametric (masses and calcifications into demo images)", _scores(
        targets, lambda p, s: parametric_template(["round", "spiculated", "lobulated", "calcification"][p % 4],
                                                  spacing_mm=s, seed=p), placements))
    crops = _demo_sources(4)
    _print_scores("demo crops (lesion crops of demo images, support estimated, into other demo images)", _scores(
        targets, lambda p, s: rescale_template(patch_template(crops[p % 4][0], spacing_mm=crops[p % 4][1],
                                                              box=crops[p % 4][2], kind="mass"), s), placements))
    if mias is None or not mias.exists():
        print("\n(mini-MIAS not found: no real-film row)")
        return
    from mammostudio.core.images import load_pixels
    from mammostudio.core.patches.prepared import prepare
    from mammostudio.core.readers import open_dataset

    cat = open_dataset(mias)
    normal = cat.images[~cat.with_lesion()].head(6)
    targets = []
    for row in normal.to_dict("records"):
        img = load_pixels(row)
        targets.append((img, prepare(img, threshold=20).full_mask(), 0.2))
    real = []
    for le in cat.lesions[cat.lesions["lesion_type"] == "mass"].head(8).to_dict("records"):
        img = load_pixels(cat.image(le["image_id"]))
        r0, c0, r1, c1 = le["row_min"], le["col_min"], le["row_max"], le["col_max"]
        pad = max(4, (r1 - r0) // 4)
        rs, cs = max(r0 - pad, 0), max(c0 - pad, 0)
        real.append((img[rs:r1 + pad + 1, cs:c1 + pad + 1], (r0 - rs, c0 - cs, r1 - rs, c1 - cs)))
    _print_scores("MIAS real (mini-MIAS mass crops into mini-MIAS normal films)", _scores(
        targets, lambda p, s: patch_template(real[p % len(real)][0], spacing_mm=0.2, box=real[p % len(real)][1],
                                             kind="mass"), placements))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--placements", type=int, default=12)
    ap.add_argument("--mias", type=Path, default=Path(os.environ.get("MIAS_DIR", "/work/shared/data/mias")))
    ap.add_argument("--no-mias", action="store_true")
    ap.add_argument("--no-seams", action="store_true")
    ap.add_argument("--no-gui", action="store_true")
    args = ap.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    image, spacing = speed(args.repeats)
    if not args.no_gui:
        gui_preview(image, spacing, args.repeats)
    if not args.no_seams:
        seams(args.placements, None if args.no_mias else args.mias)


if __name__ == "__main__":
    main()
