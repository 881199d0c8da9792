"""JSON round trips for the frozen settings dataclasses (filter, GAN, classifier, experiment).

Every settings class saved beside its outputs reads and writes JSON the same
way: unknown keys are refused by name (a typo must not silently fall back to
a default), missing keys take the defaults, files are written atomically and a
bad file is reported with its path.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from .atomic import write_text

__all__ = ["JsonSettings"]

S = TypeVar("S", bound="JsonSettings")


class JsonSettings:
    """Mixin for frozen dataclasses: ``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json``.

    Subclasses set ``_LABEL`` (used in messages, e.g. "GAN config") and may
    override :meth:`to_dict` / :meth:`from_dict` for nested settings.
    """

    _LABEL = "settings"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls: type[S], data: dict[str, Any], *, source: str | None = None) -> S:
        """Build from a dict; unknown keys raise ValueError naming them (and ``source``)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            where = f"{source}: " if source else ""
            raise ValueError(f"{where}unknown {cls._LABEL} key(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    def to_json(self, path: str | os.PathLike) -> Path:
        """Atomically write the settings as JSON."""
        return write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_json(cls: type[S], path: str | os.PathLike) -> S:
        """Read settings written by :meth:`to_json`.

        Raises
        ------
        ValueError
            Unreadable JSON, not an object, unknown keys or bad values; the
            message names the file.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            return cls.from_dict(data, source=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}: not a valid {cls._LABEL} ({exc})") from exc
