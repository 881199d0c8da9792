"""The in-painting lesion generator (trainers/inpaint) and lesions drawn into the target (core)."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from mammostudio.core.progress import drive
from mammostudio.core.simulate.blend import insert_lesion
from mammostudio.core.simulate.inpaint import centred_ellipses, inpaint_template


def _brighter_centre(contexts, holes, seed):
    """A plain in-painter for the core contract: the hole becomes the context's mean + 60."""
    out = contexts.copy()
    out[holes] = np.clip(contexts.mean() + 60, 0, 255)
    return out


def test_centred_ellipses_are_centred_and_sized():
    holes = centred_ellipses(20, 32, np.random.default_rng(0), 0.4, 0.6)
    assert holes[:, 16, 16].all() and not holes[:, 0, 0].any()
    frac = holes.reshape(20, -1).mean(axis=1)
    assert (frac > np.pi / 4 * 0.4 ** 2 * 0.8).all() and (frac < np.pi / 4 * 0.6 ** 2 * 1.2).all()


def test_inpainted_template_is_the_change_the_network_made():
    rng = np.random.default_rng(1)
    image = (1500 + 300 * rng.random((200, 200))).astype(np.uint16)
    t = inpaint_template(image, (100, 100), 64, _brighter_centre, model_size=16, rng=rng, seed=7, unit=4095.0,
                         spacing_mm=0.1, source={"type": "inpaint"})
    assert t.shape == (64, 64) and t.source["noise_seed"] == 7 and t.spacing_mm == 0.1
    assert np.abs(t.signal[t.support == 0]).max() == 0
    ins = insert_lesion(image, t, (100, 100), unit=4095.0)
    core = t.support > 0.99
    assert ins.after[core].mean() > image[68:132, 68:132][core].mean() + 40  # the hole got brighter
    with pytest.raises(ValueError, match="leaves the image"):
        inpaint_template(image, (10, 10), 64, _brighter_centre, model_size=16, rng=rng, seed=0, unit=1.0,
                         spacing_mm=0.1)


def test_trained_inpainter_keeps_the_context_and_follows_its_seed(tmp_path):
    pytest.importorskip("torch")
    from trainers.inpaint import InpaintConfig, inpaint, inpaint_training_job, load_inpainter

    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:16, 0:16]
    blob = (np.hypot(yy - 7.5, xx - 7.5) < 5) * 120
    stack = np.clip(60 + blob[None] + rng.normal(0, 10, (24, 16, 16)), 0, 255).astype(np.uint8)
    progress = []
    job = inpaint_training_job(stack, tmp_path / "run", InpaintConfig.tiny())
    try:
        while True:
            progress.append(next(job))
    except StopIteration as done:
        path = done.value
    assert [p.done for p in progress] == [1, 2] and np.isfinite(progress[-1].data["loss"])
    assert json.loads((tmp_path / "run" / "config.json").read_text())["image_size"] == 16
    net, config = load_inpainter(path)
    holes = centred_ellipses(4, 16, np.random.default_rng(3))
    a = inpaint(net, stack[:4], holes, seed=1)
    assert np.array_equal(a[~holes], stack[:4][~holes])
    assert np.array_equal(a, inpaint(net, stack[:4], holes, seed=1))
    assert not np.array_equal(a, inpaint(net, stack[:4], holes, seed=2))


def test_a_dcgan_checkpoint_is_refused_as_an_inpainter(tmp_path):
    pytest.importorskip("torch")
    from trainers.dcgan.checkpoint import CheckpointError, save_state
    from trainers.inpaint import load_inpainter

    save_state(tmp_path / "x.pt", {"format": "mammostudio.dcgan"})
    with pytest.raises(CheckpointError, match="not an in-painting checkpoint"):
        load_inpainter(tmp_path / "x.pt")


