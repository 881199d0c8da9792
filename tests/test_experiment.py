import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _experiment_data import write_patch_folder
from mammostudio.core.progress import drive
from trainers.experiment import ExperimentConfig, grid_cells, make_folds, run_experiment, select_cells
from trainers.experiment.cells import Cell, compose
from trainers.experiment.data import load_experiment_data


def _patients(rng, n, n_patients):
    return rng.integers(0, n_patients, n).astype(str)


def test_positive_subsets_are_nested_and_negatives_keep_the_ratio():
    rng = np.random.default_rng(0)
    folds = make_folds(_patients(rng, 2215, 400), _patients(rng, 30000, 600), tissue_pool=22000, seed=3)
    for f in folds:
        sizes = [100, 250, 500, 750, 1000, 1300]
        for a, b in zip(sizes, sizes[1:]):
            assert set(f.positives(a)) <= set(f.positives(b))
            assert set(f.negatives(10 * a)) <= set(f.negatives(10 * b))
        assert len(f.negatives(10 * 1300)) == 10 * len(f.positives(1300))


def test_split_fractions_follow_the_paper():
    rng = np.random.default_rng(1)
    n = 2215
    folds = make_folds(_patients(rng, n, 500), _patients(rng, 30000, 700), tissue_pool=22000, seed=0)
    for f in folds:
        assert abs(len(f.test_pos) / n - 1 / 3) < 0.02
        assert abs(len(f.val_pos) / n - 0.066) < 0.01
        assert abs(len(f.train_pos) / n - 0.60) < 0.02
    # every positive is tested exactly once over the folds
    tested = np.concatenate([f.test_pos for f in folds])
    assert sorted(tested) == list(range(n))
    pool = np.concatenate([np.r_[f.train_neg, f.val_neg, f.test_neg] for f in folds[:1]])
    assert len(pool) == 22000


def test_no_patient_falls_on_two_sides_of_a_split():
    rng = np.random.default_rng(2)
    pp, npat = _patients(rng, 500, 80), _patients(rng, 4000, 120)
    for f in make_folds(pp, npat, seed=5):
        sides = [set(pp[f.train_pos]) | set(npat[f.train_neg]), set(pp[f.val_pos]) | set(npat[f.val_neg]),
                 set(pp[f.test_pos]) | set(npat[f.test_neg])]
        assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])


