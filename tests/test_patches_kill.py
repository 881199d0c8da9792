"""SIGKILL of a one-worker extraction: what was indexed stays whole, and a re-run ends as a fresh run would."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hostile import REPO, many_films

from mammostudio.core.patches import PatchReader, read_index

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _extract(dataset: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mammostudio", "extract", str(dataset), str(out), "--no-filter",
                             "--patch-size", "64", "--per-image", "3", "--quiet"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_sigkill_after_the_first_index_flush_keeps_it_whole_and_a_rerun_matches_a_fresh_run(mias_dir, tmp_path):
    dataset = many_films(mias_dir, tmp_path / "films", copies=6)  # 810 films: the run outlasts the 5 s flush
    env = dict(os.environ, PYTHONPATH=str(REPO), MAMMOSTUDIO_DATA_DIR=str(tmp_path / "user"))
    out = tmp_path / "killed"
    proc = _extract(dataset, out, env)
    try:
        deadline = time.monotonic() + 120
        while not (out / "images.csv").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, f"extract ended before the first flush: {proc.stderr.read()!r}"
        time.sleep(0.3)  # somewhere in the middle of the next images
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    index = read_index(out)
    assert 0 < index["image_id"].nunique() < 810
    with PatchReader(out) as reader:  # every reported patch is in a whole store
        for rec in index.to_dict("records"):
            assert reader.read_row(rec).shape == (64, 64)
    rerun = subprocess.run([sys.executable, "-m", "mammostudio", "extract", str(dataset), str(out), "--no-filter",
                            "--patch-size", "64", "--per-image", "3", "--quiet"], env=env, capture_output=True)
    assert rerun.returncode == 0, rerun.stderr
    fresh = _extract(dataset, tmp_path / "fresh", env)
    assert fresh.wait(timeout=300) == 0
    fresh.stderr.close()
    assert (out / "index.csv").read_bytes() == (tmp_path / "fresh" / "index.csv").read_bytes()
    stores = [{p.name: p.read_bytes() for p in (folder / "patches").iterdir()} for folder in (out, tmp_path / "fresh")]
    assert stores[0] == stores[1]
    assert not list(out.rglob("*.part*"))