@pytest.mark.slow
def test_train_inpaint_and_simulate_with_it_from_the_command_line(tmp_path):
    pytest.importorskip("torch")
    from mammostudio.cli import main
    from mammostudio.core.demo.build import build_demo_dataset
    from mammostudio.core.readers import open_dataset

    drive(build_demo_dataset(tmp_path / "demo", patients=4, size=(384, 320), seed=1))
    wb = tmp_path / "demo" / "workbook"
    assert main(["extract", "--no-filter", "--quiet", "--lesion-mode", "centred", "--patch-size", "32", str(wb),
                 str(tmp_path / "p")]) == 0
    assert main(["train-inpaint", str(tmp_path / "p"), str(tmp_path / "r"), "--preset", "tiny", "--quiet"]) == 0
    ckpt = tmp_path / "r" / "checkpoints" / "last.pt"
    assert main(["simulate", str(wb), str(tmp_path / "sim"), "--images", "2", "--inpaint", str(ckpt),
                 "--inpaint-size-mm", "10", "--margin-mm", "2", "--seed", "4", "--quiet"]) == 0
    prov = [json.loads(p.read_text()) for p in (tmp_path / "sim" / "provenance").glob("*.json")]
    assert len(prov) == 2 and all(p["lesion_source"]["type"] == "inpaint" for p in prov)
    assert prov[0]["lesion_source"]["checkpoint_sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert open_dataset(tmp_path / "sim").lesions["simulated"].all()


def test_session_draws_an_inpainted_lesion_where_clicked_and_undoes_it():
    from mammostudio.core.simulate.session import SimulationSession
    from mammostudio.core.simulate.sources import inpaint_item

    rng = np.random.default_rng(5)
    pixels = (1500 + 300 * rng.random((300, 300))).astype(np.uint16)
    item = inpaint_item(checkpoint="c.pt", checkpoint_sha256="abc", model_size=16, size_mm=6.0)
    s = SimulationSession({"image_id": "x", "pixel_spacing_mm": 0.1}, pixels, inpainters={"abc": _brighter_centre})
    le = s.place(item, (5, 150), seed=3)  # near the edge: the 60 px window moves inside
    assert le.centre == (30, 150) and le.template.shape == (60, 60)
    s.adjust(scale=1.5)
    assert s.active.template.shape == (90, 90) and s.active.centre == (45, 150)
    assert s.records()[0]["lesion_source"]["noise_seed"] == 3
    s.undo()
    assert np.array_equal(s.image, pixels)
    with pytest.raises(ValueError, match="not loaded"):
        SimulationSession({"image_id": "y"}, pixels).place(item, (150, 150))


@pytest.mark.slow
def test_simulate_mode_loads_an_inpainting_run_and_places_its_lesion(tmp_path, qtbot):
    pytest.importorskip("torch")
    from mammostudio.core.simulate.session import SimulationSession
    from mammostudio.gui.app import make_app
    from mammostudio.gui.simulate.gallery import LesionGallery
    from mammostudio.gui.simulate.sources import SourceButtons
    from trainers.inpaint import InpaintConfig, inpaint_training_job

    stack = np.random.default_rng(6).integers(0, 255, (8, 16, 16)).astype(np.uint8)
    ckpt = drive(inpaint_training_job(stack, tmp_path / "run", InpaintConfig.tiny()))
    make_app()
    gallery = LesionGallery()
    buttons = SourceButtons(gallery)
    qtbot.addWidget(gallery)
    qtbot.addWidget(buttons)
    n = gallery.count()
    buttons.add_inpainter(str(ckpt))  # torch in a worker, through gui.jobs
    qtbot.waitUntil(lambda: gallery.count() == n + 1, timeout=60000)
    item = gallery.items()[-1]
    assert item.kind == "inpaint" and item.source["checkpoint_sha256"] in buttons.inpainters
    pixels = np.random.default_rng(7).integers(1000, 2000, (200, 200)).astype(np.uint16)
    s = SimulationSession({"image_id": "x", "pixel_spacing_mm": 0.1}, pixels, inpainters=buttons.inpainters)
    le = s.place(item, (100, 100), seed=1)
    assert not np.array_equal(s.image, pixels) and le.insertion.box[0] >= 100 - 75
