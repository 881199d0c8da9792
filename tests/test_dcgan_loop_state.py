"""The trainer's typed loop state and its seeded random streams."""
from __future__ import annotations

import pytest
import torch

from trainers.dcgan.loop_state import STREAMS, LoopState, RandomStreams, stream_seed


def test_every_stream_gets_its_own_reproducible_seed():
    seeds = [stream_seed(7, s) for s in STREAMS]
    assert len(set(seeds)) == len(STREAMS)
    assert seeds == [stream_seed(7, s) for s in STREAMS]
    assert stream_seed(8, "perm") != stream_seed(7, "perm")
    assert all(0 <= s < 2 ** 63 for s in seeds)


def test_per_process_streams_differ_by_rank_and_restart_step():
    assert stream_seed(1, "aug", rank=0) != stream_seed(1, "aug", rank=1)
    assert stream_seed(1, "aug", rank=1, step=5) != stream_seed(1, "aug", rank=1)


def test_unknown_stream_name_is_refused():
    with pytest.raises(ValueError, match="stream"):
        stream_seed(1, "dropout")


def test_shared_streams_agree_across_processes_and_private_ones_do_not():
    a = RandomStreams.create(3, torch.device("cpu"), rank=0)
    b = RandomStreams.create(3, torch.device("cpu"), rank=1)
    assert torch.equal(torch.randperm(50, generator=a.perm), torch.randperm(50, generator=b.perm))
    assert a.label.uniform() == b.label.uniform()
    assert not torch.equal(torch.rand(8, generator=a.noise), torch.rand(8, generator=b.noise))


def test_streams_round_trip_continues_the_same_draws():
    a = RandomStreams.create(3, torch.device("cpu"))
    torch.rand(5, generator=a.noise)
    a.gathered = [a.process_state()]
    saved = a.state_dict()
    expected = (torch.rand(4, generator=a.noise), torch.randperm(9, generator=a.perm), a.label.uniform())
    b = RandomStreams.create(99, torch.device("cpu"))
    b.load_state_dict(saved, seed=99, rank=0, world_size=1, step=0)
    got = (torch.rand(4, generator=b.noise), torch.randperm(9, generator=b.perm), b.label.uniform())
    assert torch.equal(expected[0], got[0]) and torch.equal(expected[1], got[1]) and expected[2] == got[2]


def test_another_process_count_restarts_the_private_streams_from_the_seed():
    a = RandomStreams.create(3, torch.device("cpu"))
    saved = a.state_dict()  # gathered from one process
    b = RandomStreams.create(3, torch.device("cpu"), rank=1)
    b.load_state_dict(saved, seed=3, rank=1, world_size=2, step=12)
    fresh = torch.Generator().manual_seed(stream_seed(3, "noise", rank=1, step=12))
    assert torch.equal(torch.rand(4, generator=b.noise), torch.rand(4, generator=fresh))


def test_loop_state_round_trip_and_epoch_bookkeeping():
    loop = LoopState.create(5, torch.device("cpu"))
    assert not loop.in_epoch
    loop.begin_epoch(torch.arange(6), 0.8)
    loop.add_step(torch.ones(5), images=4)
    loop.add_step(torch.ones(5), images=2)
    loop.pos, loop.step = 2, 2
    assert loop.in_epoch and loop.acc_n == 2 and loop.epoch_images == 6
    restored = LoopState.create(5, torch.device("cpu"))
    restored.load_state_dict(loop.state_dict(), torch.device("cpu"))
    assert restored.state_dict().keys() == loop.state_dict().keys()
    assert torch.equal(restored.perm, loop.perm) and torch.equal(restored.acc, torch.full((5,), 2.0))
    assert (restored.pos, restored.step, restored.label) == (2, 2, 0.8)
    restored.end_epoch()
    assert restored.epoch == 1 and not restored.in_epoch and restored.pos == 0


def test_nothing_outside_the_trainer_reads_its_loop_internals():
    """Bookkeeping and state go through trainer.loop / trainer.rng, not private attributes."""
    from pathlib import Path

    import trainers.dcgan as pkg

    root = Path(pkg.__file__).parent
    for name in ("bookkeeping.py", "state.py"):
        text = (root / name).read_text()
        for attr in ("._perm", "._pos", "._label", "._acc", "._history", "._collapse_run", "_rng."):
            assert attr not in text, f"{name} reads {attr}"
