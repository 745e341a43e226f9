"""The program a hashing process runs: one file's SHA-256, with the file's identity before and after.

``blueprint.runtime.file_digest`` starts it as ``python -I -S sha256_worker.py FILE BLOCK_BYTES`` for
a large input file, so that the hashing runs in a process of its own instead of a thread of the
run (why: that module's docstring). It is started without the kit on its path (``-I -S``: no
site-packages, no environment variables, a quicker start), so it uses the standard library only.

It prints one line of JSON on standard output and exits 0:

- ``{"sha256": HEX, "opened": IDENTITY, "finished": IDENTITY}``: the file's SHA-256, and what
  ``os.fstat`` said of the open file before its first read and after its last one (device, inode,
  size, modification time in nanoseconds); the caller compares both with the version its parser
  read;
- ``{"error": "missing"}``: the file no longer exists;
- ``{"error": "unreadable", "reason": TEXT}``: opening or reading it failed (``TEXT`` is the
  system's reason, e.g. "Permission denied").

It prints nothing of the file's content.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Callable


def identity(fd: int) -> list[int]:
    """What tells one version of an open file from another: device, inode, size, modification time
    in nanoseconds (``file_digest.file_identity`` gives the same, as a tuple)."""
    st = os.fstat(fd)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def sha256_of(path: str, block_bytes: int, stopped: Callable[[], bool] | None = None) -> dict | None:
    """The SHA-256 of the file at ``path`` read in blocks of ``block_bytes`` into one reused buffer.

    The kit's own hashing thread (``file_digest``, for a small file) calls this too, with
    ``stopped``: asked before each block, it ends the reading, and None is returned.
    """
    try:
        fh = open(path, "rb", buffering=0)
    except FileNotFoundError:
        return {"error": "missing"}
    except OSError as exc:
        return {"error": "unreadable", "reason": exc.strerror or type(exc).__name__}
    with fh:
        try:
            opened = identity(fh.fileno())
            digest = hashlib.sha256()
            view = memoryview(bytearray(max(1, min(block_bytes, opened[2] + 1))))
            while n := fh.readinto(view):
                if stopped is not None and stopped():
                    return None
                digest.update(view[:n])  # hashlib lets the other threads run meanwhile
            return {"sha256": digest.hexdigest(), "opened": opened, "finished": identity(fh.fileno())}
        except OSError as exc:
            return {"error": "unreadable", "reason": exc.strerror or type(exc).__name__}


def main(argv: list[str]) -> int:
    path, block_bytes = argv[1], int(argv[2])
    print(json.dumps(sha256_of(path, block_bytes)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
