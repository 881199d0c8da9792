"""Offscreen screenshots of a detection reading study.

``python -m mammostudio.gui.quiz.detection_screenshots OUT_DIR DATASET [DATASET ...] [--study]``
builds a detection study from dataset folders (mini-MIAS films, the demo archive, a
``mammostudio simulate`` output and the archive it came from) in a temporary folder, lets simulated readers read it,
then saves:

- ``quiz_detection_reading.png``: an assessment case with two rated marks;
- ``quiz_detection_training.png``: a training case after "case done": the lesion outline,
  its source (simulated / real) and how each mark scored;
- ``quiz_detection_results.png``: wAFROC per reader and pooled, FROC / AFROC curves and the
  simulated-vs-real detection rates.

``--study`` reads per four-view study instead of per image. Run with ``QT_QPA_PLATFORM=offscreen``.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["make_detection_screenshots"]


def make_detection_screenshots(out_dir: Path, dataset: Path | list[Path], *, study: bool = False) -> list[Path]:
    """Write the three PNGs into ``out_dir``; returns their paths."""
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest

    from ...core.quiz import QuizStore, ReaderProfile, StudyConfig
    from ...core.quiz.detect import design_detection
    from ...core.quiz.simulate_detection import simulate_detection_reader
    from ...core.readers import open_dataset
    from .panel import QuizPanel

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(11)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"quiz_detection_{n}.png" for n in ("reading", "training", "results")]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = StudyConfig(task="detection", n_assessment=3 if study else 16, n_training=2 if study else 4,
                          image_size=768, case_unit="study" if study else "image", seed=4)
        db = Path(tmp) / "detection.sqlite"
        datasets = [dataset] if isinstance(dataset, Path) else list(dataset)
        store = QuizStore.create(db, design_detection([open_dataset(d) for d in datasets], cfg))
        for code, policy in (("R01", "skill:0.8"), ("R02", "skill:0.6"), ("R03", "random")):
            store.add_reader(ReaderProfile(code, 10, "breast"))
            simulate_detection_reader(store.start_session(code, "assessment"), policy, rng)
        store.close()
        panel = QuizPanel()
        panel.resize(1200, 1000)
        panel.open_study(db)
        panel.show()
        # Assessment: two marks placed with the mouse and rated with the keys.
        w = panel.start_reading("R04", "assessment", experience_years=4, subspecialty="breast")
        app.processEvents()
        shape = w.case.views[0].pixels.shape
        for (fr, fc), key in (((0.45, 0.55), QtCore.Qt.Key.Key_4), ((0.7, 0.35), QtCore.Qt.Key.Key_2)):
            QTest.mouseClick(w.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton,
                             pos=w.widget_pos(0, fr * shape[0], fc * shape[1]))
            QTest.keyClick(w, key)
        app.processEvents()
        panel.grab().save(str(paths[0]))
        panel.show_start()
        # Training: mark the first abnormal case near its lesion, then reveal the truth.
        w = panel.start_reading("R04", "training")
        for _ in range(cfg.n_training):
            outlines = w.session._truth_for_simulation(w.case.position)
            if outlines and (_source(w) == "simulated" or not _any_simulated(w)):
                o = outlines[0]
                i = [v.image_key for v in w.case.views].index(o.image_key)
                r, c = w.case.views[i].to_display((o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2)
                QTest.mouseClick(w.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=w.widget_pos(i, r, c))
                QTest.keyClick(w, QtCore.Qt.Key.Key_5)
                QTest.mouseClick(w.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton,
                                 pos=w.widget_pos(i, 0.2 * shape[0], 0.5 * shape[1]))
                QTest.keyClick(w, QtCore.Qt.Key.Key_2)
                QTest.keyClick(w, QtCore.Qt.Key.Key_N)
                break
            QTest.keyClick(w, QtCore.Qt.Key.Key_N)
            QTest.keyClick(w, QtCore.Qt.Key.Key_Return)
        app.processEvents()
        panel.grab().save(str(paths[1]))
        panel.show_start()
        panel.show_results()
        app.processEvents()
        panel.grab().save(str(paths[2]))
        panel.close()
        panel.deleteLater()
        app.processEvents()
    return paths


def _source(w) -> str:
    case_id = w.session._case_at(w.case.position)
    row = w.session._conn.execute("SELECT source FROM det_lesions WHERE case_id=? LIMIT 1", (case_id,)).fetchone()
    return row[0] if row else ""


def _any_simulated(w) -> bool:
    return w.session._conn.execute("SELECT 1 FROM det_lesions WHERE source='simulated' LIMIT 1").fetchone() is not None


if __name__ == "__main__":  # pragma: no cover
    args = [a for a in sys.argv[1:] if a != "--study"]
    if len(args) < 2:
        sys.exit("usage: python -m mammostudio.gui.quiz.detection_screenshots OUT_DIR DATASET [DATASET ...] [--study]")
    for p in make_detection_screenshots(Path(args[0]), [Path(a) for a in args[1:]], study="--study" in sys.argv):
        print(p)
