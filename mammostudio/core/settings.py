"""JSON round trips for the frozen settings dataclasses (filter, GAN, classifier, experiment).

Every settings class saved beside its outputs reads and writes JSON the same
way: unknown keys are refused by name (a typo must not silently fall back to
a default), missing keys take the defaults, files are written atomically and a
bad file is reported with its path and the field at fault.

Every field is type-checked against its annotation before the class's own
``__post_init__`` range checks run, whether the settings come from a file or
from code: an int field refuses ``true`` and ``2.5``, a float field refuses
NaN, infinity and text, a tuple field checks its items. Subclasses may add
``_RANGES = {"field": (low, high)}`` (inclusive, None = open) for bounds their
``__post_init__`` does not check.
"""
from __future__ import annotations

import json
import math
import os
import types
import typing
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from .atomic import write_text

__all__ = ["JsonSettings", "check_value"]

S = TypeVar("S", bound="JsonSettings")
_HINTS: dict[type, dict] = {}


def _describe(tp) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0])}"
        return f"a list of {len(args)} ({', '.join(_describe(a) for a in args)})"
    return {int: "an integer", float: "a finite number", bool: "true or false", str: "text",
            type(None): "null"}.get(tp, getattr(tp, "__name__", str(tp)))


def _ok(value, tp) -> bool:
    origin = typing.get_origin(tp)
    if tp is typing.Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_ok(value, a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        if isinstance(value, str) and args and args[0] is str and args[-1] is Ellipsis:
            return True  # one text where a list of texts is expected ("Hologic")
        if not isinstance(value, (list, tuple)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_ok(v, args[0]) for v in value)
        return len(value) == len(args) and all(_ok(v, a) for v, a in zip(value, args))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool) or type(value).__name__.startswith("int")
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not type(value).__name__.startswith(
                ("float", "int")):
            return False
        return math.isfinite(float(value))
    if tp is str:
        return isinstance(value, str)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True  # an annotation this checker does not know: leave it to __post_init__


def check_value(name: str, value, tp, ranges: dict | None = None) -> None:
    """Raise ValueError naming ``name`` if ``value`` does not fit annotation ``tp`` (or its range)."""
    if not _ok(value, tp):
        raise ValueError(f"field {name!r}: expected {_describe(tp)}, got {value!r}")
    low, high = (ranges or {}).get(name, (None, None))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"field {name!r}: must be in [{low}, {high}], got {value!r}")


def _hints(cls) -> dict:
    if cls not in _HINTS:
        try:
            _HINTS[cls] = typing.get_type_hints(cls)
        except Exception:  # unresolvable annotations: no type checks for this class
            _HINTS[cls] = {}
    return _HINTS[cls]


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} given twice")
        seen[key] = value
    return seen


class JsonSettings:
    """Mixin for frozen dataclasses: ``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json``.

    Subclasses set ``_LABEL`` (used in messages, e.g. "GAN config") and may
    override :meth:`to_dict` / :meth:`from_dict` for nested settings.
    """

    _LABEL = "settings"
    _RANGES: dict = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")

        def __post_init__(self) -> None:
            self._check_fields()
            if own is not None:
                own(self)
            elif hasattr(super(cls, self), "__post_init__"):
                super(cls, self).__post_init__()

        __post_init__.__doc__ = own.__doc__ if own is not None else None
        cls.__post_init__ = __post_init__

    def _check_fields(self) -> None:
        """Type- and range-check every field (ValueError naming the field)."""
        if not is_dataclass(self):
            return
        hints = _hints(type(self))
        for f in fields(self):
            if f.name in hints:
                check_value(f.name, getattr(self, f.name), hints[f.name], type(self)._RANGES)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls: type[S], data: dict[str, Any], *, source: str | None = None) -> S:
        """Build from a dict; unknown keys and bad values raise ValueError naming them (and ``source``)."""
        where = f"{source}: " if source else ""
        if not isinstance(data, dict):
            raise ValueError(f"{where}{cls._LABEL}: expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{where}unknown {cls._LABEL} key(s) {unknown}; known: {sorted(known)}")
        try:
            return cls(**data)
        except TypeError as exc:  # a value of a type __post_init__ cannot compare
            raise ValueError(f"{where}{cls._LABEL}: {exc}") from exc

    def to_json(self, path: str | os.PathLike) -> Path:
        """Atomically write the settings as JSON."""
        return write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_json(cls: type[S], path: str | os.PathLike) -> S:
        """Read settings written by :meth:`to_json`.

        Raises
        ------
        ValueError
            Unreadable JSON (also keys given twice), not an object, NaN or
            infinite numbers, unknown keys or bad values; the message
            names the file and the field.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a valid {cls._LABEL} (not UTF-8 text)") from exc
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the {cls._LABEL} ({exc.strerror or exc})") from exc
        try:
            # NaN / Infinity literals are parsed so the field check can name the field.
            data = json.loads(text, object_pairs_hook=_no_duplicates)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            return cls.from_dict(data, source=None)
        except RecursionError as exc:
            raise ValueError(f"{path}: not a valid {cls._LABEL} (nested too deeply)") from exc
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}: not a valid {cls._LABEL} ({' '.join(str(exc).split())})") from exc
