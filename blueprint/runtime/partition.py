"""Which part a row belongs to when rows are split by person: a stable hash of the person's ID.

A large run is evaluated in parts: a local run in one process per core (``blueprint.run.parallel``),
a cloud run in shards, one Lambda each (``blueprint.run.cloud_steps``). Every row of a person must
land in the same part, whichever chunk or file it came from, and the parts should be about the same
size. :func:`shard_numbers` gives each row its part from its ID's bytes alone; the reader
(``blueprint.intake.reader.split_people``) uses it to split each chunk as it reads.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def shard_numbers(subject_ids: pa.ChunkedArray | pa.Array, shards: int) -> np.ndarray:
    """The part (0 to ``shards`` - 1) each row's person belongs to, from a hash of its SUBJECT_ID.

    The same SUBJECT_ID always gets the same number, so every row of a person lands in one part
    whichever chunk or file it came from; different people spread evenly. The hash (FNV-1a over the
    last 16 bytes of the ID, then a bit mixer) is computed with numpy straight from Arrow's buffers,
    and depends on nothing but those bytes. A local run splits its rows this way while reading, for
    one evaluation process per core (``blueprint.run.parallel``); the cloud's split step, for its shards.
    """
    values = subject_ids.combine_chunks() if isinstance(subject_ids, pa.ChunkedArray) else subject_ids
    n = len(values)
    if shards <= 1 or n == 0:
        return np.zeros(n, dtype=np.int64)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n + 1].astype(np.int64)
    data_buffer = values.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None and data_buffer.size
        else np.zeros(1, np.uint8)
    )
    ends = offsets[1:]
    lengths = ends - offsets[:-1]
    digest = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for back in range(1, int(min(16, lengths.max(initial=0))) + 1):
        present = lengths >= back
        byte = data[np.where(present, ends - back, 0)].astype(np.uint64)
        digest = np.where(present, (digest ^ byte) * prime, digest)
    # FNV's low bits follow the bytes' low bits (numbered IDs split unevenly): mix the high bits in.
    digest ^= digest >> np.uint64(33)
    digest *= np.uint64(0xFF51AFD7ED558CCD)
    digest ^= digest >> np.uint64(33)
    return (digest % np.uint64(shards)).astype(np.int64)


__all__ = ["shard_numbers"]
