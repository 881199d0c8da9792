"""Worker processes of ``extract --workers 2`` end when their parent is killed (SIGKILL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hostile import REPO

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


@pytest.mark.slow
def test_killing_the_parent_of_extract_ends_its_workers_within_5_seconds(mias_dir, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), MAMMOSTUDIO_DATA_DIR=str(tmp_path / "user"))
    parent = subprocess.Popen([sys.executable, "-m", "mammostudio", "extract", str(mias_dir), str(tmp_path / "out"),
                               "--no-filter", "--workers", "2", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        # Wait for the two pool workers (the spawn start method may add a resource tracker).
        def alive_children() -> set[int]:
            return {p for p in _children(parent.pid) if _alive(p)}

        assert _wait_until(lambda: len(alive_children()) >= 2, 120), "the workers never started"
        time.sleep(1.0)  # let them pick up images
        # sampled once the pool is settled (a short-lived helper child may have been counted above)
        assert _wait_until(lambda: len(alive_children()) >= 2, 30)
        workers = alive_children()
        assert len(workers) >= 2 and parent.poll() is None
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        time.sleep(5.0)
        survivors = {p for p in workers if _alive(p)}
        assert not survivors, f"workers still alive 5 s after their parent was killed: {survivors}"
    finally:
        if parent.poll() is None:
            parent.kill()
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
