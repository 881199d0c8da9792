"""The shared state every widget of the main window reads and sets.

Widgets never call each other: the browser sets :attr:`AppState.current_image`,
the viewer reacts to ``currentImageChanged``; the annotation tools push undoable
edits here and every view of the lesions reacts to ``lesionsChanged``; the
selected box (``boxSelected``), Prepare's extraction settings
(``extractParamsChanged``) and a patch to show in its image
(``patchFocusRequested``) travel the same way.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.annotations import Annotations, sidecar_path
from ..core.catalog import Catalog

__all__ = ["AppState", "BoxEdit", "choose_sidecar"]

BOX_FIELDS = ("row_min", "col_min", "row_max", "col_max", "lesion_type", "status", "wrong")


def choose_sidecar(root: Path, *, writable: bool | None = None) -> Path:
    """The sidecar next to the dataset, or - when that folder is read-only (a shared
    archive) - one in the user data folder named after the dataset's path."""
    import hashlib
    import os

    if writable is None:
        writable = os.access(root, os.W_OK)
    if writable:
        return sidecar_path(root)
    from ..core.paths import user_data_dir

    tag = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:10]
    return user_data_dir("annotations", f"{Path(root).name}-{tag}.json")


class AppState(QObject):
    """Dataset, annotation edits, filter result and the current image.

    Signals
    -------
    catalogChanged()
        A dataset was opened (or closed).
    lesionsChanged(str)
        The boxes of this image_id changed (edit, undo, redo).
    filterChanged()
        The set of images kept by the filters changed.
    currentImageChanged(str)
        The image shown in the viewer ('' for none).
    message(str)
        A status-bar message for the user.
    generatedOffered(str)
        Train mode offers a folder of generated images to the Quiz mode.
    boxSelected(str)
        The lesion_uid of the selected box ('' for none): the boxes on the
        canvas and the annotation panel follow it.
    extractParamsChanged()
        Prepare's patch-extraction settings (``extract_params``,
        ``extract_seed``) changed; the viewer's audit replays them.
    maskThresholdChanged(int)
        Browse's breast-mask threshold changed (0 for digital images, ~20 for
        film); Prepare's extraction follows it.
    patchFocusRequested(str, object)
        Show this image with this patch outlined (image_id, inclusive box
        ``(row_min, col_min, row_max, col_max)``), e.g. from Prepare's gallery.
    readingLockChanged(bool)
        A reading session locked (True) or released (False) the main window:
        while locked, menus, mode switching and modifier shortcuts are off.
        Any reading widget asks with :meth:`lock_reading` / :meth:`unlock_reading`.
    """

    catalogChanged = Signal()
    lesionsChanged = Signal(str)
    filterChanged = Signal()
    currentImageChanged = Signal(str)
    message = Signal(str)
    generatedOffered = Signal(str)
    boxSelected = Signal(str)
    extractParamsChanged = Signal()
    patchFocusRequested = Signal(str, object)
    readingLockChanged = Signal(bool)
    maskThresholdChanged = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.raw: Catalog | None = None
        self.annotations: Annotations | None = None
        self.catalog: Catalog | None = None  # edits applied, wrong boxes kept (for display)
        self.kept_ids: frozenset[str] = frozenset()
        self._row_index = None  # (images table, {image id: position}) for image_row
        self.current_image = ""
        self.undo = QUndoStack(self)
        # Patch-extraction settings of Prepare mode; the viewer's audit replays them.
        self.extract_params = None
        self.extract_seed = 0
        self.mask_threshold = 0  # Browse's breast-mask threshold (0 digital, ~20 film)
        self.generated_folders: list[str] = []  # offered by Train mode, newest last
        self.selected_box = ""  # lesion_uid of the selected box
        self._lock_owners: set[str] = set()  # reading sessions holding the window lock

    # -- reading lock ------------------------------------------------------------
    @property
    def reading_locked(self) -> bool:
        """True while any reading session holds the lock."""
        return bool(self._lock_owners)

    def lock_reading(self, owner: str) -> None:
        """Lock the window for a reader (``owner`` names the session, e.g. 'quiz')."""
        was = self.reading_locked
        self._lock_owners.add(str(owner))
        if not was:
            self.readingLockChanged.emit(True)

    def unlock_reading(self, owner: str) -> None:
        """Release ``owner``'s lock; the window unlocks when no session holds one."""
        was = self.reading_locked
        self._lock_owners.discard(str(owner))
        if was and not self.reading_locked:
            self.readingLockChanged.emit(False)

    # -- dataset ---------------------------------------------------------------
    def set_dataset(self, catalog: Catalog, *, sidecar: Path | None = None, prepared=None) -> None:
        """Show ``catalog``, with the edits of its sidecar applied.

        ``prepared`` = (annotations, catalog with the edits applied[, {image id:
        row}]), when a worker already made them (big catalogs: that work stays
        off the GUI thread).
        """
        self.raw = catalog
        self.undo.clear()
        if prepared is not None:
            self.annotations, self.catalog = prepared[:2]
            self._row_index = (self.catalog.images, prepared[2]) if len(prepared) > 2 else None
        else:
            self.annotations = Annotations.load(sidecar or choose_sidecar(catalog.root))
            self._reapply()
        if prepared is not None and len(prepared) > 3:  # made by the open worker
            self.kept_ids = prepared[3]
        else:
            self.kept_ids = frozenset(self.catalog.images["image_id"].tolist())  # tolist: 10x faster than iterating
        self.current_image = ""
        self.catalogChanged.emit()
        self.filterChanged.emit()

    def _reapply(self) -> None:
        self.catalog = self.annotations.apply(self.raw, include_wrong=True)
        self._row_index = None

    def edited_catalog(self, *, only_kept: bool = True) -> Catalog:
        """The catalog for downstream work: edits applied, wrong boxes out, filters applied."""
        cat = self.annotations.apply(self.raw)
        return cat.subset(self.kept_ids) if only_kept else cat

    def set_kept(self, image_ids) -> None:
        """Record the images the filter panel keeps (a frozenset is kept as it is: no copy of
        200,000 ids on the GUI thread)."""
        if not isinstance(image_ids, frozenset):
            image_ids = frozenset(image_ids.tolist() if hasattr(image_ids, "tolist") else image_ids)
        self.kept_ids = image_ids
        self.filterChanged.emit()

    def offer_generated(self, folder: str) -> None:
        """Hand a folder of generated images to the Quiz mode ("send to quiz")."""
        folder = str(folder)
        self.generated_folders = [f for f in self.generated_folders if f != folder] + [folder]
        self.generatedOffered.emit(folder)

    def set_mask_threshold(self, value: int) -> None:
        """Record Browse's breast-mask threshold and tell Prepare (only when it changes)."""
        if int(value) != self.mask_threshold:
            self.mask_threshold = int(value)
            self.maskThresholdChanged.emit(self.mask_threshold)

    def set_extract_params(self, params, seed: int) -> None:
        """Record Prepare's extraction settings (None: the defaults) and tell the viewer."""
        self.extract_params, self.extract_seed = params, int(seed)
        self.extractParamsChanged.emit()

    def focus_patch(self, image_id: str, box) -> None:
        """Ask the viewer to show ``image_id`` with the patch ``box`` (inclusive) outlined."""
        self.patchFocusRequested.emit(str(image_id), tuple(int(v) for v in box))

    def select_box(self, lesion_uid: str) -> None:
        """Select a box ('' clears)."""
        if lesion_uid != self.selected_box:
            self.selected_box = lesion_uid
            self.boxSelected.emit(lesion_uid)

    def delete_selected_box(self) -> None:
        """Delete the selected box (undoable) and clear the selection."""
        uid = self.selected_box
        if uid:
            self.select_box("")
            self.delete_box(uid)

    def select(self, image_id: str) -> None:
        """Make ``image_id`` the current image."""
        if image_id != self.current_image:
            self.current_image = image_id
            self.currentImageChanged.emit(image_id)

    def image_row(self, image_id: str) -> dict:
        """The images-table row of ``image_id`` as a dict (KeyError when absent)."""
        index = self._row_index
        if index is None or index[0] is not self.catalog.images:  # one lookup table per catalog
            ids = self.catalog.images["image_id"].tolist()
            index = self._row_index = (self.catalog.images, dict(zip(ids, range(len(ids)))))
        pos = index[1].get(image_id)
        if pos is None:
            raise KeyError(f"no image {image_id!r} in catalog of {self.catalog.root}")
        return self.catalog.images.iloc[pos].to_dict()

    def lesions_of(self, image_id: str) -> pd.DataFrame:
        """Boxes of ``image_id`` (edits applied, including boxes marked wrong)."""
        if self.catalog is None:
            return pd.DataFrame()
        return self.catalog.lesions_of(image_id)

    def wrong_uids(self) -> set[str]:
        """Boxes the user marked as wrong."""
        return self.annotations.wrong_uids() if self.annotations else set()

    # -- edits (undoable) ------------------------------------------------------
    def box_state(self, lesion_uid: str) -> dict | None:
        """Current editable fields of a box, or None when it does not exist."""
        hit = self.catalog.lesions.loc[self.catalog.lesions["lesion_uid"] == lesion_uid]
        if hit.empty:
            return None
        row = hit.iloc[0]
        state = {k: (int(row[k]) if k.endswith(("_min", "_max")) else str(row[k])) for k in BOX_FIELDS[:-1]}
        state["wrong"] = lesion_uid in self.wrong_uids()
        return state

    def add_box(self, image_id: str, box: tuple[int, int, int, int], *, lesion_type: str = "",
                status: str = "") -> str:
        """Add a box (undoable; type unknown until the user sets it); returns its lesion uid."""
        uid = self.annotations.new_lesion_uid(self.raw, image_id)
        fields = dict(zip(BOX_FIELDS[:4], map(int, box)), lesion_type=lesion_type, status=status, wrong=False)
        self.undo.push(BoxEdit(self, image_id, uid, None, fields, f"add box {self.box_name(uid)}"))
        return uid

    def box_name(self, lesion_uid: str) -> str:
        """A short readable name of a box for the history: 'box 1 on mias-001 R MLO'."""
        image_id, _, lesion = str(lesion_uid).rpartition(":")
        try:
            row = self.catalog.image(image_id)
            where = " ".join(str(row.get(k) or "") for k in ("patient_id", "laterality", "view")).strip()
        except (KeyError, AttributeError):
            where = image_id[-12:]
        return f"{lesion.replace('edit', 'new ')} on {where or image_id[-12:]}"

    def edit_box(self, lesion_uid: str, **fields) -> None:
        """Change fields of a box (undoable): corners, lesion_type, status, wrong."""
        before = self.box_state(lesion_uid)
        if before is None:
            raise KeyError(f"no box {lesion_uid!r}")
        after = {**before, **fields}
        if after != before:
            image_id = self.catalog.lesions.loc[self.catalog.lesions["lesion_uid"] == lesion_uid, "image_id"].iloc[0]
            self.undo.push(BoxEdit(self, str(image_id), lesion_uid, before, after, _edit_text(
                self.box_name(lesion_uid), before, after)))

    def delete_box(self, lesion_uid: str) -> None:
        """Delete a box (undoable)."""
        before = self.box_state(lesion_uid)
        if before is not None:
            image_id = self.catalog.lesions.loc[self.catalog.lesions["lesion_uid"] == lesion_uid, "image_id"].iloc[0]
            self.undo.push(BoxEdit(self, str(image_id), lesion_uid, before, None, f"delete box {self.box_name(lesion_uid)}"))

    def _write(self, image_id: str, uid: str, before: dict | None, after: dict | None) -> None:
        """Record the change from ``before`` to ``after`` in the sidecar and refresh."""
        if after is None:
            self.annotations.record("delete", uid, image_id)
        elif before is None:
            self.annotations.record("add", uid, image_id, **after)
        else:
            self.annotations.record("edit", uid, image_id, **{k: v for k, v in after.items() if before.get(k) != v})
        self._reapply()
        self.lesionsChanged.emit(image_id)


