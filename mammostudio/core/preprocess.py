"""Preprocessing of the paper (section 3.2-3.4, Algorithm 1 lines 1-9; spec 1.5).

Per image: stretch the intensities to [0, 255] (uint8), take the breast mask
``pixel > 0`` of that normalised image, and draw the lesion ground truth (the
box *including* both end points set to 255). :func:`prepare_dataset` writes the
three as ``<stem>.png``, ``<stem>_msk.png`` and ``<stem>_gt.png`` in a folder
tree that mirrors the dataset's. Lesion crops follow the paper's slice
``I[y1:y2, x1:x2]``, which *excludes* the end row and column, while the ground
truth includes them; :func:`lesion_crop` offers both.

Boxes are catalog boxes: ``(row_min, col_min, row_max, col_max)``, both ends
inclusive, i.e. ``(y1, x1, y2, x2)`` of the paper.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from .atomic import write_text
from .catalog import Catalog, Problem
from .images import load_pixels, write_png
from .progress import Job, Progress

__all__ = ["normalise_uint8", "breast_mask", "ground_truth", "lesion_crop", "output_paths", "prepare_dataset",
           "REPORT_NAME"]

REPORT_NAME = "prepare_report.json"
_IMAGE_SUFFIXES = {".dcm", ".dicom", ".dic", ".pgm", ".png", ".tif", ".tiff", ".jpg", ".jpeg"}


def normalise_uint8(img: np.ndarray) -> np.ndarray:
    """Stretch an image's intensities linearly from [min, max] to [0, 255].

    Parameters
    ----------
    img : numpy.ndarray
        (rows, cols), any real dtype. NaNs are ignored for the range and become 0.

    Returns
    -------
    numpy.ndarray
        uint8 (rows, cols); the minimum maps to 0 and the maximum to 255
        (values rounded to the nearest integer, like OpenCV's NORM_MINMAX). A
        constant image has no contrast to stretch and maps to all zeros.

    Raises
    ------
    ValueError
        If ``img`` is not 2-D or is empty.
    """
    a = np.asarray(img)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"img must be a non-empty 2-D (rows, cols) array, got shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    finite = np.isfinite(a) if a.dtype.kind == "f" else None
    if finite is not None and not finite.any():
        return np.zeros(a.shape, dtype=np.uint8)
    lo = float(a[finite].min() if finite is not None else a.min())
    hi = float(a[finite].max() if finite is not None else a.max())
    if hi <= lo:
        return np.zeros(a.shape, dtype=np.uint8)
    # float64 keeps 32-bit integer inputs exact; the scale maps lo -> 0, hi -> 255.
    out = (a.astype(np.float64) - lo) * (255.0 / (hi - lo))
    if finite is not None:
        out[~finite] = 0
    return np.rint(out, out=out).clip(0, 255).astype(np.uint8)


def breast_mask(norm: np.ndarray, *, threshold: int = 0) -> np.ndarray:
    """The paper's breast mask: True where the normalised pixel exceeds ``threshold``.

    The paper (and spec 1.5) uses ``pixel > 0``: processed full-field digital
    mammograms store the air background as exactly 0. Digitised films (mini-MIAS)
    and some exports have a noisy, non-zero background; raise ``threshold``
    (e.g. 15-30 on the 0..255 scale) for those.

    Parameters
    ----------
    norm : numpy.ndarray
        (rows, cols), normally the output of :func:`normalise_uint8`.
    threshold : int
        Pixels strictly above it are breast. Default 0 (the paper).

    Returns
    -------
    numpy.ndarray
        bool (rows, cols). Save as 0/255 with ``mask.astype(np.uint8) * 255``.
    """
    a = np.asarray(norm)
    if a.ndim != 2:
        raise ValueError(f"norm must be a 2-D (rows, cols) array, got shape {a.shape}")
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return a > threshold


def _box_tuple(box) -> tuple[int, int, int, int]:
    vals = tuple(int(v) for v in np.asarray(box).ravel())
    if len(vals) != 4:
        raise ValueError(f"a box is (row_min, col_min, row_max, col_max), got {box!r}")
    r0, c0, r1, c1 = vals
    if r1 < r0 or c1 < c0:
        raise ValueError(f"box {vals} has row_max < row_min or col_max < col_min")
    return r0, c0, r1, c1


def ground_truth(shape: tuple[int, int], boxes: Iterable) -> np.ndarray:
    """Lesion ground truth: zeros, with every box (both ends inclusive) set to 255.

    Parameters
    ----------
    shape : (rows, cols)
    boxes : iterable of (row_min, col_min, row_max, col_max)
        Inclusive boxes (catalog convention); an (n, 4) array works too. Parts
        outside the image are clipped away.

    Returns
    -------
    numpy.ndarray
        uint8 (rows, cols) of 0 and 255. A box (2, 3, 5, 7) sets exactly
        4 x 5 = 20 pixels.

    Raises
    ------
    ValueError
        If a box is not 4 numbers or has its ends swapped.
    """
    rows, cols = (int(s) for s in shape)
    if rows <= 0 or cols <= 0:
        raise ValueError(f"shape must be positive (rows, cols), got {shape}")
    gt = np.zeros((rows, cols), dtype=np.uint8)
    for box in np.asarray(list(boxes) if not isinstance(boxes, np.ndarray) else boxes).reshape(-1, 4):
        r0, c0, r1, c1 = _box_tuple(box)
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, rows - 1), min(c1, cols - 1)
        if r0 <= r1 and c0 <= c1:
            gt[r0:r1 + 1, c0:c1 + 1] = 255
    return gt


def lesion_crop(img: np.ndarray, box, *, inclusive: bool = False) -> np.ndarray:
    """The lesion patch of a box.

    Parameters
    ----------
    img : numpy.ndarray
        (rows, cols).
    box : (row_min, col_min, row_max, col_max)
        Inclusive catalog box, i.e. the paper's (y1, x1, y2, x2).
    inclusive : bool
        False (default) follows the paper's ``I[y1:y2, x1:x2]``, which drops the
        last row and column (a (row_max - row_min) x (col_max - col_min) crop);
        True returns the whole inclusive box, matching the ground truth.

    Returns
    -------
    numpy.ndarray
        A view into ``img`` (clipped to the image).

    Raises
    ------
    ValueError
        If the crop would be empty (zero-size box, or a box outside the image).
    """
    a = np.asarray(img)
    if a.ndim != 2:
        raise ValueError(f"img must be a 2-D (rows, cols) array, got shape {a.shape}")
    r0, c0, r1, c1 = _box_tuple(box)
    end = 1 if inclusive else 0
    crop = a[max(r0, 0):max(r1 + end, 0), max(c0, 0):max(c1 + end, 0)]
    if crop.size == 0:
        raise ValueError(f"box {(r0, c0, r1, c1)} gives an empty crop of a {a.shape[0]}x{a.shape[1]} image")
    return crop


def output_paths(image_path: str | os.PathLike, root: str | os.PathLike, out: str | os.PathLike, *,
                 pseudo=None) -> dict[str, Path]:
    """Where :func:`prepare_dataset` writes an image's three PNGs.

    The folder of ``image_path`` relative to ``root`` is recreated under ``out``
    (an image outside ``root`` goes to ``out`` itself). Keys 'image', 'mask', 'gt'.
    With ``pseudo`` (a :class:`~mammostudio.core.privacy.Pseudonymiser`), folders
    named by a patient id get its pseudonym, as :func:`prepare_dataset` writes them.
    """
    path, root, out = Path(image_path), Path(root), Path(out)
    try:
        rel_dir = path.parent.resolve().relative_to(root.resolve())
    except ValueError:
        rel_dir = Path()
    # DICOM names are often bare UIDs ("1.2.826.0.1.3680043.2") whose last
    # component is no extension: strip only suffixes of real image formats.
    stem = path.stem if path.suffix.lower() in _IMAGE_SUFFIXES else path.name
    folder = out / rel_dir
    paths = {"image": folder / f"{stem}.png", "mask": folder / f"{stem}_msk.png", "gt": folder / f"{stem}_gt.png"}
    if pseudo is not None and not pseudo.keep:
        paths = {k: out / pseudo.path(p.relative_to(out)) for k, p in paths.items()}
    return paths


def _prepare_one(row, boxes: np.ndarray, paths: dict[str, Path], *, write_normalised: bool,
                 mask_threshold: int) -> dict:
    pixels = load_pixels(row)
    if pixels.ndim != 2:
        raise ValueError(f"expected a single 2-D image, got shape {pixels.shape}")
    norm = normalise_uint8(pixels)
    mask = breast_mask(norm, threshold=mask_threshold)
    rows, cols = norm.shape
    outside = [tuple(int(v) for v in b) for b in boxes
               if b[2] < 0 or b[3] < 0 or b[0] >= rows or b[1] >= cols]
    gt = ground_truth(norm.shape, boxes)
    # The ground truth is written last: its presence marks the image as done.
    if write_normalised:
        write_png(paths["image"], norm)
    write_png(paths["mask"], mask.astype(np.uint8) * 255)
    write_png(paths["gt"], gt)
    return {"rows": rows, "cols": cols, "mask_fraction": float(mask.mean()),
            "gt_pixels": int(np.count_nonzero(gt)), "boxes_outside": outside}


def _done(paths: dict[str, Path], write_normalised: bool) -> bool:
    need = ("image", "mask", "gt") if write_normalised else ("mask", "gt")
    return all(paths[k].is_file() for k in need)


def prepare_dataset(
    catalog: Catalog,
    out: str | os.PathLike,
    *,
    write_normalised: bool = True,
    mask_threshold: int = 0,
    overwrite: bool = False,
    keep_identifiers: bool = False,
) -> Job[dict]:
    """Write the normalised image, breast mask and lesion ground truth of every image.

    For an image ``<root>/a/b/<stem>.dcm`` it writes ``<out>/a/b/<stem>.png``
    (uint8, :func:`normalise_uint8`), ``<stem>_msk.png`` (0/255,
    :func:`breast_mask`) and ``<stem>_gt.png`` (0/255, :func:`ground_truth` of
    the image's catalog boxes), each atomically, then ``<out>/prepare_report.json``.

    Parameters
    ----------
    catalog : Catalog
        Images (with ``path``, ``format``) and lesion boxes; ``catalog.root`` is
        the top of the mirrored tree. Subset it first to prepare fewer images.
    out : path-like
        Output folder (created).
    write_normalised : bool
        Also write ``<stem>.png``; False writes only the mask and ground truth.
    mask_threshold : int
        Passed to :func:`breast_mask` (0 = the paper's ``pixel > 0``).
    overwrite : bool
        Redo images whose files already exist; by default they are skipped, so an
        interrupted run resumes where it stopped.
    keep_identifiers : bool
        By default folders of the mirrored tree named by a patient id get the
        pseudonym instead, and the report holds paths relative to the dataset
        (:mod:`mammostudio.core.privacy`); True keeps the original names.

    Yields
    ------
    Progress
        One per image; ``data`` has 'image_id', 'status' ('written',
        'skipped' or 'failed') and, when written, 'mask_fraction'.

    Returns
    -------
    dict
        The report also saved as ``prepare_report.json``: counts ('images',
        'written', 'skipped', 'failed'), 'problems' (path, severity, message),
        the parameters, and 'seconds'.

    Notes
    -----
    A file that cannot be read or decoded becomes a :class:`Problem` and the
    run goes on; so does a second image that would get the same output names
    (``a.dcm`` beside ``a.png``). A box lying wholly outside its image is a warning.
    """
    from .privacy import Pseudonymiser

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    images = catalog.images
    total = len(images)
    pseudo = Pseudonymiser.for_dataset(catalog.root, keep_identifiers=keep_identifiers)
    for pid in images["patient_id"].astype(str) if "patient_id" in images else []:
        pseudo.patient(pid)  # known before any path is renamed
    pseudo.save()
    started = time.perf_counter()
    counts = {"written": 0, "skipped": 0, "failed": 0}
    problems: list[Problem] = []
    claimed: dict[Path, str] = {}
    for done, (_, row) in enumerate(images.iterrows(), start=1):
        image_id = str(row["image_id"])
        paths = output_paths(row["path"], catalog.root, out, pseudo=pseudo)
        data: dict = {"image_id": image_id}
        if paths["gt"] in claimed:
            status = "failed"
            problems.append(Problem(str(row["path"]), f"same output name as {claimed[paths['gt']]} "
                                    f"({paths['gt'].name}); not prepared"))
        elif not overwrite and _done(paths, write_normalised):
            status = "skipped"
        else:
            try:
                info = _prepare_one(row, catalog.boxes_of(image_id), paths,
                                    write_normalised=write_normalised, mask_threshold=mask_threshold)
                status = "written"
                data["mask_fraction"] = info["mask_fraction"]
                for box in info["boxes_outside"]:
                    problems.append(Problem(str(row["path"]), f"lesion box {box} lies outside the "
                                            f"{info['rows']}x{info['cols']} image; ground truth left empty there",
                                            "warning"))
            except Exception as exc:  # noqa: BLE001 - one broken file must not stop the run
                status = "failed"
                msg = str(exc)
                problems.append(Problem(str(row["path"]), msg if str(row["path"]) in msg else f"cannot prepare: {msg}"))
        claimed.setdefault(paths["gt"], str(row["path"]))
        counts[status] += 1
        data["status"] = status
        yield Progress(done, total, f"{paths['gt'].parent.name}/{paths['image'].stem}: {status}", data)
    problems = [Problem(pseudo.path(p.path), pseudo.text(p.message), p.severity) for p in problems]
    report = {
        "dataset": str(catalog.root) if pseudo.keep else Path(str(catalog.root)).name,
        "identifiers": pseudo.mode,
        "format": catalog.source_format,
        "out": str(out),
        "images": total,
        **counts,
        "write_normalised": write_normalised,
        "mask_threshold": mask_threshold,
        "files": ["<stem>.png", "<stem>_msk.png", "<stem>_gt.png"] if write_normalised
        else ["<stem>_msk.png", "<stem>_gt.png"],
        "seconds": round(time.perf_counter() - started, 3),
        "problems": [{"path": p.path, "severity": p.severity, "message": p.message} for p in problems],
    }
    write_text(out / REPORT_NAME, json.dumps(report, indent=2) + "\n")
    return {**report, "notice": pseudo.notice}
