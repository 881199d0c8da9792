"""docs/ARCHITECTURE.md names every GUI and core module, so the map stays a map."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def _modules(package: str) -> list[str]:
    base = ROOT / "mammostudio"
    return sorted(str(p.relative_to(base)).replace("\\", "/") for p in (base / package).rglob("*.py")
                  if p.name != "__init__.py")


def _named(text: str) -> set[str]:
    """Module paths written in the doc: ``gui/x.py``, ``core/quiz/y.py`` (also inside ``path:function``)."""
    return set(re.findall(r"(?:gui|core)/[\w/]+\.py", text))


def test_every_gui_and_core_module_is_named_in_the_architecture_doc():
    named = _named(DOC.read_text(encoding="utf-8"))
    missing = [m for m in _modules("gui") + _modules("core") if m not in named]
    assert not missing, f"{DOC.name} does not name: {', '.join(missing)}"


def test_the_doc_names_no_module_that_is_gone():
    base = ROOT / "mammostudio"
    gone = sorted(m for m in _named(DOC.read_text(encoding="utf-8")) if not (base / m).is_file())
    assert not gone, f"{DOC.name} names modules that do not exist: {', '.join(gone)}"
