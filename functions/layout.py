"""Where a run's files live in the two buckets. One place, so handlers, docs and tests agree.

Upload bucket (the office writes, the pipeline only reads):
    incoming/<file>                       a DOJ file; each new object version starts one run
    incoming/<delivery>/<file> ...        a delivery of several DOJ files (a person may be in several);
    incoming/<delivery>/READY             uploaded last: one run over every file of the folder
    reviews/<run id>/<workbook>.xlsx      the office's reviewed workbook, or
    reviews/<run id>/APPROVE_ALL          "accept every recommendation"

Results bucket:
    runs/<run id>/                        what the office reads (the run folder of docs/reference/results.md)
        STATUS.json                       the run's state; written last at each stage
        review.xlsx, convictions.*, summary.*, data_issues.csv, manifest.json, ...
        review-problems.csv               why an uploaded review was not accepted (if one was not)
        filings/                          the filing set, index.json and SHA256SUMS last
    work/<run id>/                        intermediate files, deleted by lifecycle after 30 days
        split/shard-NNNNN/part-NNNN.parquet, split/split.json, split/read_issues.parquet
        shards.json                       the list the "Evaluate shards" map reads
        evaluated/shard-NNNNN/...         each shard's decisions, outcomes and issues
        filings/                          plan, decided table, rendered documents before assembly
        batches.json                      the list the "Render documents" map reads
"""

from __future__ import annotations

INCOMING = "incoming/"
REVIEWS = "reviews/"
RUNS = "runs/"
WORK = "work/"

STATUS_FILE = "STATUS.json"
MANIFEST_FILE = "manifest.json"
DATA_ISSUES_FILE = "data_issues.csv"
REVIEW_PROBLEMS_FILE = "review-problems.csv"
APPROVE_ALL = "APPROVE_ALL"
READY = "READY"


def delivery_folder(key: str) -> str | None:
    """``incoming/<delivery>/`` for a key inside a delivery folder, None for a file directly in ``incoming/``."""
    if not key.startswith(INCOMING):
        return None
    rest = key[len(INCOMING) :]
    if "/" not in rest:
        return None
    return INCOMING + rest.split("/", 1)[0] + "/"


def run_prefix(run_id: str) -> str:
    return f"{RUNS}{run_id}/"


def work_prefix(run_id: str) -> str:
    return f"{WORK}{run_id}/"


def status_key(run_id: str) -> str:
    return run_prefix(run_id) + STATUS_FILE


def manifest_key(run_id: str) -> str:
    return run_prefix(run_id) + MANIFEST_FILE


def data_issues_key(run_id: str) -> str:
    return run_prefix(run_id) + DATA_ISSUES_FILE


def review_problems_key(run_id: str) -> str:
    return run_prefix(run_id) + REVIEW_PROBLEMS_FILE


def filings_prefix(run_id: str) -> str:
    return run_prefix(run_id) + "filings/"


def split_prefix(run_id: str) -> str:
    return work_prefix(run_id) + "split/"


def evaluated_prefix(run_id: str) -> str:
    return work_prefix(run_id) + "evaluated/"


def shards_list_key(run_id: str) -> str:
    return work_prefix(run_id) + "shards.json"


def work_filings_prefix(run_id: str) -> str:
    return work_prefix(run_id) + "filings/"


def batches_list_key(run_id: str) -> str:
    return work_prefix(run_id) + "batches.json"


def review_run_id(key: str) -> str | None:
    """The run id in ``reviews/<run id>/<file>``; None for anything else (a folder marker, say)."""
    if not key.startswith(REVIEWS):
        return None
    parts = key[len(REVIEWS) :].split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0]


def is_approve_all(key: str) -> bool:
    """``APPROVE_ALL`` (any case, optionally with an extension such as ``.txt``) approves every recommendation."""
    name = key.rsplit("/", 1)[-1]
    return name.split(".", 1)[0].upper() == APPROVE_ALL


def is_workbook(key: str) -> bool:
    return key.lower().endswith(".xlsx")
