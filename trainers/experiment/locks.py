"""Cell locks that work across hosts: a claim file with a heartbeat, taken under a file lock.

A process that runs a cell writes ``<cell>/.claim.json`` (host, pid, a random
token, the claim time) and refreshes the file's heartbeat - its modification
time - every ``heartbeat_s`` seconds from a helper thread. Another process
(on this host or any other sharing the folder) sees the cell as busy while the
heartbeat is younger than ``stale_s``; an older heartbeat is a dead or hung
owner and the claim is taken over. Process ids are only recorded, never
trusted: a pid means nothing on another host, and a live unrelated process can
hold a recycled one. A claim without a readable token (an old ``.lock`` with
a bare pid, a half-copied file) is no claim at all.

Reading and replacing a claim happens under ``filelock.FileLock`` on
``<cell>/.claim.lock`` so two processes cannot both see "free" and both
claim; the file lock is held for milliseconds, never for the cell's run.
Heartbeat ages compare the file's mtime with this host's clock: keep cluster
clocks within a fraction of ``stale_s`` (NTP does).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from mammostudio.core.atomic import write_text

__all__ = ["CellBusy", "CellLock", "claim_state", "CLAIM", "HEARTBEAT_S", "STALE_S"]

CLAIM = ".claim.json"
GUARD = ".claim.lock"
LEGACY = ".lock"
HEARTBEAT_S = 10.0
STALE_S = 120.0


class CellBusy(RuntimeError):
    """Another live process (heartbeat younger than the stale age) holds the cell."""


def _read_claim(path: Path) -> dict | None:
    try:
        claim = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return claim if isinstance(claim, dict) and claim.get("token") else None


def claim_state(folder: str | os.PathLike, *, stale_s: float = STALE_S) -> dict | None:
    """The cell's live claim (with ``age_s``, the heartbeat age), or None when it is free or stale."""
    path = Path(folder) / CLAIM
    claim = _read_claim(path)
    if claim is None:
        return None
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    return {**claim, "age_s": age} if age < stale_s else None


class CellLock:
    """Context manager: claim ``folder`` for this process, keep the heartbeat, release on exit.

    Parameters
    ----------
    folder : path-like
        The cell's folder (created).
    heartbeat_s : float
        Seconds between heartbeats.
    stale_s : float
        A claim whose heartbeat is older than this is taken over.

    Raises
    ------
    CellBusy
        On entry, when another process's heartbeat is fresh.
    """

    def __init__(self, folder: str | os.PathLike, *, heartbeat_s: float = HEARTBEAT_S,
                 stale_s: float = STALE_S) -> None:
        if not 0 < heartbeat_s < stale_s:
            raise ValueError(f"need 0 < heartbeat_s < stale_s, got {heartbeat_s} and {stale_s}")
        self.folder = Path(folder)
        self.heartbeat_s, self.stale_s = heartbeat_s, stale_s
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> Path:
        return self.folder / CLAIM

    def __enter__(self) -> "CellLock":
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.folder / GUARD), timeout=60):
            live = claim_state(self.folder, stale_s=self.stale_s)
            if live is not None:
                raise CellBusy(f"{self.folder.name} is being run by pid {live.get('pid')} on "
                               f"{live.get('host')} (heartbeat {live['age_s']:.0f} s ago)")
            write_text(self.path, json.dumps({"token": self.token, "host": socket.gethostname(),
                                              "pid": os.getpid(), "claimed": time.time()}) + "\n")
            (self.folder / LEGACY).unlink(missing_ok=True)  # a pid lock of the old format means nothing now
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.folder.name}", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            if not self.owned():
                return  # taken over after we stalled past the stale age: stop touching it
            try:
                os.utime(self.path)
            except OSError:
                pass  # a transient network-filesystem error; the next beat retries

    def owned(self) -> bool:
        """True while the claim file still holds this lock's token."""
        claim = _read_claim(self.path)
        return claim is not None and claim["token"] == self.token

    def __exit__(self, *exc) -> None:
        from filelock import FileLock

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with FileLock(str(self.folder / GUARD), timeout=60):
            if self.owned():
                self.path.unlink(missing_ok=True)
