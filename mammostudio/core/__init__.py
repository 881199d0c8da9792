"""Data, DICOM, annotations, preprocessing, patches and quiz logic.

Nothing in this package imports Qt, torch or ``trainers`` (checked by the
import-linter contracts in ``pyproject.toml``).
"""
