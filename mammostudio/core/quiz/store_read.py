"""The examiner's side of the study database: answers with their truth, pixels, damage checks.

Mixed into :class:`~.store.QuizStore`; expects ``self._conn``, ``self.path``,
``self.config``, ``self.version`` and ``self.warnings``.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .session import StudyError

__all__ = ["StudyContents", "png_bytes"]


def png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def _png_pixels(blob: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as im:
        return np.asarray(im.convert("L")).copy()


def _png_ok(blob: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(blob)) as im:
            im.verify()
        return True
    except Exception:  # noqa: BLE001 (PIL raises many types for damaged data)
        return False


class StudyContents:
    """Reading the study's answers and images (no writes)."""

    def responses(self) -> pd.DataFrame:
        """Every answer joined with its hidden truth (for analysis; not for readers).

        Columns: reader, experience_years, subspecialty, session_id, mode,
        position, case_id, task, item_id (the generated one for 2AFC), truth,
        source, lesion_type, status, answer, confidence, rt_ms, timed_out,
        shown_at, answered_at, answer_generated, truth_generated, correct, rating.
        """
        q = """
        SELECT r.code AS reader, {profile}, s.session_id, s.mode, sc.position,
               sc.case_id, c.item_b IS NOT NULL AS is_pair, sc.swap, c.item_a, c.item_b,
               ia.truth AS truth_a, ia.source AS source_a, ia.lesion_type, ia.status,
               ib.source AS source_b, resp.answer, resp.confidence, resp.rt_ms, resp.timed_out,
               resp.shown_at, resp.answered_at
        FROM responses resp
        JOIN session_cases sc ON sc.session_id = resp.session_id AND sc.position = resp.position
        JOIN sessions s ON s.session_id = resp.session_id
        JOIN readers r ON r.reader_id = s.reader_id
        JOIN cases c ON c.case_id = sc.case_id
        JOIN items ia ON ia.item_id = c.item_a
        LEFT JOIN items ib ON ib.item_id = c.item_b
        ORDER BY s.session_id, sc.position"""
        # Schema 2 keeps the profile each session was read with; schema 1 only the latest one.
        profile = ("COALESCE(s.experience_years, r.experience_years) AS experience_years, "
                   "COALESCE(s.subspecialty, r.subspecialty) AS subspecialty") if self.version >= 2 else \
            "r.experience_years, r.subspecialty"
        df = pd.read_sql_query(q.format(profile=profile), self._conn)
        damaged = self.damaged_items()
        self.warnings = []
        if damaged:
            bad = df["item_a"].isin(damaged) | df["item_b"].isin(damaged)
            cases = sorted(set(df.loc[bad, "case_id"]))
            self.warnings.append(f"{len(cases)} damaged case(s) left out of the statistics: {', '.join(cases)}")
            df = df[~bad].reset_index(drop=True)
        from .stats import score_responses

        return score_responses(df, self.config)

    def item_pixels(self, item_id: str) -> np.ndarray:
        """Pixels (uint8, display size) of one item.

        Raises
        ------
        StudyError
            When the stored image is damaged (names the case and the item).
        """
        row = self._conn.execute("SELECT png FROM items WHERE item_id=?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        try:
            return _png_pixels(row[0])
        except Exception as exc:  # noqa: BLE001 (PIL raises many types for damaged data)
            case = self._conn.execute("SELECT case_id FROM cases WHERE item_a=? OR item_b=?",
                                      (item_id, item_id)).fetchone()
            raise StudyError(f"{self.path}: case {case[0] if case else '?'} (image {item_id}) is damaged and "
                             f"cannot be shown ({exc})") from exc

    def detection_pixels(self, image_key: str) -> np.ndarray:
        """Display pixels of one detection image (StudyError naming the case when damaged)."""
        row = self._conn.execute("SELECT png, case_id FROM det_images WHERE image_key=?", (image_key,)).fetchone()
        if row is None:
            raise KeyError(image_key)
        try:
            return _png_pixels(row[0])
        except Exception as exc:  # noqa: BLE001 (PIL raises many types for damaged data)
            raise StudyError(f"{self.path}: case {row[1]} (image {image_key}) is damaged and cannot be shown "
                             f"({exc})") from exc

    def damaged_items(self) -> set[str]:
        """Ids of items (and detection images) whose stored PNG does not verify."""
        bad = {i for i, blob in self._conn.execute("SELECT item_id, png FROM items") if not _png_ok(blob)}
        if self.version >= 2:
            bad |= {k for k, blob in self._conn.execute("SELECT image_key, png FROM det_images") if not _png_ok(blob)}
        return bad

    def items(self) -> pd.DataFrame:
        """Item table without pixels: item_id, pool, truth, source, lesion_type, status, nn_distance."""
        return pd.read_sql_query(
            "SELECT item_id, pool, truth, source, lesion_type, status, nn_distance FROM items ORDER BY item_id",
            self._conn)
