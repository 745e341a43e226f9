"""Lambda handlers of the county's cloud pipeline: one thin module per function.

Each handler parses its event, moves files between S3 and a private folder under /tmp, calls one
`blueprint` function, and returns a small JSON dict for Step Functions. Shared plumbing (Powertools,
S3 transfers, the run registry, where a run's files live) is in `common.py`, `registry.py` and
`layout.py`. The control functions (ingest, notify, resume_review) never import pandas.
"""
