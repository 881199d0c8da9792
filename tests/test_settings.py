"""The JSON round trip shared by the settings dataclasses."""
import json

import pytest

from mammostudio.core.acquisition import AcquisitionFilter
from mammostudio.core.patches.params import ExtractParams
from trainers.classifier import ClassifierConfig
from trainers.dcgan import GANConfig
from trainers.experiment import ExperimentConfig


@pytest.mark.parametrize("settings", [AcquisitionFilter(), GANConfig.tiny(), ClassifierConfig.tiny(),
                                      ExperimentConfig.tiny(), ExtractParams.tiny()])
def test_settings_survive_a_json_round_trip(settings, tmp_path):
    path = settings.to_json(tmp_path / "s.json")
    assert type(settings).from_json(path) == settings


@pytest.mark.parametrize("cls, label", [(GANConfig, "GAN config"), (ClassifierConfig, "classifier config"),
                                        (AcquisitionFilter, "acquisition filter"),
                                        (ExtractParams, "extraction parameters")])
def test_a_typo_in_a_settings_file_is_named_not_ignored(cls, label, tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"epocs": 3}))
    with pytest.raises(ValueError, match=rf"typo\.json.*unknown {label} key\(s\) \['epocs'\]"):
        cls.from_json(path)


def test_a_nested_typo_in_an_experiment_file_is_named(tmp_path):
    data = ExperimentConfig.tiny().to_dict()
    data["gan"]["lr_gg"] = 1.0
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"exp\.json.*lr_gg"):
        ExperimentConfig.from_json(path)
