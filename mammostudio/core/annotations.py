"""The annotation sidecar: a user's box edits kept beside a dataset, never in it.

Readers give the archive's boxes (the original export is never rewritten). Edits
made in the app - a box added, moved, resized, deleted, re-typed, or marked as
wrong - are appended to an append-only change log in a JSON *sidecar* file next
to the dataset, each change with who made it and when. :meth:`Annotations.apply`
replays the log over a :class:`~mammostudio.core.catalog.Catalog`, so the
catalog, the viewer overlays and patch extraction all see the edited boxes.
Undo is a new change that restores the previous state, so history is kept.

Sidecar layout (``<dataset>/mammostudio-annotations.json``)::

    {"format": "mammostudio-annotations", "version": 1,
     "changes": [{"action": "add"|"edit"|"delete", "lesion_uid": ..., "image_id": ...,
                  "fields": {"row_min": .., "col_min": .., "row_max": .., "col_max": ..,
                             "lesion_type": .., "status": .., "wrong": bool},
                  "who": "user", "when": "2026-11-25T21:50:00+00:00"}, ...]}
"""
from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .atomic import write_text
from .catalog import Catalog, normalise_lesion_type, status_ordinal

__all__ = ["SIDECAR_NAME", "Change", "Annotations", "sidecar_path", "export_workbook"]

SIDECAR_NAME = "mammostudio-annotations.json"
FORMAT = "mammostudio-annotations"
EDITABLE = ("row_min", "col_min", "row_max", "col_max", "lesion_type", "status", "wrong")
ACTIONS = ("add", "edit", "delete")


def sidecar_path(root: str | os.PathLike) -> Path:
    """Where the sidecar of the dataset folder ``root`` lives."""
    return Path(root) / SIDECAR_NAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "unknown"


@dataclass(frozen=True)
class Change:
    """One edit of one box.

    Parameters
    ----------
    action : str
        'add', 'edit' or 'delete'.
    lesion_uid : str
        The box (``f"{image_id}:{lesion_id}"``).
    image_id : str
        The image the box is drawn on.
    fields : dict
        New values of the edited fields (subset of row_min, col_min, row_max,
        col_max, lesion_type, status, wrong); the full box for 'add'.
    who, when : str
        User name and ISO-8601 UTC time of the change.
    """

    action: str
    lesion_uid: str
    image_id: str
    fields: dict = field(default_factory=dict)
    who: str = ""
    when: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")
        unknown = set(self.fields) - set(EDITABLE)
        if unknown:
            raise ValueError(f"fields {sorted(unknown)} cannot be edited; editable: {EDITABLE}")

    def to_json(self) -> dict:
        """Plain dict for the sidecar file."""
        return {"action": self.action, "lesion_uid": self.lesion_uid, "image_id": self.image_id,
                "fields": dict(self.fields), "who": self.who, "when": self.when}


