"""Offscreen screenshots of the reading screen and the results view.

``python -m mammostudio.gui.quiz.screenshots OUT_DIR [MIAS_DIR]`` builds a small
study in a temporary folder (real lesion crops from mini-MIAS when its folder is
given, else synthetic blobs; synthetic stand-ins for the generated images), has
simulated readers answer it, and saves ``quiz_reading.png``,
``quiz_results.png`` and ``quiz_training.png`` (feedback after an answer). Run with ``QT_QPA_PLATFORM=offscreen``.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["mias_lesion_set", "make_screenshots"]


def mias_lesion_set(root: Path, *, size: int = 128):
    """Real 2*size crops centred on mini-MIAS lesions (inside the image), as an ImageSet."""
    from ...core.images import load_pixels
    from ...core.quiz import ImageSet
    from ...core.readers import mias

    cat = mias.read(Path(root))
    paths = dict(zip(cat.images["image_id"], cat.images["path"]))
    crops, meta = [], []
    for les in cat.lesions.itertuples():
        img = load_pixels(paths[les.image_id])
        r, c = (les.row_min + les.row_max) // 2, (les.col_min + les.col_max) // 2
        half = size
        r0, c0 = int(np.clip(r - half, 0, img.shape[0] - 2 * half)), int(np.clip(c - half, 0, img.shape[1] - 2 * half))
        crops.append(img[r0 : r0 + 2 * half, c0 : c0 + 2 * half])
        meta.append({"origin": les.lesion_uid, "lesion_type": les.lesion_type, "status": les.severity})
    return ImageSet("real", np.stack(crops), pd.DataFrame(meta))


def make_screenshots(out_dir: Path, mias_dir: Path | None = None) -> list[Path]:
    """Write quiz_reading.png, quiz_results.png and quiz_training.png into ``out_dir``; returns their paths."""
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest

    from ...core.quiz import QuizStore, ReaderProfile, StudyConfig, design_study
    from ...core.quiz.simulate import simulate_reader, synthetic_sets
    from .panel import QuizPanel

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(7)
    real, gens = synthetic_sets(rng, n_real=80, n_generated=80, size=64, generators=2)
    if mias_dir is not None and (Path(mias_dir) / "Info.txt").is_file():
        real = mias_lesion_set(Path(mias_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = StudyConfig(n_assessment=40, n_training=24, image_size=128, seed=7)
        store = QuizStore.create(Path(tmp) / "demo.sqlite", design_study(real, gens, cfg))
        for code, policy, exp in (("R01", "skill:0.62", 12), ("R02", "random", 3), ("R03", "skill:0.55", 7)):
            store.add_reader(ReaderProfile(code, exp, "breast"))
            simulate_reader(store.start_session(code, "training"), policy, rng)
            simulate_reader(store.start_session(code, "assessment"), policy, rng)
        store.add_reader(ReaderProfile("R04", 5, "breast"))
        simulate_reader(store.start_session("R04", "assessment"), "random", rng, max_cases=11)
        store.close()
        panel = QuizPanel()
        panel.resize(1100, 820)
        panel.open_study(Path(tmp) / "demo.sqlite")
        panel.show()
        reading = panel.start_reading("R04", "assessment")
        for v in reading.views:
            v.set_zoom(1.0)
        app.processEvents()
        QtCore.QCoreApplication.processEvents()
        paths = [out_dir / "quiz_reading.png", out_dir / "quiz_results.png", out_dir / "quiz_training.png"]
        panel.grab().save(str(paths[0]))
        panel.show_start()
        training = panel.start_reading("R05", "training", experience_years=2, subspecialty="general")
        for _ in range(10):  # answer until a real lesion's feedback is on screen
            QTest.keyClick(training, QtCore.Qt.Key.Key_R)
            QTest.keyClick(training, QtCore.Qt.Key.Key_4)
            app.processEvents()
            if "was real" in training.feedback_label.text():
                break
            QTest.keyClick(training, QtCore.Qt.Key.Key_Return)
        panel.grab().save(str(paths[2]))
        panel.show_start()
        panel.show_results()
        panel.resize(1200, 1000)
        app.processEvents()
        panel.grab().save(str(paths[1]))
        panel.close()
        panel.deleteLater()
        app.processEvents()
    return paths


if __name__ == "__main__":  # pragma: no cover
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: python -m mammostudio.gui.quiz.screenshots OUT_DIR [MIAS_DIR]")
    for p in make_screenshots(Path(args[0]), Path(args[1]) if len(args) > 1 else None):
        print(p)
