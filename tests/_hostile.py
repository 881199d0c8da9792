"""Shared helpers of the hostile-input tests: run the CLI, make folders that refuse writes, checksums.

Tests run as root here, and root ignores permission bits, so "read-only"
cannot be a chmod. :func:`readonly_folder` mounts a read-only tmpfs (EROFS,
what a read-only network share or a locked USB disk gives) when the test may
mount; otherwise ``chattr +i`` (an immutable folder: EPERM even for root);
for a non-root user a plain ``chmod 0555`` (EACCES). If none of these is
possible the test is skipped with the reason, never faked.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None, env_extra=None, timeout=300) -> subprocess.CompletedProcess:
    """``python -m mammostudio ARGS`` in a fresh process (what a user runs)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", MAMMOSTUDIO_DEBUG="")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "mammostudio", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


def assert_one_line_error(proc, *needles, code=2) -> str:
    """Exit ``code``, no traceback, one 'mammostudio: error:' line holding every needle; returns it."""
    err = proc.stderr
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err[-3000:]
    lines = [ln for ln in err.splitlines() if ln.startswith("mammostudio: error:")]
    assert len(lines) == 1, f"expected one error line, got:\n{err[-3000:]}"
    assert proc.returncode == code, f"exit {proc.returncode}: {err[-2000:]}"
    for needle in needles:
        assert str(needle).lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def checksums(folder: Path) -> dict:
    """sha256 of every file below ``folder`` (relative path -> digest)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_pngs(folder: Path, n: int, size=(16, 16), seed=0, dtype=np.uint8) -> list[Path]:
    from mammostudio.core.images import write_png

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    top = 255 if dtype == np.uint8 else 65535
    return [write_png(folder / f"{i:03d}.png", rng.integers(0, top, size=size).astype(dtype)) for i in range(n)]


def _try(cmd) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0


@contextlib.contextmanager
def readonly_folder(path: Path):
    """Yield ``path`` as a folder in which nothing can be created (see the module docstring)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name != "posix":
        pytest.skip("read-only folders are made with POSIX tools here")
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    if _try(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)]):
        try:
            yield path
        finally:
            subprocess.run(["umount", str(path)], capture_output=True)
        return
    if _try(["chattr", "+i", str(path)]):
        try:
            yield path
        finally:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        return
    pytest.skip("running as root without mount or chattr: no way to make a folder read-only")


@contextlib.contextmanager
def full_folder(path: Path, size_kb: int = 256):
    """Yield ``path`` as a tiny tmpfs (a disk that fills up: ENOSPC), or skip when it cannot be mounted."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or os.geteuid() != 0 or not _try(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)]):
        pytest.skip("a small tmpfs cannot be mounted here (needs root and mount)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def run_main(capsys, *args) -> tuple[int, str, str]:
    """``mammostudio ARGS`` in this process (the same one error path, without a new interpreter)."""
    from mammostudio import cli

    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_error_line(err: str, code: int, *needles, expected_code: int = 2) -> str:
    """The in-process twin of :func:`assert_one_line_error`."""
    lines = [ln for ln in err.splitlines() if ln.startswith("mammostudio: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert code == expected_code, (code, err[-2000:])
    for needle in needles:
        assert str(needle).lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def many_films(src: Path, dst: Path, copies: int) -> Path:
    """A mini-MIAS folder listing every film of ``src`` ``copies`` times (symlinks, all NORM).

    For tests that need a job to outlast something (a kill, a cancel, a
    flush): extraction of the 135 real films takes about a second.
    """
    dst.mkdir()
    lines = []
    for k in range(copies):
        for film in sorted(src.glob("mdb*.pgm")):
            ref = f"mdb{k * 1000 + int(film.stem[3:]):05d}"
            (dst / f"{ref}.pgm").symlink_to(film)
            lines.append(f"{ref} G NORM")
    (dst / "Info.txt").write_text("\n".join(lines) + "\n")
    return dst