class Annotations:
    """The change log of one dataset, saved atomically after every change.

    Parameters
    ----------
    path : path-like
        The sidecar file (see :func:`sidecar_path`); need not exist yet.
    who : str, optional
        Name recorded with each change (defaults to the login name).
    """

    def __init__(self, path: str | os.PathLike, *, who: str | None = None) -> None:
        self.path = Path(path)
        self.who = who or _who()
        self.changes: list[Change] = []

    @classmethod
    def load(cls, path: str | os.PathLike, *, who: str | None = None) -> "Annotations":
        """Read a sidecar (an absent file gives an empty log).

        Raises
        ------
        ValueError
            If the file is not a mammostudio sidecar; the message names it.
        """
        ann = cls(path, who=who)
        if not ann.path.exists():
            return ann
        try:
            doc = json.loads(ann.path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                raise ValueError(f"'format' is {doc.get('format')!r}, expected {FORMAT!r}")
            ann.changes = [Change(**c) for c in doc.get("changes", [])]
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"{ann.path}: not a readable annotation sidecar ({exc})") from exc
        return ann

    def save(self) -> Path:
        """Write the whole log atomically."""
        doc = {"format": FORMAT, "version": 1, "changes": [c.to_json() for c in self.changes]}
        return write_text(self.path, json.dumps(doc, indent=1))

    def copy(self) -> "Annotations":
        """A snapshot of the log (for work on another thread while editing goes on)."""
        other = Annotations(self.path, who=self.who)
        other.changes = list(self.changes)
        return other

    def record(self, action: str, lesion_uid: str, image_id: str, **fields) -> Change:
        """Append one change (stamped with who/when) and save.

        Parameters
        ----------
        action : str
            'add', 'edit' or 'delete'.
        lesion_uid, image_id : str
            The box and its image.
        **fields
            Values to set (see :data:`EDITABLE`); box corners are inclusive ints.
        """
        for key in ("row_min", "col_min", "row_max", "col_max"):
            if key in fields:
                fields[key] = int(fields[key])
        if "wrong" in fields:
            fields["wrong"] = bool(fields["wrong"])
        change = Change(action, str(lesion_uid), str(image_id), fields, self.who, _now())
        self.changes.append(change)
        self.save()
        return change

    def new_lesion_uid(self, catalog: Catalog, image_id: str) -> str:
        """A lesion uid not used on ``image_id`` by the archive or the log."""
        used = set(catalog.lesions["lesion_uid"]) | {c.lesion_uid for c in self.changes}
        n = 1
        while f"{image_id}:edit{n}" in used:
            n += 1
        return f"{image_id}:edit{n}"

    def wrong_uids(self) -> set[str]:
        """Boxes currently marked as wrong."""
        state: dict[str, bool] = {}
        for c in self.changes:
            if c.action == "delete":
                state.pop(c.lesion_uid, None)
            elif "wrong" in c.fields:
                state[c.lesion_uid] = c.fields["wrong"]
        return {uid for uid, wrong in state.items() if wrong}

    def apply(self, catalog: Catalog, *, include_wrong: bool = False) -> Catalog:
        """A new catalog with the log replayed over ``catalog``'s lesions.

        Parameters
        ----------
        catalog : Catalog
            As read from the archive (not modified).
        include_wrong : bool
            Keep boxes marked as wrong (the viewer shows them); downstream
            work (extraction, export) leaves them out, the default.
        """
        rows = {r["lesion_uid"]: r for r in catalog.lesions.to_dict("records")}
        for c in self.changes:
            if c.action == "delete":
                rows.pop(c.lesion_uid, None)
                continue
            if c.action == "add":
                rows[c.lesion_uid] = {"lesion_uid": c.lesion_uid, "image_id": c.image_id,
                                      "lesion_id": c.lesion_uid.split(":", 1)[-1],
                                      "severity": "", "source": f"{self.path.name} ({c.who} {c.when})"}
            elif c.lesion_uid not in rows:
                continue  # edit of a box the archive no longer has
            row = rows[c.lesion_uid]
            row.update({k: v for k, v in c.fields.items() if k != "wrong"})
            if "lesion_type" in c.fields:
                row["lesion_type"] = normalise_lesion_type(c.fields["lesion_type"])
            if "status" in c.fields:
                row["status_ordinal"] = status_ordinal(c.fields["status"])
            if c.action == "edit":
                row["source"] = f"{row.get('source', '')}; edited in {self.path.name} ({c.who} {c.when})"
        wrong = set() if include_wrong else self.wrong_uids()
        kept = [r for uid, r in rows.items() if uid not in wrong]
        lesions = pd.DataFrame(kept, columns=list(catalog.lesions.columns))
        for a, b in (("row_min", "row_max"), ("col_min", "col_max")):
            lo, hi = lesions[[a, b]].min(axis=1), lesions[[a, b]].max(axis=1)
            lesions[a], lesions[b] = lo, hi
        return Catalog(images=catalog.images, lesions=lesions, root=catalog.root,
                       source_format=catalog.source_format, problems=list(catalog.problems))


def export_workbook(catalog: Catalog, annotations: Annotations, path: str | os.PathLike, *,
                    keep_identifiers: bool = False, on_notice=None) -> Path:
    """Write the edited annotations (wrong boxes left out) as a paper-layout workbook.

    Uses the workbook writer of :mod:`mammostudio.core.readers.workbook`, so the
    file reads back with the same reader as the original export. Patient and
    study ids are pseudonyms (:mod:`mammostudio.core.privacy`) unless
    ``keep_identifiers``; ``on_notice``, if given, is called with the one-line
    notice saying which, and where the private mapping is.
    """
    from .privacy import Pseudonymiser
    from .readers.workbook import catalog_to_rows, write_workbook

    pseudo = Pseudonymiser.for_dataset(catalog.root, keep_identifiers=keep_identifiers)
    write_workbook(Path(path), catalog_to_rows(annotations.apply(catalog), pseudo=pseudo))
    pseudo.save()
    if on_notice is not None:
        on_notice(pseudo.notice)
    return Path(path)