def test_same_seed_same_folds_other_seed_other_folds():
    rng = np.random.default_rng(3)
    pp, npat = _patients(rng, 300, 60), _patients(rng, 3000, 90)
    a, b, c = (make_folds(pp, npat, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(x.train_pos, y.train_pos) for x, y in zip(a, b))
    assert not all(np.array_equal(x.test_pos, y.test_pos) for x, y in zip(a, c))


def test_mode_composition_counts():
    cfg = ExperimentConfig.tiny(sizes=(4, 8))
    rng = np.random.default_rng(4)
    from trainers.experiment.data import ExperimentData

    data = ExperimentData(np.zeros((60, 16, 16), np.uint8), np.ones((600, 16, 16), np.uint8),
                          _patients(rng, 60, 20), _patients(rng, 600, 30), "mem", True)
    split = make_folds(data.pos_patients, data.neg_patients, seed=0)[0]
    gen = np.full((12, 16, 16), 7, np.uint8)
    for mode, n_gen in (("ORG", 0), ("Aug ORG", 0), ("GAN", 12), ("Aug GAN", 12)):
        x, y, counts = compose(Cell("clf", 8, 0, mode), cfg, data, split, gen)
        assert counts == {"n_real_pos": 8, "n_generated": n_gen, "n_neg": 80}
        assert len(x) == 8 + n_gen + 80 and y.sum() == 8 + n_gen
        assert (x[8 : 8 + n_gen] == 7).all()  # the generated images are the positives added


def test_cell_selection_pulls_in_the_gan_it_needs():
    cells = grid_cells(ExperimentConfig.tiny())
    chosen = select_cells(cells, ["clf_k8_aug-gan_f1"])
    assert [c.id for c in chosen] == ["gan_k8_f1", "clf_k8_aug-gan_f1"]
    with pytest.raises(ValueError, match="matches no cell"):
        select_cells(cells, ["nothing*"])


@pytest.fixture(scope="module")
def patch_folder(tmp_path_factory):
    return write_patch_folder(tmp_path_factory.mktemp("patches"))


def test_only_the_chosen_lesion_type_is_positive(patch_folder):
    # 48 lesions: 6 calcifications (every 8th), 4 mass+calcification (every 12th from 1), 38 masses.
    data = load_experiment_data(patch_folder, size=16, lesion_types=("mass",))
    assert len(data.positives) == 38 and data.grouped
    wider = load_experiment_data(patch_folder, size=16, lesion_types=("mass",), match="contains")
    assert len(wider.positives) == 42


def test_positives_default_to_masses_alone_and_the_flag_widens_them():
    from trainers.experiment.config import parse_positives

    assert ExperimentConfig.paper().lesion_types == ("mass",) and ExperimentConfig.paper().positive_match == "exact"
    assert parse_positives("mass") == {"lesion_types": ("mass",), "positive_match": "exact"}
    assert parse_positives("mass-containing") == {"lesion_types": ("mass",), "positive_match": "contains"}
    assert parse_positives("mass, focal asymmetry") == {"lesion_types": ("mass", "focal asymmetry"),
                                                        "positive_match": "exact"}


@pytest.mark.slow
def test_tiny_grid_runs_reports_and_resumes(patch_folder, tmp_path):
    cfg = ExperimentConfig.tiny(sizes=(4,), folds=2)
    out = tmp_path / "exp"
    first = drive(run_experiment(patch_folder, out, cfg))
    assert len(first["ran"]) == 2 * 5 and not first["skipped"]
    table = pd.read_csv(out / "results.csv")
    assert set(table["mode"]) == {"ORG", "Aug ORG", "GAN", "Aug GAN"} and len(table) == 8
    assert table["f1"].between(0, 1).all() and table["auc"].between(0, 1).all()
    for name in ("results.xlsx", "figure9_f1.png", "report.md", "summary.csv"):
        assert (out / name).stat().st_size > 0
    gen = np.load(out / "cells" / "gan_k4_f0" / "generated.npy")
    assert gen.shape == (6, 16, 16) and gen.dtype == np.uint8  # AF 1.5 x k
    # A crash loses at most the running cell: remove one result and rerun.
    (out / "cells" / "clf_k4_gan_f1" / "result.json").unlink()
    second = drive(run_experiment(patch_folder, out, cfg))
    assert second["ran"] == ["clf_k4_gan_f1"] and len(second["skipped"]) == 9
    before = json.loads((out / "cells" / "clf_k4_org_f0" / "result.json").read_text())
    assert before["n_real_pos"] == 4 and before["n_neg"] == 40


def test_a_folder_with_other_settings_is_refused(patch_folder, tmp_path):
    out = tmp_path / "exp"
    ExperimentConfig.tiny(seed=1).to_json(out / "config.json")
    with pytest.raises(ValueError, match="other settings"):
        drive(run_experiment(patch_folder, out, ExperimentConfig.tiny(seed=2)))


def test_a_folder_from_before_the_positive_class_was_recorded_is_refused(patch_folder, tmp_path):
    out = tmp_path / "exp"
    cfg = ExperimentConfig.tiny(seed=1)
    cfg.to_json(out / "config.json")
    data = json.loads((out / "config.json").read_text())
    del data["lesion_types"], data["positive_match"]
    (out / "config.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="did not record which lesion types were positives"):
        drive(run_experiment(patch_folder, out, cfg))


def test_gan_cell_reports_each_epoch_and_a_closed_cell_resumes(patch_folder, tmp_path):
    from trainers.experiment.cells import run_cell

    from trainers.dcgan import GANConfig

    cfg = ExperimentConfig.tiny(sizes=(4,), folds=2, gan=GANConfig.tiny(epochs=4, sample_every=10))
    data = load_experiment_data(patch_folder, size=16)
    split = make_folds(data.pos_patients, data.neg_patients, folds=2, seed=0)[0]
    cell = Cell("gan", 4, 0)
    job = run_cell(cell, tmp_path, cfg, data, split)
    epochs = []
    for item in job:
        if "epoch" in item.data:
            epochs.append(item.data["epoch"])
        if len(epochs) == 2:
            break
    job.close()  # like a GUI cancel: the trainer stops between steps, its checkpoint stays
    assert epochs == [1, 2]
    assert not (tmp_path / cell.id / "result.json").exists()
    assert (tmp_path / cell.id / "run" / "checkpoints" / "last.pt").is_file()
    progress = []
    result = drive(run_cell(cell, tmp_path, cfg, data, split), progress.append)
    later = [p.data["epoch"] for p in progress if "epoch" in p.data]
    assert later and later[-1] == 4 and later[0] >= 2  # continued, not restarted
    assert result["n_generated"] == 6 and (tmp_path / cell.id / "generated.npy").is_file()


def test_gan_cell_can_sample_its_best_fid_generator(patch_folder, tmp_path):
    import torch

    from trainers.dcgan import GANConfig
    from trainers.dcgan.generate import load_generator, sample_generator
    from trainers.experiment.cells import run_cell

    cfg = ExperimentConfig.tiny(sizes=(4,), folds=2, gan=GANConfig.tiny(epochs=3, sample_every=10),
                                generator="best-fid", fid_every=1, fid_backbone="tiny")
    data = load_experiment_data(patch_folder, size=16)
    split = make_folds(data.pos_patients, data.neg_patients, folds=2, seed=0)[0]
    result = drive(run_cell(Cell("gan", 4, 0), tmp_path, cfg, data, split))
    assert result["generator"] == "best-fid" and result["epoch"] in (1, 2, 3)
    best = tmp_path / "gan_k4_f0" / "run" / "checkpoints" / "best.pt"
    seed = cfg.seed + 7919 * 1 + 4
    expected = sample_generator(load_generator(best), 6, generator=torch.Generator().manual_seed(seed))
    np.testing.assert_array_equal(np.load(tmp_path / "gan_k4_f0" / "generated.npy"), expected)
    assert ExperimentConfig.tiny().generator == "last"  # the default stays the last epoch's
