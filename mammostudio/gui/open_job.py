"""Opening a dataset for the main window: the job its worker runs.

Everything a big catalog would otherwise make the GUI thread do happens here,
in the worker: reading the dataset (cancellable), replaying the annotation
sidecar, and building the study table's columns.
"""
from __future__ import annotations

from ..core.progress import Progress

__all__ = ["open_job"]


def open_job(path: str):
    """Job run in the worker: read the dataset (cancellable), then everything a big catalog
    would otherwise make the GUI thread do (annotation edits, the study table)."""
    import gc

    from ..core.annotations import Annotations
    from ..core.readers import open_dataset_job
    from .browser import study_table
    from .state import choose_sidecar

    # Building a big catalog allocates millions of objects. No collection runs
    # while this worker builds it (one could free Qt wrappers off the GUI
    # thread, and each full collection over the catalog paused every thread for
    # 0.2-0.3 s at 200,000 images); afterwards the survivors are moved out of
    # the collector's view (freeze) so no later full collection walks them.
    gc.disable()
    try:
        catalog = yield from open_dataset_job(path)
        yield Progress(0, None, f"{catalog.n_images:,} images: applying annotation edits")
        annotations = Annotations.load(choose_sidecar(catalog.root))
        shown = annotations.apply(catalog, include_wrong=True)
        yield Progress(0, None, f"{catalog.n_images:,} images: preparing the study table")
        table = study_table(shown.images, shown.lesions, shown.problems)
        rows = dict(zip(shown.images["image_id"].tolist(), range(catalog.n_images)))
    finally:
        gc.freeze()
        gc.enable()
    return {"catalog": catalog, "prepared": (annotations, shown, rows), "table": table, "summary": catalog.summary()}
