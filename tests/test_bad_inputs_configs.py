"""Hostile settings files: every field type- and range-checked, the error names the file and the field.

GAN configs go through ``train-gan --config`` (refused before any patch is
read), experiment configs through ``experiment --config --list-cells``,
acquisition filters through ``scan --filter``. Each case asserts one error
line naming the file and the field (or the problem), exit 2, and that the
config file and the run folder beside it are unchanged.
"""
from __future__ import annotations

import json

import pytest

from _hostile import assert_error_line, checksums, run_main, write_pngs

# case id -> (JSON text, words the error must hold besides the file name)
GAN = {
    "lr_nan": ('{"lr_g": NaN}', ["lr_g", "finite"]),
    "lr_infinity": ('{"lr_d": Infinity}', ["lr_d", "finite"]),
    "lr_huge_overflows": ('{"lr_d": 1e400}', ["lr_d", "finite"]),
    "lr_text": ('{"lr_g": "0.001"}', ["lr_g", "number"]),
    "lr_negative": ('{"lr_g": -0.1}', ["lr_g"]),
    "epochs_bool": ('{"epochs": true}', ["epochs", "integer"]),
    "epochs_fraction": ('{"epochs": 2.5}', ["epochs", "integer"]),
    "epochs_negative": ('{"epochs": -1}', ["epochs", ">= 1"]),
    "batch_size_zero": ('{"batch_size": 0}', ["batch_size"]),
    "image_size_unsupported": ('{"image_size": 100}', ["image_size"]),
    "beta1_above_one": ('{"beta1": 1.5}', ["beta1"]),
    "labels_inverted": ('{"real_label_min": 0.9, "real_label_max": 0.2}', ["real_label_min"]),
    "device_number": ('{"device": 5}', ["device", "text"]),
    "flip_text": ('{"flip_h": "yes"}', ["flip_h", "true or false"]),
    "unknown_key": ('{"lr": 0.1}', ["unknown", "'lr'"]),
    "duplicate_key": ('{"epochs": 1, "epochs": 5}', ["'epochs' given twice"]),
    "not_an_object": ("[1, 2, 3]", ["JSON object"]),
    "invalid_json": ('{"epochs": 1,,}', ["not a valid GAN config"]),
    "empty_file": ("", ["not a valid GAN config"]),
    "null_value": ('{"nz": null}', ["nz", "integer"]),
    "deeply_nested": ("[" * 100000 + "]" * 100000, ["not a valid GAN config"]),
}

EXPERIMENT = {
    "sizes_decreasing": ('{"sizes": [100, 50]}', ["sizes"]),
    "sizes_text": ('{"sizes": ["a"]}', ["sizes"]),
    "folds_one": ('{"folds": 1}', ["folds"]),
    "gan_not_an_object": ('{"gan": "x"}', ["GAN config", "JSON object"]),
    "nested_lr_nan": ('{"gan": {"lr_d": NaN}}', ["lr_d", "finite"]),
    "nested_unknown_key": ('{"classifier": {"learning_rate": 1}}', ["learning_rate"]),
    "val_fraction_nan": ('{"val_fraction": NaN}', ["val_fraction", "finite"]),
}

FILTER = {
    "current_range_inverted": ('{"tube_current_ma": [120, 80]}', ["tube_current_ma"]),
    "magnification_text": ('{"magnification": "one"}', ["magnification"]),
    "presentation_text": ('{"for_presentation": "yes"}', ["for_presentation"]),
    "tolerance_nan": ('{"magnification_tolerance": NaN}', ["magnification_tolerance", "finite"]),
}


@pytest.fixture
def workspace(tmp_path):
    write_pngs(tmp_path / "patches", 8, size=(16, 16))
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "result.json").write_text('{"f1": 0.5}\n')  # something already saved
    return tmp_path


def _check(capsys, workspace, text, words, *command):
    cfg = workspace / "config.json"
    cfg.write_text(text)
    before = checksums(workspace)
    code, _, err = run_main(capsys, *command)
    assert_error_line(err, code, cfg, *words)
    assert checksums(workspace) == before


@pytest.mark.parametrize("case", sorted(GAN))
def test_a_bad_gan_config_names_file_and_field(case, workspace, capsys):
    text, words = GAN[case]
    _check(capsys, workspace, text, words, "train-gan", workspace / "patches", workspace / "run",
           "--config", workspace / "config.json", "--quiet")
    assert not (workspace / "run").exists()


@pytest.mark.parametrize("case", sorted(EXPERIMENT))
def test_a_bad_experiment_config_names_file_and_field(case, workspace, capsys):
    text, words = EXPERIMENT[case]
    _check(capsys, workspace, text, words, "experiment", workspace / "patches", workspace / "saved",
           "--config", workspace / "config.json", "--list-cells")


@pytest.mark.parametrize("case", sorted(FILTER))
def test_a_bad_acquisition_filter_names_file_and_field(case, workspace, mias_copy, capsys):
    text, words = FILTER[case]
    _check(capsys, workspace, text, words, "scan", mias_copy, "--filter", workspace / "config.json")


def test_a_config_that_is_a_folder_or_not_utf8_is_named(workspace, capsys):
    folder = workspace / "cfgdir"
    folder.mkdir()
    code, _, err = run_main(capsys, "train-gan", workspace / "patches", workspace / "run", "--config", folder)
    assert_error_line(err, code, folder, "cannot read")
    latin = workspace / "latin.json"
    latin.write_bytes(b'{"device": "\xe9"}')
    code, _, err = run_main(capsys, "train-gan", workspace / "patches", workspace / "run", "--config", latin)
    assert_error_line(err, code, latin, "UTF-8")


def test_settings_made_in_code_are_checked_too():
    from trainers.dcgan import GANConfig

    with pytest.raises(ValueError, match="'lr_g'.*finite"):
        GANConfig(lr_g=float("nan"))
    with pytest.raises(ValueError, match="'epochs'.*integer"):
        GANConfig.tiny(epochs=True)
    assert GANConfig.from_dict(json.loads(json.dumps(GANConfig.tiny().to_dict()))) == GANConfig.tiny()
