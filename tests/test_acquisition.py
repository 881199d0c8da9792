"""The acquisition filter (paper Table 2): matching rules, counts, JSON."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from mammostudio.core.acquisition import AcquisitionFilter, FilterReport
from mammostudio.core.catalog import empty_images


def _images(rows: list[tuple]) -> pd.DataFrame:
    """A catalog images table from (manufacturer, model, mA, magnification, for_presentation)."""
    df = empty_images(len(rows))
    df["image_id"] = [f"img{i}" for i in range(len(rows))]
    for col, values in zip(
        ["manufacturer", "model_name", "tube_current_ma", "magnification", "for_presentation"], zip(*rows)
    ):
        df[col] = pd.Series(values, dtype=df[col].dtype)
    return df


TABLE = _images(
    [
        ("HOLOGIC, Inc.", "Lorad Selenia", 100, 1.0, True),  # 0 kept
        ("Lorad, A Hologic Company", "LORAD SELENIA", 100, 1, True),  # 1 kept
        ("Lorad", "Lorad  Selenia", 100.0, 1.000, True),  # 2 kept
        ("GE MEDICAL SYSTEMS", "Senographe Essential", 62, 1.0, True),  # 3 manufacturer, model, mA
        ("HOLOGIC, Inc.", "Selenia Dimensions", 100, 1.0, True),  # 4 model
        ("HOLOGIC, Inc.", "Lorad Selenia", 180, 1.0, True),  # 5 mA
        ("HOLOGIC, Inc.", "Lorad Selenia", 100, 1.8, True),  # 6 magnification
        ("HOLOGIC, Inc.", "Lorad Selenia", 100, 1.073, True),  # 7 magnification (paper: exactly 1)
        ("HOLOGIC, Inc.", "Lorad Selenia", 100, 1.0, False),  # 8 for processing
        ("", "", None, None, None),  # 9 everything missing
    ]
)


def test_paper_defaults_keep_hologic_lorad_selenia_100ma_unmagnified_processed():
    report = AcquisitionFilter().apply(TABLE)
    assert isinstance(report, FilterReport)
    assert list(report.kept[report.kept].index) == [0, 1, 2]
    assert report.kept.dtype == bool and report.kept.index.equals(TABLE.index)
    assert AcquisitionFilter.paper() == AcquisitionFilter()


def test_report_counts_each_criterion_alone_and_in_sequence():
    report = AcquisitionFilter().apply(TABLE)
    assert report.removed_alone == {
        "manufacturer": 2,  # 3, 9
        "model_name": 3,  # 3, 4, 9
        "tube_current_ma": 3,  # 3, 5, 9
        "magnification": 3,  # 6, 7, 9
        "for_presentation": 2,  # 8, 9
    }
    assert report.removed_in_sequence == {
        "manufacturer": 2,
        "model_name": 1,
        "tube_current_ma": 1,
        "magnification": 2,
        "for_presentation": 1,
    }
    assert sum(report.removed_in_sequence.values()) == report.n_total - report.n_kept == 7
    assert report.missing == dict.fromkeys(report.missing, 1)
    summary = report.summary()
    assert (summary["images"], summary["kept"], summary["removed"]) == (10, 3, 7)
    assert [c["name"] for c in summary["criteria"]] == list(report.removed_alone)
    json.dumps(summary)  # plain values only


def test_missing_values_never_match_and_are_reported():
    flt = AcquisitionFilter(manufacturer=None, model_name=None, tube_current_ma=None, magnification=None)
    report = flt.apply(TABLE)
    assert not report.kept[9] and report.missing == {"for_presentation": 1}


def test_disabled_criteria_are_skipped_and_shown_as_off():
    flt = AcquisitionFilter(model_name=None, magnification=None)
    report = flt.apply(TABLE)
    assert list(report.kept[report.kept].index) == [0, 1, 2, 4, 6, 7]
    assert "model_name" not in report.removed_alone
    assert report.criteria["model_name"] == "off"
    off = {c["name"]: c["enabled"] for c in report.summary()["criteria"]}
    assert off == {"manufacturer": True, "model_name": False, "tube_current_ma": True,
                   "magnification": False, "for_presentation": True}
    assert AcquisitionFilter.disabled().apply(TABLE).kept.all()


def test_literal_paper_manufacturer_rejects_plain_lorad():
    report = AcquisitionFilter(manufacturer="Hologic, Inc.").apply(TABLE)
    assert list(report.kept[report.kept].index) == [0]


def test_tube_current_range_and_magnification_tolerance_are_editable():
    flt = AcquisitionFilter(tube_current_ma=(90, 200), magnification_tolerance=0.1)
    kept = flt.apply(TABLE).kept
    assert list(kept[kept].index) == [0, 1, 2, 5, 7]


def test_for_presentation_false_keeps_raw_images_and_reads_words():
    df = TABLE.copy()
    df["for_presentation"] = ["FOR PRESENTATION"] * 8 + ["for processing", ""]
    kept = AcquisitionFilter(for_presentation=False).apply(df).kept
    assert list(kept[kept].index) == [8]
    assert list(AcquisitionFilter().apply(df).kept.pipe(lambda k: k[k].index)) == [0, 1, 2]


def test_json_round_trip_and_bad_files(tmp_path):
    flt = AcquisitionFilter(manufacturer=("Siemens",), tube_current_ma=(50, 150), for_presentation=None)
    path = flt.to_json(tmp_path / "filter.json")
    assert AcquisitionFilter.from_json(path) == flt
    assert json.loads(path.read_text())["tube_current_ma"] == [50.0, 150.0]
    assert [p.name for p in tmp_path.iterdir()] == ["filter.json"]
    (tmp_path / "bad.json").write_text('{"manufacturer": "x", "colour": "red"}')
    with pytest.raises(ValueError, match=r"bad\.json.*colour"):
        AcquisitionFilter.from_json(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.json"):
        AcquisitionFilter.from_json(tmp_path / "broken.json")


def test_invalid_settings_raise_naming_the_parameter():
    with pytest.raises(ValueError, match="tube_current_ma"):
        AcquisitionFilter(tube_current_ma=(200, 100))
    with pytest.raises(ValueError, match="magnification_tolerance"):
        AcquisitionFilter(magnification_tolerance=-1)
    with pytest.raises(ValueError, match="for_presentation"):
        AcquisitionFilter(for_presentation="yes")
    with pytest.raises(ValueError, match="non-empty"):
        AcquisitionFilter(model_name=())


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="magnification"):
        AcquisitionFilter().apply(TABLE.drop(columns=["magnification"]))
    # ...unless that criterion is off
    AcquisitionFilter(magnification=None).apply(TABLE.drop(columns=["magnification"]))


def test_filter_is_frozen():
    with pytest.raises(AttributeError):
        AcquisitionFilter().tube_current_ma = 50  # type: ignore[misc]
