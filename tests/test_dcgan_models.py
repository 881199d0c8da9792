"""The paper's networks: parameter counts, the released state-dict layout, sizes, configs."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from trainers.dcgan import CheckpointError, Discriminator, GANConfig, Generator, count_parameters, load_generator

# Spec 2.1, written out by hand: the released generator's 31 state-dict entries.
RELEASED_CONVS = {0: (200, 450), 3: (450, 360), 6: (360, 180), 9: (180, 90), 12: (90, 45), 15: (45, 1)}
RELEASED_BNS = {1: 450, 4: 360, 7: 180, 10: 90, 13: 45}


def released_layout() -> dict[str, tuple]:
    keys = {}
    for i in sorted(set(RELEASED_CONVS) | set(RELEASED_BNS)):
        if i in RELEASED_CONVS:
            keys[f"model.{i}.weight"] = (*RELEASED_CONVS[i], 4, 4)
        else:
            c = RELEASED_BNS[i]
            for name in ("weight", "bias", "running_mean", "running_var"):
                keys[f"model.{i}.{name}"] = (c,)
            keys[f"model.{i}.num_batches_tracked"] = ()
    return keys


def test_released_settings_have_the_published_parameter_counts():
    assert count_parameters(Generator(128, 200, 45)) == 5_395_770
    assert count_parameters(Discriminator(128, 45)) == 8_903_880


def test_generator_state_dict_matches_the_released_layout_key_for_key():
    layout = released_layout()
    assert len(layout) == 31
    sd = Generator(128, 200, 45).state_dict()
    assert list(sd) == list(layout)
    assert {k: tuple(v.shape) for k, v in sd.items()} == layout


def test_legacy_serialised_released_state_dict_loads_strictly_with_weights_only(tmp_path):
    gen = torch.Generator().manual_seed(1)
    state = {}
    for k, shape in released_layout().items():
        if k.endswith("num_batches_tracked"):
            state[k] = torch.tensor(1234)
        elif k.endswith("running_var"):
            state[k] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[k] = torch.randn(shape, generator=gen) * 0.02
    path = tmp_path / "released.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)  # torch 1.0's format
    assert not __import__("zipfile").is_zipfile(path)

    loaded = load_generator(path)
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert (loaded.image_size, loaded.nz, loaded.ngf) == (128, 200, 45)
    assert not loaded.training
    z = torch.randn(2, 200, 1, 1, generator=gen)
    assert loaded(z).shape == (2, 1, 128, 128)


def test_state_dict_of_another_architecture_is_rejected_naming_the_file(tmp_path):
    sd = Generator(64, 100, 8).state_dict()
    sd["model.0.weight"] = torch.zeros(100, 80, 3, 3)  # wrong kernel
    path = tmp_path / "other.pt"
    torch.save(sd, path)
    with pytest.raises(CheckpointError, match="other.pt"):
        load_generator(path)
    torch.save({"conv.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(CheckpointError, match="not a DCGAN generator"):
        load_generator(path)


@pytest.mark.parametrize("size", [16, 32, 64, 128, 256])
def test_every_supported_size_maps_noise_to_an_image_and_an_image_to_one_probability(size):
    g, d = Generator(size, 8, 2), Discriminator(size, 2)
    x = g(torch.randn(3, 8, 1, 1))
    assert x.shape == (3, 1, size, size) and x.abs().max() <= 1
    p = d(x)
    assert p.shape == (3,) and ((p > 0) & (p < 1)).all()


def test_paper_first_kernel_variant_keeps_the_output_shape():
    d = Discriminator(128, 4, first_kernel=6)
    assert d(torch.zeros(2, 1, 128, 128)).shape == (2,)


def test_presets_differ_exactly_where_the_published_code_differs():
    paper, code = GANConfig.paper(), GANConfig.published_code()
    diffs = {k for k in paper.to_dict() if paper.to_dict()[k] != code.to_dict()[k]}
    assert diffs == {"beta2"}
    assert (paper.beta1, paper.beta2, paper.lr_g, paper.lr_d) == (0.0, 0.99, 4e-4, 2e-4)
    assert (paper.decay_every_g, paper.decay_every_d, paper.decay_gamma) == (10, 8, 0.99)
    assert (paper.real_label_min, paper.real_label_max, paper.batch_size) == (0.7, 1.0, 64)
    assert code.beta2 == 0.999 and code.jitter == 0 and paper.jitter == 0


def test_jitter_belongs_to_the_small_data_preset_alone():
    small = GANConfig.paper_small_data()
    assert small.jitter == 5.0 and small.to_dict() == {**GANConfig.paper().to_dict(), "jitter": 5.0}
    from trainers.experiment import ExperimentConfig

    assert ExperimentConfig.paper().gan == small  # the G_k of the grid are the paper's small-data runs


def test_config_round_trips_through_json_and_rejects_unknown_keys(tmp_path):
    cfg = GANConfig.tiny(seed=7, lr_g=1e-3)
    path = cfg.to_json(tmp_path / "c.json")
    assert GANConfig.from_json(path) == cfg
    data = json.loads(path.read_text())
    data["lr_gg"] = 1
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="lr_gg"):
        GANConfig.from_json(path)


@pytest.mark.parametrize("bad", [dict(image_size=100), dict(batch_size=0), dict(real_label_min=1.2),
                                 dict(beta2=1.0), dict(jitter=-1)])
def test_invalid_settings_are_refused_naming_the_field(bad):
    with pytest.raises(ValueError, match=next(iter(bad)).split("_")[0]):
        GANConfig.tiny(**bad)
