"""What became of one input file of a run: the status the manifest, the Run sheet, the filing
summary and the earlier tool's summary all record, and every part of the kit compares against.

- ``OK``: the file was read; its rows are in the run.
- ``FAILED``: the file could not be used (not a DOJ file, empty, unreadable); its rows are not in
  the run, and the file report's ``error`` says why. ``clearance finalize`` refuses a run with
  one unless the office says to file without it.
- ``REPEAT``: the file repeats an earlier file of the run byte for byte (the same SHA-256); its
  rows are in the run once, from that earlier file, and the file report's ``note`` names it. It
  is not a failure: no conviction is missing.

A module of its own, with nothing else in it, so that the command line can compare statuses
without loading the reader (and with it Arrow and numpy).
"""

from __future__ import annotations

OK, FAILED, REPEAT = "ok", "failed", "repeat"

__all__ = ["FAILED", "OK", "REPEAT"]
