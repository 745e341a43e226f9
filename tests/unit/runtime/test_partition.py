"""The partition hash: every row of a person in one part, people spread evenly over the parts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from blueprint.runtime.partition import shard_numbers


def test_shard_numbers_follow_the_subject_id_wherever_it_appears():
    ids = [f"{n:09d}" for n in range(20_000)] + ["", "X", "a-very-long-subject-identifier-0001"]
    whole = shard_numbers(pa.array(ids), 2)
    assert set(whole.tolist()) == {0, 1}
    share = whole[:20_000].mean()
    assert 0.48 < share < 0.52  # people spread evenly over the parts
    # IDs handed out in steps (as the synthetic generator does): FNV's low bit alone splits them 48/52.
    numbered = pa.array([str(100_000_000 + (n * 48_271 + 12_345) % 100_000_000) for n in range(20_000)])
    assert 0.49 < shard_numbers(numbered, 2).mean() < 0.51
    assert min(np.bincount(shard_numbers(numbered, 4))) > 4_850
    # The same ID gets the same number in another array, another position, a chunked or sliced array.
    shuffled = list(reversed(ids))
    assert shard_numbers(pa.array(shuffled), 2).tolist() == list(reversed(whole.tolist()))
    chunked = pa.chunked_array([pa.array(ids[:7]), pa.array(ids[7:])])
    assert shard_numbers(chunked, 2).tolist() == whole.tolist()
    assert shard_numbers(pa.array(ids).slice(5, 100), 2).tolist() == whole[5:105].tolist()
    # Only the last 16 bytes count, and every part is used when there are more parts.
    assert len(set(shard_numbers(pa.array(ids[:1000]), 3).tolist())) == 3
    assert (
        shard_numbers(pa.array(["prefix-A-0123456789abcdef", "prefix-B-0123456789abcdef"]), 7).tolist()[0]
        == shard_numbers(pa.array(["prefix-B-0123456789abcdef"]), 7).tolist()[0]
    )
    assert shard_numbers(pa.array(ids), 1).tolist() == [0] * len(ids)
