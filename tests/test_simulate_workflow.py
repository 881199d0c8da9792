"""End to end: demo data -> simulate (real, generated and demo lesions) -> scan, GUI, extract, quiz."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys

import pytest

from mammostudio.cli import main

pytestmark = pytest.mark.slow


def _run(argv) -> None:
    assert main([str(a) for a in argv]) == 0, f"mammostudio {' '.join(map(str, argv))} failed"


def test_simulated_dataset_opens_in_scan_gui_extract_and_quiz(tmp_path, qtbot, capsys):
    pytest.importorskip("torch")
    demo = tmp_path / "demo"
    _run(["demo-data", "--patients", "4", "--size", "384", "320", "--seed", "1", "--quiet", demo])
    patches = tmp_path / "patches"
    _run(["extract", "--no-filter", "--quiet", "--lesion-mode", "centred", "--patch-size", "64",
          demo / "workbook", patches])
    run = tmp_path / "run"
    _run(["train-gan", "--preset", "tiny", "--epochs", "1", "--seed", "0", "--threads", "1", "--quiet",
          patches, run])
    ckpt = run / "checkpoints" / "last.pt"

    sim = tmp_path / "sim"
    _run(["simulate", demo / "workbook", sim, "--images", "4", "--lesions", "2", "--controls", "3",
          "--patches", patches, "--checkpoint", ckpt, "--n-generated", "4", "--demo", "round", "calcification",
          "--margin-mm", "2", "--seed", "3", "--quiet"])
    provenance = [json.loads(p.read_text()) for p in sorted((sim / "provenance").glob("*.json"))]
    kinds = {p["lesion_source"]["type"] for p in provenance}
    assert kinds <= {"patch", "generated", "parametric"} and len(kinds) >= 2
    digest = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    for p in provenance:
        if p["lesion_source"]["type"] == "generated":
            assert p["lesion_source"]["checkpoint_sha256"] == digest and p["lesion_source"]["latent_seed"] == 3

    scan = subprocess.run([sys.executable, "-m", "mammostudio", "scan", "--json", str(sim)],
                          capture_output=True, text=True, timeout=120)
    assert scan.returncode == 0, scan.stderr
    summary = json.loads(scan.stdout)
    assert (summary["images"], summary["lesions"], summary["problems"]) == (7, len(provenance), 0)

    from mammostudio.core.readers import open_dataset

    cat = open_dataset(sim)
    for p in provenance:  # every box is where its provenance says
        les = cat.lesions[(cat.lesions["image_id"] == p["derived_image"]["image_id"])
                          & (cat.lesions["lesion_id"] == f"sim{p['lesion_index']}")].iloc[0]
        assert [les["row_min"], les["col_min"], les["row_max"], les["col_max"]] == p["box"] and les["simulated"]

    sim_patches = tmp_path / "sim_patches"
    _run(["extract", "--no-filter", "--quiet", sim, sim_patches])
    from mammostudio.core.patches import load_patches

    assert len(load_patches(sim_patches, "lesion", size=32)[0]) == len(provenance)
    gen = tmp_path / "gen"
    _run(["generate", ckpt, gen, "--n", "8", "--seed", "1"])
    _run(["quiz-create", tmp_path / "study.sqlite", "--real", sim_patches, "--generated", gen, "--cases", "4",
          "--training-cases", "2", "--size", "16", "--seed", "0"])

    # ... and a detection reading study on the whole simulated mammograms, truth from the catalog
    capsys.readouterr()
    _run(["quiz-create", tmp_path / "detect.sqlite", "--task", "detection", "--dataset", sim, "--cases", "4",
          "--training-cases", "1", "--seed", "0"])
    drawn = re.search(r"(\d+) lesions \((\d+) simulated, 0 real\)", capsys.readouterr().out)
    assert drawn and drawn.group(1) == drawn.group(2) != "0"  # every lesion it drew is a simulated one

    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    make_app()
    w = MainWindow(settings_path=tmp_path / "s.ini")
    qtbot.addWidget(w)
    w.show()  # the Simulate page lists its normal images when it is first shown
    w.open_dataset(str(sim))
    qtbot.waitUntil(lambda: w.state.catalog is not None, timeout=30000)
    assert w.state.catalog.n_lesions == len(provenance) and w.mode == "Browse"
    w.set_mode("Simulate")  # the simulated images are not offered as normal images, the controls are
    panel = w.pages["Simulate"]
    assert panel.image_box.count() == 3
    before = panel.gallery.count()
    panel.sources.generate(str(ckpt), 3, seed=2)  # "Generate from run": torch through gui.jobs, in a thread
    qtbot.waitUntil(lambda: panel.gallery.count() == before + 3, timeout=60000)
    item = panel.gallery.items()[-1]
    assert item.kind == "generated" and item.source["checkpoint_sha256"] == digest
