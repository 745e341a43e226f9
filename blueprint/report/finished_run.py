"""Reading a finished run directory: its manifest and its evaluated convictions.

The run writes ``manifest.json`` and ``convictions.parquet`` (or ``convictions.csv``) with the columns
documented in ``docs/reference/results.md``. The filings read those columns by name and treat every
value as text: a court filing prints values as recorded, and text avoids surprises such as a count
"01" turning into the number 1 or an unknown date turning into "NaT".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..engine.filing_rules import CONTRACT_COLUMNS, OutcomeMissing, outcomes
from ..engine.policy import DEFAULT_PACK
from ..intake.file_status import FAILED, OK

#: Columns the filings need from the run's conviction table (docs/reference/results.md).
REQUIRED_COLUMNS = (
    "conviction_id",
    "person_id",
    "cii_number",
    "name",
    "other_names",
    "date_of_birth",
    "county",
    "court",
    "case_numbers",
    "case_key",
    "count",
    "conviction_date",
    "code_section",
    "level",
    "determination",
    "relief",
    "relief_label",
    "basis",
    "track",
    "reason",
)


class RunError(ValueError):
    """The run directory is missing a file or a column the filings need."""


@dataclass
class RunData:
    """A run as the filings see it: the manifest and one text row per evaluated conviction."""

    run_dir: Path
    manifest: dict
    convictions: pd.DataFrame

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", ""))

    @property
    def rule_pack(self) -> str:
        return rule_pack_of(self.manifest)

    @property
    def identity(self) -> dict[str, str]:
        """What identifies the run for the review round trip (the workbook's Run sheet)."""
        policy = self.manifest.get("policy") or {}
        return {
            "run_id": str(self.manifest.get("run_id", "")),
            "inputs_sha256": str(self.manifest.get("inputs_sha256", "")),
            "policy_name": str(policy.get("name", "")),
            "policy_sha256": str(policy.get("sha256", "")),
        }


def rule_pack_of(manifest: dict) -> str:
    """The rule pack the run's policy belongs to (a run written before the manifest said so: California's)."""
    policy = manifest.get("policy") or {}
    return str(policy.get("rule_pack") or DEFAULT_PACK)


#: What a finished run's manifest holds (``blueprint.run.outputs.write_outputs``); a manifest without
#: them was not written by a finished ``clearance run`` of this version.
MANIFEST_KEYS = ("run_id", "inputs_sha256", "policy", "inputs", "counts", "output_sha256")
AGAIN = "run `clearance run` again into a new folder"


def read_manifest(run_dir: str | os.PathLike[str]) -> dict:
    """The run folder's manifest, refused (``RunError``, one line) when the folder is not a finished
    run: no folder, no manifest, a damaged or incomplete manifest."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise RunError(f"the run folder {run_dir} does not exist")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} is a file: give the folder `clearance run` wrote")
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        raise RunError(
            f"{run_dir} holds no finished run (no manifest.json): the run did not finish or this is not "
            f"a run folder; {AGAIN}"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise RunError(f"{manifest_path} is damaged (not readable JSON); {AGAIN}") from None
    if not isinstance(manifest, dict):
        raise RunError(f"{manifest_path} is damaged (not a run manifest); {AGAIN}")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise RunError(
            f"{manifest_path} is incomplete (no {', '.join(missing)}): it was not written by a finished "
            f"run of this version of the kit; {AGAIN}"
        )
    return manifest


def failed_inputs(manifest: dict) -> list[dict]:
    """The run's input files that failed (their rows are not in the run).

    A file that repeats an earlier file of the run (status ``repeat``) is not one of them: its rows
    are in the run once, from the earlier file."""
    return [f for f in manifest.get("inputs") or [] if f.get("status", OK) == FAILED]


def _check_belongs(path: Path, manifest: dict, run_dir: Path) -> None:
    """The conviction table must be the one the manifest recorded (not another run's, not edited)."""
    recorded = (manifest.get("output_sha256") or {}).get(path.name)
    if recorded is None:
        return  # a run folder assembled by hand (tests, the cloud's copy of the two files it needs)
    from ..base.staging import sha256_of

    if sha256_of(path) != recorded:
        raise RunError(
            f"{path.name} in {run_dir} does not belong to the run of its manifest.json ({manifest.get('run_id')}): "
            f"it was changed, or the folder mixes the files of two runs; {AGAIN}"
        )


def load_run(run_dir: str | os.PathLike[str]) -> RunData:
    """Read a run directory's manifest and conviction table (all values as stripped text)."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        raise RunError(f"not a run directory (no manifest.json): {run_dir}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    parquet, csv = run_dir / "convictions.parquet", run_dir / "convictions.csv"
    if parquet.is_file():
        _check_belongs(parquet, manifest, run_dir)
        frame = pd.read_parquet(parquet)
    elif csv.is_file():
        _check_belongs(csv, manifest, run_dir)
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_filter=False)
    else:
        raise RunError(f"the run has no convictions.parquet or convictions.csv: {run_dir}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RunError(f"the run's conviction table lacks the columns: {', '.join(missing)}")
    table = parquet if parquet.is_file() else csv
    try:
        return RunData(run_dir, manifest, with_contract_columns(as_text(frame)))
    except OutcomeMissing as exc:
        raise RunError(f"{table}: {exc}") from None


#: Documented result columns the filings print when present (a run folder assembled by hand may lack them).
OPTIONAL_COLUMNS = ("sentence", "flags")


def with_contract_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every column of the run-to-filings contract (``blueprint.engine.filing_rules``).

    A run folder written before a column existed gets it empty, except the typed ``outcome``: a
    table without it, or with a blank or unknown outcome, raises ``OutcomeMissing`` (the outcome is
    never guessed from the determination's words)."""
    for column in (*CONTRACT_COLUMNS, *OPTIONAL_COLUMNS):
        if column not in frame.columns:
            frame[column] = ""
    frame["outcome"] = outcomes(frame)
    return frame


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as stripped text, with missing values as empty strings.

    Dates become ISO ``YYYY-MM-DD``; booleans ``true``/``false``; whole numbers lose any ``.0``.
    """
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            values = column.map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
        elif pd.api.types.is_datetime64_any_dtype(column):
            values = column.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_integer_dtype(column):
            values = column.astype("Int64").astype(str)
        elif pd.api.types.is_float_dtype(column):
            values = column.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
        elif pd.api.types.is_string_dtype(column) and column.dtype != object:
            values = column.fillna("").astype(str)  # already text: no per-value work
        else:
            values = column.map(_text)  # mixed values, e.g. dates read from Parquet
        out[name] = values.fillna("").replace({"<NA>": "", "NaT": "", "nan": ""}).astype(str).str.strip()
    return pd.DataFrame(out, index=range(len(frame)))


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()[:10]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
