"""Live monitor of a DCGAN run: losses, D outputs, FID/KID, learning rates, speed, grids, warnings."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .curves import BANNER, FID_LABELS, PENS, fmt_eta as _fmt_eta, smooth, title as _title
from .images import GridLabel

__all__ = ["GANMonitor", "smooth", "FID_LABELS"]

class GANMonitor(QWidget):
    """Curves and grids of one GAN run, fed with the job's events or a past run's rows.

    Redraws are coalesced: events only mark the step or epoch plots dirty and
    a timer redraws at most every ``REDRAW_MS``, one group per tick, so a
    single event-loop turn never repaints all six plots (about 130 ms on a
    loaded 2-core machine). Each plot is its own view, so an untouched plot
    is not repainted.
    """

    REDRAW_MS = 250

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.header = QLabel("No run yet.")
        self.header.setStyleSheet("font-size: 13px; font-weight: bold;")
        # a changing text must not re-layout the window (that repaints every plot)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._dirty: set[str] = set()
        self._fid_title = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._redraw_some)
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 0.99)
        self.smoothing.setSingleStep(0.05)
        self.smoothing.setValue(0.6)
        self.smoothing.setToolTip("Exponential smoothing of the loss curves (0 = raw)")
        self.smoothing.valueChanged.connect(self._refresh)
        self.plots = QGridLayout()
        self._build_plots()
        self.sample_view, self.real_view = GridLabel("samples appear here"), GridLabel("real patches")
        self.sample_caption, self.real_caption = QLabel("Fixed-noise samples"), QLabel("Real patches (training set)")
        grids = QGridLayout()
        grids.addWidget(self.sample_caption, 0, 0)
        grids.addWidget(self.sample_view, 1, 0)
        grids.addWidget(self.real_caption, 2, 0)
        grids.addWidget(self.real_view, 3, 0)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(QLabel("Loss smoothing:"))
        top.addWidget(self.smoothing)
        body = QHBoxLayout()
        body.addLayout(self.plots, 3)
        body.addLayout(grids, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.banner)
        lay.addLayout(body, 1)
        self.reset()

    def _plot(self, title: str, *, row: int, col: int, y: str = "") -> pg.PlotItem:
        view = pg.PlotWidget(background="w", title=title)
        view.setMinimumSize(160, 110)
        self.plots.addWidget(view, row, col)
        p = view.getPlotItem()
        p.showGrid(x=True, y=True, alpha=0.2)
        p.setLabel("bottom", "epoch")
        if y:
            p.setLabel("left", y)
        return p

    def _build_plots(self) -> None:
        pen = lambda key, **kw: pg.mkPen(PENS[key], **kw)  # noqa: E731
        faint = lambda key: pg.mkPen((*PENS[key], 70))  # noqa: E731
        self.p_loss = self._plot(_title("Losses", ("d", "D"), ("g", "G")), row=0, col=0)
        self.c_loss_d_raw = self.p_loss.plot(pen=faint("d"))
        self.c_loss_g_raw = self.p_loss.plot(pen=faint("g"))
        self.c_loss_d = self.p_loss.plot(pen=pen("d", width=2), name="D loss")
        self.c_loss_g = self.p_loss.plot(pen=pen("g", width=2), name="G loss")
        self.p_dout = self._plot(_title("D outputs", ("x", "D(x)"), ("z", "D(G(z))")), row=0, col=1)
        self.p_dout.setYRange(0, 1)
        self.p_dout.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen(PENS["floor"], style=pg.QtCore.Qt.PenStyle.DashLine),
                                            label="0.5", labelOpts={"position": 0.05, "color": PENS["floor"]}))
        self.c_dx = self.p_dout.plot(pen=pen("x", width=2), name="D(x)")
        self.c_dgz = self.p_dout.plot(pen=pen("z", width=2), name="D(G(z))")
        self.p_fid = self._plot("FID", row=1, col=0)
        self.c_fid = self.p_fid.plot(pen=pen("d", width=2), symbol="o", symbolSize=6, symbolBrush=PENS["d"],
                                  name="generated vs real")
        self.floor_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(PENS["floor"], width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                          label="real-vs-real floor", labelOpts={"position": 0.2, "color": PENS["floor"]})
        self.p_kid = self._plot("KID", row=1, col=1)
        self.c_kid = self.p_kid.plot(pen=pen("g", width=2), symbol="o", symbolSize=6, symbolBrush=PENS["g"],
                                  name="generated vs real")
        self.p_lr = self._plot(_title("Learning rates", ("g", "G"), ("d", "D")), row=2, col=0)
        self.c_lr_g = self.p_lr.plot(pen=pen("g", width=2), name="lr G")
        self.c_lr_d = self.p_lr.plot(pen=pen("d", width=2), name="lr D")
        self.p_speed = self._plot("Speed", row=2, col=1, y="images/s")
        self.c_speed = self.p_speed.plot(pen=pen("x", width=2), symbol="o", symbolSize=5, symbolBrush=PENS["x"])

    # -- data --------------------------------------------------------------------------
    def reset(self, title: str = "") -> None:
        """Forget every point (a new run)."""
        self.steps: dict[str, list[float]] = {k: [] for k in ("epoch", "loss_d", "loss_g", "d_x", "d_g_z1")}
        self.rows: list[dict] = []
        self.epochs_total: int | None = None
        self.title = title
        self.state = ""  # 'running', 'paused', 'finished', 'stopped', ... (header and ETA follow it)
        self.done = 0  # epochs finished, from the job's progress (ahead of the rows while FID runs)
        self.resumed_after = 0  # a resumed run: epochs drawn from its metrics.csv before the live steps
        self.warnings: list[str] = []
        self.banner.hide()
        self.sample_view.set_image(None)
        self.sample_caption.setText("Fixed-noise samples")
        if self.floor_line.scene() is not None:
            self.p_fid.removeItem(self.floor_line)
        self._refresh()

    def add_events(self, events: list[dict]) -> None:
        """Take the job's new events (start, step, epoch, warning, ...)."""
        for e in events:
            kind = e.get("kind")
            if kind == "start":
                self.epochs_total = int(e["epochs"])
            elif kind == "step":
                for k in self.steps:
                    self.steps[k].append(float(e.get(k, np.nan)))
                if not all(math.isfinite(float(e.get(k, 0.0))) for k in ("loss_d", "loss_g")):
                    self.warn("NaN/inf loss at step {}: training is diverging".format(e.get("step")), error=True)
            elif kind == "epoch":
                self.rows.append(e)
            elif kind == "warning":
                self.warn(str(e.get("text", "")), error=bool(e.get("nan")))
            if kind in ("step", "epoch"):
                self._dirty.add(kind)
        if self._dirty and not self._timer.isActive():
            self._timer.start(self.REDRAW_MS)

    def flush(self) -> None:
        """Redraw everything now (end of a run)."""
        self._timer.stop()
        self._refresh()

    def _redraw_some(self) -> None:
        group = "step" if "step" in self._dirty else "epoch"
        self._dirty.discard(group)
        if group == "step":
            self._refresh_steps()
        else:
            self._refresh_epochs()
        if self._dirty:
            self._timer.start(self.REDRAW_MS // 2)

    def set_state(self, state: str) -> None:
        """The run's state ('running', 'paused', 'stopped', 'finished', 'failed', ...)."""
        self.state = state
        self.header.setText(self.status_text())

    def set_done(self, done: int) -> None:
        """Epochs finished so far (the job's progress)."""
        if done != self.done:
            self.done = int(done)
            self.header.setText(self.status_text())

    def continue_from(self, rows: list[dict], *, epochs_total: int | None = None, title: str = "") -> None:
        """Before a resume: draw the run's past epochs, so the live curves continue them."""
        self.load_rows(rows, epochs_total=epochs_total, title=title)
        self.resumed_after = int(rows[-1]["epoch"]) if rows else 0
        self.done = self.resumed_after

    def load_rows(self, rows: list[dict], *, epochs_total: int | None = None, title: str = "",
                  state: str = "") -> None:
        """Show a past run from its metrics.csv rows (epoch means; no step curves)."""
        self.reset(title)
        self.epochs_total = epochs_total
        self.state = state
        self.rows = [dict(r) for r in rows]
        self.done = int(self.rows[-1]["epoch"]) if self.rows else 0
        for r in self.rows:
            if r.get("collapse"):
                self.warn(f"epoch {int(r['epoch'])}: discriminator collapse (mean D(G(z)) stayed near 0)")
        self._refresh()

    def warn(self, text: str, *, error: bool = False) -> None:
        """Show a prominent banner (red for NaN/divergence, amber for collapse)."""
        if text in self.warnings:
            return
        self.warnings.append(text)
        self.banner.setText("⚠ " + "\n⚠ ".join(self.warnings[-3:]))
        self.banner.setStyleSheet(BANNER["error" if error or "NaN" in text else "warning"])
        self.banner.show()

    def set_grid(self, grid: np.ndarray, epoch: int) -> None:
        self.sample_view.set_image(grid)
        self.sample_caption.setText(f"Fixed-noise samples, epoch {epoch}")

    def set_real_grid(self, grid: np.ndarray) -> None:
        self.real_view.set_image(grid)

    # -- drawing -----------------------------------------------------------------------
    def _col(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        pts = [(r["epoch"], r[key]) for r in self.rows if key in r and r[key] == r[key]]
        if not pts:
            return np.zeros(0), np.zeros(0)
        x, y = np.array(pts, float).T
        return x, y

    def _refresh(self) -> None:
        self._dirty.clear()
        self._refresh_steps()
        self._refresh_epochs()

    def _refresh_steps(self) -> None:
        w = self.smoothing.value()
        if self.steps["epoch"]:  # live: per logged step, after the epoch means of a resumed run's past
            past = self._past_means()
            x = np.concatenate([past[0], self.steps["epoch"]])
            d, g, dx, dgz = (np.concatenate([past[i], self.steps[k]])
                             for i, k in enumerate(("loss_d", "loss_g", "d_x", "d_g_z1"), start=1))
        else:  # a past run: epoch means
            x, d = self._col("loss_d")
            g, dx, dgz = (self._col(k)[1] for k in ("loss_g", "d_x", "d_g_z1"))
            if not (len(g) == len(dx) == len(dgz) == len(x)):
                g = dx = dgz = np.zeros(0)
                x = d = np.zeros(0)
        self.c_loss_d_raw.setData(x, d)
        self.c_loss_g_raw.setData(x, g)
        self.c_loss_d.setData(x, smooth(d, w))
        self.c_loss_g.setData(x, smooth(g, w))
        self.c_dx.setData(x, dx)
        self.c_dgz.setData(x, dgz)
        self.header.setText(self.status_text())

    def _past_means(self) -> list[np.ndarray]:
        """(x, loss_d, loss_g, d_x, d_g_z1) epoch means up to the resume point (empty for a new run)."""
        rows = [r for r in self.rows if r["epoch"] <= self.resumed_after
                and all(k in r for k in ("loss_d", "loss_g", "d_x", "d_g_z1"))]
        if not rows:
            return [np.zeros(0)] * 5
        # an epoch mean sits mid-epoch on the step axis (epoch e covers steps e-1 .. e)
        return [np.array([r["epoch"] - 0.5 for r in rows])] + [
            np.array([r[k] for r in rows], float) for k in ("loss_d", "loss_g", "d_x", "d_g_z1")]

    def _refresh_epochs(self) -> None:
        self._refresh_fid()
        self.c_lr_g.setData(*self._col("lr_g"))
        self.c_lr_d.setData(*self._col("lr_d"))
        self.c_speed.setData(*self._col("images_per_s"))
        self.header.setText(self.status_text())

    def _refresh_fid(self) -> None:
        key = next((k for k in FID_LABELS if any(k in r for r in self.rows)), None)
        self.c_fid.setData(*(self._col(key) if key else (np.zeros(0), np.zeros(0))))
        kid_key = key.replace("fid", "kid") if key else "kid"
        self.c_kid.setData(*self._col(kid_key))
        title = FID_LABELS.get(key, "FID (off: choose a backbone to compute it)")
        if title != self._fid_title:
            self._fid_title = title
            self.p_fid.setTitle(title)
        floors = [r[f"{key}_floor"] for r in self.rows if key and f"{key}_floor" in r]
        if floors:
            self.floor_line.setValue(floors[-1])
            if self.floor_line.scene() is None:
                self.p_fid.addItem(self.floor_line)

    def status_text(self) -> str:
        """The header: 'title · epoch 5/10 running · 1234 images/s · ETA 0:01:02'.

        Running, the epoch in progress is named (as in the job's status line);
        paused or ended, the epochs done, and no ETA.
        """
        parts = [self.title] if self.title else []
        done = max(self.done, int(self.rows[-1]["epoch"]) if self.rows else 0)
        total = self.epochs_total or "?"
        live = self.state == "running" or (not self.state and bool(self.steps["epoch"]))
        if live:
            parts.append(f"epoch {min(done + 1, self.epochs_total or done + 1)}/{total} running")
        elif self.state == "paused":
            parts.append(f"PAUSED after epoch {done}/{total}")
        elif self.state:
            parts.append(f"{self.state} after epoch {done}/{total}")
        else:
            parts.append(f"epoch {done}/{total}")
        if self.rows and "images_per_s" in self.rows[-1]:
            parts.append(f"{self.rows[-1]['images_per_s']:,.0f} images/s")
            recent = [r.get("seconds", np.nan) for r in self.rows[-5:]]
            if live and self.epochs_total:
                parts.append("ETA " + _fmt_eta(float(np.nanmean(recent)) * (self.epochs_total - done)))
        return " · ".join(parts)
