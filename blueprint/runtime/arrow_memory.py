"""Which allocator Arrow uses during a local run, and why.

Arrow's wheels ship two allocators: mimalloc (pyarrow's default on Linux) and jemalloc. A run parses
its input in pieces of a few megabytes, and each piece allocates and frees its columns again.
How an allocator hands freed pages back to the operating system decides how often the next piece
has to fault fresh pages in, and on a virtual machine every page fault is a trip through the
hypervisor (about 6 microseconds on the kit's 2-core test machine). Measured there on a
million-row run, alternating the two: jemalloc spent about a third less time in the kernel
(2.3 s against 3.5 s) and finished about half a second sooner, with peak memory within 10 %.

What is left of the kernel's time is mostly memory touched for the first time, not memory churned.
A wide million-row run (``make bench-wide``, 2026-12-05) takes about 430,000 minor page faults,
some 1.5 s of its 7 s of processor time: about 150,000 in the read, which is about the read's
peak resident memory (the rows kept, the read buffers, the libraries), and 75,000 in each
evaluation process. Neither jemalloc's decay time (``pa.jemalloc_set_decay_ms``) nor glibc's
malloc thresholds changed that count much; jemalloc on transparent huge pages (``thp:always``)
cut it by a third but raised the kernel's time, from 1.6 s to 2.6 s, on a machine whose huge
pages are compacted on demand. Fewer faults means less memory touched.

A county that prefers another allocator sets ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``,
``jemalloc`` or ``system``); Arrow reads it and this module then leaves the choice alone.
"""

from __future__ import annotations

import os

import pyarrow as pa


def use_jemalloc_if_available() -> str:
    """Make jemalloc Arrow's default allocator for this process, if available; return the one in use.

    Call it before the run allocates anything large. A pyarrow built without jemalloc keeps its
    default.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return pa.default_memory_pool().backend_name
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool().backend_name
    pa.set_memory_pool(pool)
    return pool.backend_name
