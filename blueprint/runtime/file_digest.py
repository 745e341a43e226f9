"""A file's SHA-256, computed on processor time the rest of the run leaves idle.

Every run records each input file's SHA-256: the manifest, the Run sheet and the filings name the
exact extract they came from, and a second file with the same content is used once. Hashing a
large extract is real work (about half a second for 800 MB on the project's 2-core test machine).
Done inside the reading pipeline, it competed for the two cores with Arrow's parse, which is what
bounds the read.

So :class:`FileDigest` hashes the file in a thread of its own, reading it a second time (the
operating system's file cache serves that read: the parser has just read the same bytes), at the
lowest scheduling priority the system offers a thread (on Linux; elsewhere at normal priority).
The thread then runs on time no other thread of the run wants: while Python loads its libraries,
between the read and the evaluation, and while the outputs are written. The result is asked for
only when it is needed (the manifest, or a second file of the same size). A run given many files
hashes :data:`AT_ONCE` of them at a time, each with a buffer no larger than the file, so that
their buffers stay a few megabytes however many files there are.

The value must be the SHA-256 of the bytes the parser read. Both reads take the file's identity
(device, inode, size and modification time) when they open it and again when they finish, and
both compare theirs with the identity the parser saw when it opened the file: a file that was
changed, replaced or extended while the run read it is refused (:class:`FileChanged`) rather than
given a fingerprint that may describe other bytes.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path

from ..base.errors import UsageError

#: Bytes read at a time by the hashing thread (one buffer, reused). Small enough to stay in the
#: processor's cache between the copy from the file cache and the hashing: on the 2-core test
#: machine, 800 MB took 0.55 s of processor time with 1 MB blocks against 0.62 s with 16 MB ones.
BLOCK_BYTES = 1 << 20
#: The niceness of the hashing thread: the lowest priority (Linux: 19).
LOWEST_PRIORITY = 19
#: Files hashed at the same time: a run given many files (``--input doj/*.dat``) hashes them a few
#: at a time, so that their buffers never add up to more than this many blocks.
AT_ONCE = 2
_SLOTS = threading.BoundedSemaphore(AT_ONCE)

Identity = tuple[int, int, int, int]


#: Why a file is refused when it changed between the parser's read and the hashing thread's.
CHANGED = (
    "the file changed while it was being read (its size or modification time differs); "
    "run again once nothing is writing to it"
)


class FileChanged(UsageError):
    """The file's fingerprint cannot be given: it is not the version the run read (changed,
    replaced or extended meanwhile), or the second read failed. Nothing has been written then:
    the run asks for the fingerprint before it writes its outputs. The message names the file only."""

    def __init__(self, file: str, reason: str = CHANGED):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def file_identity(fh) -> Identity:
    """What tells one version of an open file from another: device, inode, size, modification time."""
    st = os.fstat(fh.fileno())
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def lower_this_thread() -> bool:
    """Give the calling thread, and only it, the lowest scheduling priority; True if that was done.

    Linux schedules each thread on its own, and ``setpriority`` given a thread's id changes that
    thread alone. Elsewhere the same call would name a process, so nothing is changed there.
    """
    if not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        return True
    except (OSError, AttributeError):
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, tid, LOWEST_PRIORITY)
    except OSError:  # a restricted sandbox: hashing at normal priority is still correct
        return False
    return True


#: Digests started by :func:`start_early`, waiting for the read that will use them, by resolved path.
_EARLY: dict[Path, FileDigest] = {}


def start_early(paths) -> None:
    """Start hashing the given files now, before the run that reads them has loaded its libraries.

    The ``clearance run`` command calls this first of all: loading Arrow, pandas and the engine
    takes a few tenths of a second on one core, and the hashing threads use the other meanwhile.
    A path that cannot be opened is left to the reader, which reports it.
    """
    for path in map(Path, paths):
        key = path.resolve()
        if key in _EARLY:
            continue
        try:
            with open(path, "rb") as fh:
                identity = file_identity(fh)
        except OSError:
            continue
        _EARLY[key] = FileDigest(path, identity)


def digest_for(path: Path, identity: Identity, name: str) -> FileDigest:
    """The digest of the file the caller has open with ``identity``: one started early if it read
    that same version (:func:`start_early`), else a new one."""
    early = _EARLY.pop(Path(path).resolve(), None)
    if early is not None:
        if early.identity == identity:
            early.name = name
            return early
        early.cancel()
    return FileDigest(path, identity, name=name)


def cancel_early() -> None:
    """Stop the early digests no read took (a file the policy's own reader reads, or a run that stopped)."""
    while _EARLY:
        _EARLY.popitem()[1].cancel()


class FileDigest:
    """The SHA-256 of ``path``, computed in a background thread started at once.

    ``identity`` is what :func:`file_identity` gave when the caller opened the file to read it;
    :meth:`hexdigest` raises :class:`FileChanged` if the file this thread read was another version.
    """

    def __init__(self, path: Path | str, identity: Identity, *, name: str | None = None):
        self._path = Path(path)
        #: The file's name as messages give it.
        self.name = name or self._path.name
        #: The version of the file this digest is of (see :func:`file_identity`).
        self.identity = identity
        self._stop = threading.Event()
        self._hex: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="file-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        lower_this_thread()
        while not _SLOTS.acquire(timeout=0.1):
            if self._stop.is_set():
                return
        try:
            self._hash()
        finally:
            _SLOTS.release()

    def _hash(self) -> None:
        try:
            digest = hashlib.sha256()
            # A small file needs no more than its own size (plus one byte, to see its end).
            view = memoryview(bytearray(max(1, min(BLOCK_BYTES, self.identity[2] + 1))))
            with open(self._path, "rb", buffering=0) as fh:
                if file_identity(fh) != self.identity:
                    raise FileChanged(self.name)
                while not self._stop.is_set():
                    n = fh.readinto(view)
                    if not n:
                        break
                    digest.update(view[:n])  # hashlib lets the other threads run meanwhile
                if self._stop.is_set():
                    return
                if file_identity(fh) != self.identity:
                    raise FileChanged(self.name)
            self._hex = digest.hexdigest()
        except FileChanged as exc:
            self._error = exc
        except FileNotFoundError:  # moved or deleted after the parser opened it
            self._error = FileChanged(self.name)
        except OSError as exc:  # a read failed after the parser had read the same bytes
            reason = f"could not be read a second time for its SHA-256 ({exc.strerror or type(exc).__name__})"
            self._error = FileChanged(self.name, reason)

    def hexdigest(self) -> str:
        """The SHA-256 (hex), waiting for the thread if it is still reading."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._hex is None:
            raise RuntimeError("the digest was cancelled")
        return self._hex

    def cancel(self) -> None:
        """Stop hashing (the file failed, or the run stopped): the thread ends at its next block."""
        self._stop.set()


__all__ = [
    "AT_ONCE",
    "BLOCK_BYTES",
    "CHANGED",
    "FileChanged",
    "FileDigest",
    "cancel_early",
    "digest_for",
    "file_identity",
    "lower_this_thread",
    "start_early",
]