def _edit_text(name: str, before: dict, after: dict) -> str:
    """History text of an edit: what changed, in words."""
    changed = [k for k in BOX_FIELDS if before.get(k) != after.get(k)]
    if set(changed) <= set(BOX_FIELDS[:4]):
        same_size = (after["row_max"] - after["row_min"], after["col_max"] - after["col_min"]) == \
            (before["row_max"] - before["row_min"], before["col_max"] - before["col_min"])
        return f"{'move' if same_size else 'resize'} box {name}"
    parts = []
    if "lesion_type" in changed:
        parts.append(f"type {after['lesion_type'] or 'unknown'}")
    if "status" in changed:
        parts.append(f"category {after['status'] or 'unknown'}")
    if "wrong" in changed:
        parts.append("marked wrong" if after["wrong"] else "marked right")
    return f"box {name}: {', '.join(parts) or 'edited'}"


class BoxEdit(QUndoCommand):
    """One undoable box change; undo records the inverse change in the sidecar."""

    def __init__(self, state: AppState, image_id: str, uid: str, before, after, text: str) -> None:
        super().__init__(text)
        self.state, self.image_id, self.uid, self.before, self.after = state, image_id, uid, before, after

    def redo(self) -> None:  # noqa: D102 - Qt API
        self.state._write(self.image_id, self.uid, self.before, self.after)

    def undo(self) -> None:  # noqa: D102 - Qt API
        self.state._write(self.image_id, self.uid, self.after, self.before)
