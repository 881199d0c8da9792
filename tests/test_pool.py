"""core/pool.py: a worker pool fed through a bounded queue."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from mammostudio.core.pool import as_finished


def test_every_task_runs_once_and_never_more_than_depth_are_queued():
    pending: set = set()
    seen, most = [], 0
    with ThreadPoolExecutor(3) as pool:
        for fut in as_finished(pool, pow, range(20), 2, depth=4, pending=pending):
            most = max(most, len(pending))  # its replacement already submitted
            seen.append(fut.result())
    assert sorted(seen) == [i ** 2 for i in range(20)]
    assert most <= 4 and not pending


def test_a_failed_task_is_the_callers_to_judge():
    def boom(x):
        if x == 3:
            raise OSError("disk gone")
        return x

    pending: set = set()
    with ThreadPoolExecutor(2) as pool:
        futs = list(as_finished(pool, boom, range(6), depth=2, pending=pending))
    assert len(futs) == 6
    with pytest.raises(OSError, match="disk gone"):
        [f.result() for f in futs]


def test_closing_early_leaves_the_futures_in_flight_to_the_caller():
    pending: set = set()
    with ThreadPoolExecutor(1) as pool:
        gen = as_finished(pool, abs, range(100), depth=3, pending=pending)
        next(gen)
        gen.close()
        assert 0 < len(pending) <= 3  # nothing more was submitted; the caller cancels these
        for fut in pending:
            fut.cancel()
