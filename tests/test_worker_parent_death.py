"""Worker processes of ``extract --workers 2`` end when their parent is killed (SIGKILL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hostile import REPO, many_films

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def _children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def _spawned_workers(pid: int) -> set[int]:
    """Live pool workers of ``pid`` (not its multiprocessing resource tracker)."""
    out = set()
    for kid in _children(pid):
        try:
            cmd = Path(f"/proc/{kid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd and _alive(kid):
            out.add(kid)
    return out


@pytest.mark.slow
def test_killing_the_parent_of_extract_ends_its_workers_within_5_seconds(mias_dir, tmp_path):
    dataset = many_films(mias_dir, tmp_path / "mias-x10", copies=10)
    env = dict(os.environ, PYTHONPATH=str(REPO), MAMMOSTUDIO_DATA_DIR=str(tmp_path / "user"))
    parent = subprocess.Popen([sys.executable, "-m", "mammostudio", "extract", str(dataset), str(tmp_path / "out"),
                               "--no-filter", "--workers", "2", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        # Kill the parent the moment both pool workers run: 1,350 images keep them busy for seconds.
        assert _wait_until(lambda: len(_spawned_workers(parent.pid)) >= 2 or parent.poll() is not None, 120)
        workers = _spawned_workers(parent.pid)
        assert parent.poll() is None, f"extract ended before it could be killed: {parent.stderr.read()!r}"
        assert len(workers) == 2, f"expected two pool workers, found {workers}"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_until(lambda: not any(_alive(p) for p in workers), 5.0), (
            f"workers still alive 5 s after their parent was killed: {[p for p in workers if _alive(p)]}")
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stderr.close()
        for pid in workers | _children(parent.pid):  # never leave orphans behind, even on failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_worker_watchdog_exits_a_process_whose_parent_died(tmp_path):
    """The portable half (no prctl): a grandchild running worker_init leaves when its parent dies."""
    script = tmp_path / "orphan.py"
    script.write_text(
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from mammostudio.core.patches import worker\n"
        "worker._die_with_parent_linux = lambda: False  # only the watchdog thread\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    worker.worker_init(os.getppid(), interval=0.1)\n"
        "    print(os.getpid(), flush=True)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(proc.stdout.readline())
        assert _alive(child)
        proc.kill()
        proc.wait(timeout=10)
        assert _wait_until(lambda: not _alive(child), 5.0), "the watchdog did not end the orphan"
    finally:
        if proc.poll() is None:
            proc.kill()
