"""Two runs' curves overlaid (a non-modal window): losses and FID, or loss and validation F1."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QVBoxLayout

__all__ = ["CompareDialog", "run_curves"]

COLOURS = [(214, 39, 40), (31, 119, 180)]


def run_curves(run: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-epoch curves of a :func:`read_run` dict, by title."""
    if run["kind"] == "gan":
        rows, keys = run["metrics"], {"D loss": "loss_d", "G loss": "loss_g", "D(G(z))": "d_g_z1"}
        fid = next((k for k in ("fid", "fid_authors", "fid_random") if any(k in r for r in rows)), None)
        if fid:
            keys[run.get("fid_label") or fid] = fid
    else:
        rows, keys = run["history"], {"training loss": "loss", "validation F1": "val_f1", "validation AUC": "val_auc"}
    out = {}
    for title, key in keys.items():
        pts = [(r["epoch"], r[key]) for r in rows if key in r and r[key] == r[key]]
        if pts:
            x, y = np.array(pts, float).T
            out[title] = (x, y)
    return out


class CompareDialog(QDialog):
    """One plot per curve the two runs share, each run in its own colour."""

    def __init__(self, a: dict, b: dict, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {a['name']} and {b['name']}")
        if a["kind"] != b["kind"]:
            raise ValueError(f"compare runs of one kind, got {a['kind']} and {b['kind']}")
        self.resize(900, 600)
        self.setMinimumSize(640, 420)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        ca, cb = run_curves(a), run_curves(b)
        self.titles = [t for t in ca if t in cb] or sorted(set(ca) | set(cb))
        self.items: dict[str, list] = {}
        for i, title in enumerate(self.titles):
            p = self.plots.addPlot(row=i // 2, col=i % 2, title=title)
            p.setLabel("bottom", "epoch")
            p.showGrid(x=True, y=True, alpha=0.2)
            # the run names in their colours, in the title: a legend box would sit on the curves
            p.setTitle(f"{title}&nbsp;&nbsp;" + "  ".join(
                f"<span style='color:rgb{c}'>&#9644; {r['name']}</span>" for r, c in ((a, COLOURS[0]), (b, COLOURS[1]))))
            self.items[title] = [p.plot(*curves[title], pen=pg.mkPen(colour, width=2), name=run["name"])
                                 for run, curves, colour in ((a, ca, COLOURS[0]), (b, cb, COLOURS[1]))
                                 if title in curves]
        QVBoxLayout(self).addWidget(self.plots)
