"""The patch tables' fast writer: pandas' CSV text, files replaced in order."""
import os

import pandas as pd
import pytest

from mammostudio.core.patches import tables
from mammostudio.core.patches.tables import csv_text, write_in_order


def test_csv_text_is_what_pandas_writes_for_the_same_records():
    cols = ["a", "b", "c", "d"]
    records = [
        {"a": "x,y", "b": 3, "c": 0.0832, "d": None},
        {"a": 'say "hi"', "b": "", "c": 1e-05, "d": True},
        {"a": "two\nlines", "b": -7, "d": "plain"},          # "c" missing
        {"a": "", "b": 12345678901, "c": 2.0, "d": False},
    ]
    assert csv_text(records, cols) == pd.DataFrame(records, columns=cols).to_csv(index=False)
    assert csv_text([], cols) == pd.DataFrame([], columns=cols).to_csv(index=False)
    one = [{"a": ""}, {"a": "z"}]  # a lone empty field is quoted by both
    assert csv_text(one, ["a"]) == pd.DataFrame(one, columns=["a"]).to_csv(index=False)


def test_write_in_order_replaces_every_file_and_renames_the_first_first(tmp_path, monkeypatch):
    (tmp_path / "first.csv").write_text("old")
    renamed = []
    real = os.replace

    def spy(src, dst):
        renamed.append(os.path.basename(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_in_order([(tmp_path / "first.csv", "one\n"), (tmp_path / "second.csv", "two\n"),
                    (tmp_path / "third.csv", "three\n")])
    assert renamed == ["first.csv", "second.csv", "third.csv"]
    assert [(tmp_path / n).read_text() for n in renamed] == ["one\n", "two\n", "three\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv", "second.csv", "third.csv"]


def test_write_in_order_failing_file_replaces_none_after_it_and_leaves_no_temporaries(tmp_path, monkeypatch):
    (tmp_path / "first.csv").write_text("old1")
    (tmp_path / "second.csv").write_text("old2")
    real = os.fsync
    calls = []

    def failing(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(tables.os, "fsync", failing)
    with pytest.raises(OSError) as err:
        write_in_order([(tmp_path / "first.csv", "new1"), (tmp_path / "second.csv", "new2")])
    assert err.value.errno == 28 and err.value.filename in (str(tmp_path / "first.csv"), str(tmp_path / "second.csv"))
    assert (tmp_path / "first.csv").read_text() == "old1" and (tmp_path / "second.csv").read_text() == "old2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv", "second.csv"]
