"""Opening a dataset for the main window: the job its worker runs.

Everything a big catalog would otherwise make the GUI thread do happens here,
in the worker: reading the dataset (cancellable), replaying the annotation
sidecar, and building the study table's columns.
"""
from __future__ import annotations

from ..core.progress import Progress

__all__ = ["open_job", "ISOLATE_FROM"]

#: Folders with this many DICOM files or more (and no saved catalog) are read in
#: a child process: building their catalog here would hold the interpreter lock
#: for tenths of a second at a time, freezing the window (see core/readers/isolated.py).
ISOLATE_FROM = 20_000


def open_job(path: str, *, isolate_from: int | None = ISOLATE_FROM, filter_settings: dict | None = None):
    """Job run in the worker: read the dataset (cancellable), then everything a big catalog
    would otherwise make the GUI thread or the pool do right after (annotation edits, the
    study table, the study index, the filter panel's first outcome).

    ``filter_settings`` are the filter panel's choices (:meth:`FilterPanel.settings`);
    None skips the filter outcome."""
    import gc

    from ..core.annotations import Annotations
    from ..core.readers import open_dataset_job
    from ..core.catalog_filter import filter_catalog
    from ..core.study_table import StudyIndex
    from .browser import study_table
    from .state import choose_sidecar

    # Building a big catalog allocates millions of objects. No collection runs
    # while this worker builds it (one could free Qt wrappers off the GUI
    # thread, and each full collection over the catalog paused every thread for
    # 0.2-0.3 s at 200,000 images); afterwards the survivors are moved out of
    # the collector's view (freeze) so no later full collection walks them.
    gc.disable()
    try:
        catalog = yield from open_dataset_job(path, isolate_from=isolate_from)
        yield Progress(0, None, f"{catalog.n_images:,} images: applying annotation edits")
        annotations = Annotations.load(choose_sidecar(catalog.root))
        shown = annotations.apply(catalog, include_wrong=True)
        yield Progress(0, None, f"{catalog.n_images:,} images: preparing the study table")
        table = study_table(shown.images, shown.lesions, shown.problems)
        rows = dict(zip(shown.images["image_id"].tolist(), range(catalog.n_images)))
        shown.index_lesions()  # the viewer's box lookups, made here rather than on the GUI thread
        yield Progress(0, None, f"{catalog.n_images:,} images: indexing studies and applying the filters")
        studies = StudyIndex(shown.images)
        filtered = None
        if filter_settings is not None:
            args = {**filter_settings, "acquisition_on": None, "wrong": set(annotations.wrong_uids())}
            filtered = (args, filter_catalog(shown.images, shown.lesions, **args))
    finally:
        gc.freeze()
        gc.enable()
    return {"catalog": catalog, "prepared": (annotations, shown, rows, frozenset(rows)), "table": table,
            "summary": catalog.summary(),
            "studies": studies, "filtered": filtered}
