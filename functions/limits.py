"""The largest upload one run accepts, computed in one place for "Validate input", "Split into
shards" and the stack (cdk/processing.py puts it in every function's environment as MAX_INPUT_BYTES).

"Split into shards" holds the whole input on its /tmp next to the shards it writes, which take
3.6-3.8 % of the input's size in the measurements of docs/deployment.md ("Scale"); 10 % is budgeted.
A further reserve is left for the runtime's own files. "Validate input" refuses anything larger, with a
data-issues report, so that no upload passes validation and then fails in split for lack of space.
This module imports nothing, so the CDK app and the control functions can read it.
"""

from __future__ import annotations

#: /tmp needed by split per byte of input: the input itself plus its shards.
SHARD_SPACE_FACTOR = 1.1

#: /tmp kept free for the runtime and libraries (bytes).
TMP_RESERVE_BYTES = 256 * 2**20


def largest_input(ephemeral_mb: int) -> int:
    """The largest input (bytes, all files of a run together) a split function with ``ephemeral_mb``
    MiB of /tmp can hold."""
    return int((ephemeral_mb * 2**20 - TMP_RESERVE_BYTES) / SHARD_SPACE_FACTOR)
