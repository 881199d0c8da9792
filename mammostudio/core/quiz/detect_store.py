"""Detection-study tables of the study database and their writer.

Tables (schema 2, created in every new study, filled only for ``task='detection'``):

- ``det_images``: one row per displayed image of a case (one view, or the four views of a
  study): a PNG of the display pixels, the ``scale`` from display to original pixels
  (``original = (display + 0.5) * scale - 0.5``), the original size and the pixel spacing
  in mm (NULL when unknown). ``origin`` (the catalog image id) stays in the database.
- ``det_lesions``: the hidden truth: lesions per case (1..L_k), type, category and whether
  the lesion is ``simulated`` or ``real``.
- ``det_outlines``: each lesion's outline (inclusive box, original pixels) on each image it
  shows on (a lesion seen in CC and MLO of a four-view case has two).
- ``det_marks``: every mark as made (original pixels, rating); a deleted mark keeps its
  row with ``deleted_at`` set, so the log of what the reader did is complete.
"""
from __future__ import annotations

import sqlite3

__all__ = ["DETECTION_SCHEMA", "insert_detection"]

DETECTION_SCHEMA = """
CREATE TABLE det_images (
    image_key TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases, view_index INTEGER NOT NULL,
    view TEXT NOT NULL, scale REAL NOT NULL, spacing_mm REAL, rows INTEGER NOT NULL, cols INTEGER NOT NULL,
    origin TEXT NOT NULL, png BLOB NOT NULL);
CREATE TABLE det_lesions (
    case_id TEXT NOT NULL REFERENCES cases, lesion_no INTEGER NOT NULL, lesion_type TEXT NOT NULL,
    status TEXT NOT NULL, source TEXT NOT NULL CHECK (source IN ('real', 'simulated')), origin TEXT NOT NULL,
    PRIMARY KEY (case_id, lesion_no));
CREATE TABLE det_outlines (
    case_id TEXT NOT NULL, lesion_no INTEGER NOT NULL, image_key TEXT NOT NULL REFERENCES det_images,
    row_min INTEGER NOT NULL, col_min INTEGER NOT NULL, row_max INTEGER NOT NULL, col_max INTEGER NOT NULL,
    FOREIGN KEY (case_id, lesion_no) REFERENCES det_lesions);
CREATE TABLE det_marks (
    mark_id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions, position INTEGER NOT NULL,
    image_key TEXT NOT NULL REFERENCES det_images, row REAL NOT NULL, col REAL NOT NULL, rating INTEGER NOT NULL,
    made_at TEXT NOT NULL, deleted_at TEXT);
"""


def insert_detection(conn: sqlite3.Connection, design, png_bytes) -> None:
    """Write a :class:`~.detect.DetectionDesign`'s cases, images and truth (inside the caller's transaction)."""
    conn.executemany("INSERT INTO cases VALUES (?, ?, NULL, NULL)", [(c.case_id, c.pool) for c in design.cases])
    conn.executemany(
        "INSERT INTO det_images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(im.image_key, c.case_id, i, im.view, float(im.scale), im.spacing_mm, int(im.rows), int(im.cols),
          im.origin, png_bytes(im.pixels)) for c in design.cases for i, im in enumerate(c.images)])
    conn.executemany(
        "INSERT INTO det_lesions VALUES (?, ?, ?, ?, ?, ?)",
        [(c.case_id, les.lesion_no, les.lesion_type, les.status, les.source, les.origin)
         for c in design.cases for les in c.lesions])
    conn.executemany(
        "INSERT INTO det_outlines VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(c.case_id, les.lesion_no, key, *map(int, box)) for c in design.cases for les in c.lesions
         for key, box in les.outlines])
