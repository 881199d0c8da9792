"""A study built from a real (tiny) DCGAN run: train, `mammostudio generate`, `quiz-create`."""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.cli import main
from mammostudio.core.images import write_png
from mammostudio.core.quiz import QuizStore
from mammostudio.core.quiz.simulate import synthetic_sets


@pytest.mark.slow
def test_study_from_a_trained_generator_screens_against_its_training_patches(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from trainers.dcgan.config import GANConfig
    from trainers.dcgan.train import GANTrainer

    torch.manual_seed(0)
    real, _ = synthetic_sets(np.random.default_rng(0), n_real=40, n_generated=1, size=16)
    for i, im in enumerate(real.images):
        write_png(tmp_path / "real" / f"p{i:03d}.png", im)
    trainer = GANTrainer(GANConfig.tiny(epochs=1), real.images[:16], tmp_path / "run")
    trainer.fit()
    ckpt = trainer.save_checkpoint("last")
    assert main(["generate", str(ckpt), str(tmp_path / "gen"), "--n", "30", "--seed", "1"]) == 0
    db = tmp_path / "study.sqlite"
    assert main(["quiz-create", str(db), "--real", str(tmp_path / "real"), "--generated", str(tmp_path / "gen"),
                 "--cases", "12", "--training-cases", "4", "--size", "16"]) == 0
    out = capsys.readouterr().out
    assert "real: 16 of 40 patches left out" in out  # the 16 it was trained on
    assert "generated images within RMS" in out  # the memorisation screen ran
    with QuizStore.open(db) as store:
        items = store.items()
        assert len(items) == 16 and set(items["source"]) == {"real", "run"}  # named by its run folder
        stored = {store.item_pixels(i).tobytes() for i in items["item_id"]}
    assert not stored & {im.tobytes() for im in real.images[:16]}
