"""From a run and the office's review to the complete filing set, in three steps.

1. ``plan_document_batches``: read the office's decisions (a reviewed workbook, or "approve all"),
   check them against the run, and write the decided table, the office profile and a plan into the
   output folder. Returns the batches of work.
2. ``render_document_batch``: render one batch. The "bulk" batch makes the notice of non-challenge,
   Attachment A (PDF, DOCX, CSV, XLSX), the proposed order, the public defender's list and the court
   and DOJ exports; the other batches make per-person notices of challenge and per-case orders, a
   slice at a time.
3. ``assemble_filings``: check every expected file is there, write the filing summary and the index
   of every file with its SHA-256.

``finalize`` runs the three steps in one process (the CLI). The cloud pipeline runs step 2's batches
in parallel (Step Functions Distributed Map) on the same local-folder contract: each task needs only
the output folder that step 1 wrote. Nothing here knows about AWS.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..review import reader as review_module
from ..review.layout import RELIEF_LABELS, Decision, pack_person_id_label, pack_relief_labels
from ..documents import render_document, render_docx, render_pdf
from ..documents.templates import TEMPLATES_ENV_VAR
from . import exports
from ..engine import filing_rules
from ..engine.pack_spec import pack_templates, pack_texts
from .decided import challenged, decided_table, filed_earlier, granted, granted_juvenile, out_of_scope, pending
from ..base.progress import SILENT, Phases
from ..base.staging import Earlier, merge_into, sha256_of, staged_folder
from .profile import PROFILE_ENV_VAR, OfficeProfile, ProfileError, load_profile
from ..engine.policy import DEFAULT_PACK, pack_reliefs
from ..report.finished_run import failed_inputs, load_run, read_manifest
from .supplement import EarlierSet, SupplementError, read_earlier_set

PLAN_FILE = "plan.json"
DECIDED_FILE = "decisions.parquet"
PROFILE_COPY = "office-profile.yaml"
PLAN_MARKER = "clearance-kit filing plan"
#: The files step 1 writes and every batch reads: a parallel runner copies these into each task's
#: local output folder before calling ``render_document_batch`` (and collects what it wrote after).
WORK_FILES = (PLAN_FILE, DECIDED_FILE, PROFILE_COPY)
DEFAULT_BATCH_SIZE = 250

# File names of the bulk set (stable: the docs and the cloud pipeline refer to them).
NOTICE = "01-notice-of-non-challenge"
ATTACHMENT_A = "02-attachment-a"
#: With the office profile's ``attachment_a.lodge_under_seal``: the version filed in the public file,
#: without dates of birth and CII numbers (the full one is lodged conditionally under seal).
ATTACHMENT_A_PUBLIC = "02-attachment-a-public"
ORDER = "03-proposed-order"
PD_LIST = "04-public-defender-list"
#: Convictions of offenses committed under 18: their own notice and list, for the juvenile court.
JUVENILE_NOTICE = "05-juvenile-notice-of-non-challenge"
JUVENILE_LIST_CSV = "05-juvenile-list.csv"
CHALLENGES_DIR = "challenges"
CASE_ORDERS_DIR = "case-orders"
EXPORTS_DIR = "exports"
CMS_FILE = f"{EXPORTS_DIR}/court-cms-update.csv"
DOJ_FILE = f"{EXPORTS_DIR}/doj-disposition-update.csv"
PENDING_FILE = "pending-hand-review.csv"
OUT_OF_SCOPE_FILE = "out-of-scope.csv"
SUMMARY = "filing-summary"
INDEX_JSON = "index.json"
SHA256SUMS = "SHA256SUMS"


class FilingError(RuntimeError):
    """The filing set cannot be produced (bad arguments, or a batch's files are missing)."""


@dataclass
class FilingResult:
    """What ``finalize`` / ``assemble_filings`` produced."""

    out_dir: Path
    files: list[dict[str, Any]]  # {"path", "bytes", "sha256"}, relative to out_dir
    counts: dict[str, int]
    summary_path: Path
    index_path: Path
    overrides: list[str] = field(default_factory=list)  # conviction IDs
    seconds: dict[str, float] = field(default_factory=dict)
    #: Files in the output folder the office had changed, kept under a new name: (file, new name).
    kept: list[tuple[str, str]] = field(default_factory=list)
    #: For a supplemental set: what it continues (``blueprint.filings.supplement.EarlierSet.as_dict``).
    supplement: dict | None = None

    def as_dict(self) -> dict[str, Any]:
        """A small JSON-able report (IDs and counts only) for the CLI and the state machine."""
        return {
            "out_dir": str(self.out_dir),
            "counts": self.counts,
            "overrides": self.overrides,
            "files": len(self.files),
            "bytes": sum(f["bytes"] for f in self.files),
            "summary": str(self.summary_path),
            "index": str(self.index_path),
            "seconds": self.seconds,
            "kept": [{"file": old, "kept_as": new} for old, new in self.kept],
            "supplement": self.supplement,
        }


# ---------------------------------------------------------------------------------------------
# Step 1: plan


def plan_document_batches(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    review: str | os.PathLike[str] | None = None,
    approve_all: bool = False,
    profile: str | os.PathLike[str] | None = None,
    per_case: bool = False,
    filing_date: dt.date | str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    supplement_to: str | os.PathLike[str] | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Check the office's decisions against the run and plan the filing work.

    Exactly one of ``review`` (the reviewed workbook) and ``approve_all`` must be given. Raises
    ``blueprint.review.reader.ReviewRejected`` when the workbook is not acceptable, ``ProfileError`` for a
    missing or incomplete office profile. Writes ``decisions.parquet``, ``office-profile.yaml`` and
    ``plan.json`` into ``out_dir`` and returns the batches (small JSON-able dicts).

    ``supplement_to`` names an earlier filing set: only the convictions it did not file are filed,
    numbered on from its last item (``blueprint.filings.supplement``). ``filing_date`` (a date, or
    text such as ``2027-01-05`` or ``January 5, 2027``) is printed by the signatures; left empty,
    the documents are dated by hand when signed, which is on or after ``today`` (the day the set is
    made; a parameter for tests): that day decides what the filing may ask, such as release from
    HS 11590 registration (``blueprint.engine.filing_rules.hs11590_release_applies``).
    """
    if bool(review) == bool(approve_all):
        raise FilingError("give either a reviewed workbook or approve_all=True (exactly one)")
    chosen = profile or os.environ.get(PROFILE_ENV_VAR, "")
    if not chosen:
        raise ProfileError(
            f"no office profile: pass one (see templates/office-profile.example.yaml) or set {PROFILE_ENV_VAR}"
        )
    profile_path = Path(chosen)
    office = load_profile(profile_path)
    run = load_run(run_dir)
    run_county = str(run.manifest.get("county", "")).strip()
    if run_county and run_county.casefold() != office.county.strip().casefold():
        raise ProfileError(f"the office profile is for county '{office.county}' but the run is for '{run_county}'")
    earlier = _earlier_set(supplement_to, out_dir, run_county or office.county)
    filing_day, filing_text = _filing_day(filing_date, today)
    result = review_module.read_review(review, run) if review else review_module.approve_all(run)

    out = Path(out_dir)
    decided = decided_table(run, result, earlier=earlier)
    if earlier is not None and not (
        len(granted(decided)) or len(granted_juvenile(decided)) or len(challenged(decided))
    ):
        raise FilingError(
            f"nothing to file since the earlier filing set {Path(supplement_to).name}: every conviction "  # type: ignore[arg-type]  # earlier comes from supplement_to
            f"decided in this review was filed there ({len(filed_earlier(decided)):,} skipped); the others "
            "are pending hand review or out of scope"
        )
    _prepare_out_dir(out)
    # The pack's own bases name its process statute after them (California's HS 11361.9); another basis stands alone.
    bases = pack_texts(run.rule_pack).filing_bases
    decided["filed_basis_full"] = [filing_rules.basis_with_process(b, bases) for b in decided["filed_basis"]]
    decided.to_parquet(out / DECIDED_FILE, index=False)
    shutil.copyfile(profile_path, out / PROFILE_COPY)

    people = _challenge_notices(decided)
    cases = _granted_cases(decided) if per_case else []
    batches: list[dict[str, Any]] = [{"kind": "bulk", "id": "bulk"}]
    for start in range(0, len(people), batch_size):
        stop = min(start + batch_size, len(people))
        batches.append({"kind": "challenge_notices", "id": f"challenges-{start}", "start": start, "stop": stop})
    for start in range(0, len(cases), batch_size):
        stop = min(start + batch_size, len(cases))
        batches.append({"kind": "case_orders", "id": f"case-orders-{start}", "start": start, "stop": stop})

    plan = {
        "marker": PLAN_MARKER,
        "run": _run_context(run.manifest, office),
        "inputs": _inputs(run.manifest),
        "run_dir": str(Path(run_dir)),
        # The batches are rendered where the run folder may not be (a cloud step reads only this
        # output folder), so the rule pack whose words they print travels in the plan.
        "rule_pack": run.rule_pack,
        "review": {
            "source": result.source,
            "sha256": result.workbook_sha256,
            "file": Path(review).name if review else "",
        },
        "filing_date": filing_text,
        # What the filing may ask is decided by the day it is made: the filing date, or, when the documents
        # are dated by hand at signing, the day the set is made (it cannot be signed earlier). That day is
        # not recorded, so that the same review gives the same files on another day.
        "filing_day": filing_day.isoformat() if filing_text else "",
        "hs11590_release": filing_rules.hs11590_release_applies(filing_day),
        "under_seal": office.attachment_a.lodge_under_seal,
        "supplement": earlier.as_dict() if earlier is not None else None,
        "per_case": per_case,
        "batches": batches,
        "challenged_people": int(challenged(decided)["person_id"].nunique()),
        "challenge_notices": len(people),
        "cases": len(cases),
    }
    (out / PLAN_FILE).write_text(json.dumps(plan, indent=2), encoding="utf-8")
    return batches


def _filing_day(filing_date: dt.date | str | None, today: dt.date | None) -> tuple[dt.date, str]:
    """The day the filing is made and the date printed by the signatures ('' when dated by hand)."""
    if isinstance(filing_date, dt.datetime):
        filing_date = filing_date.date()
    if isinstance(filing_date, str) and filing_date.strip():
        text = filing_date.strip()
        for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%B %d, %Y").date()):
            try:
                filing_date = parse(text)
                break
            except ValueError:
                continue
        else:
            raise FilingError(f"the filing date '{text}' is not a date: write it as YYYY-MM-DD")
    if isinstance(filing_date, dt.date):
        return filing_date, f"{filing_date:%B} {filing_date.day}, {filing_date.year}"
    return today or dt.date.today(), ""


def _earlier_set(supplement_to, out_dir, county: str) -> EarlierSet | None:
    """The earlier filing set a supplement continues (None without ``supplement_to``)."""
    if not supplement_to:
        return None
    try:
        earlier = read_earlier_set(supplement_to)
    except SupplementError as exc:
        raise FilingError(str(exc)) from None
    if Path(supplement_to).resolve() == Path(out_dir).resolve():
        raise FilingError(
            "--supplement-to and --out name the same folder: write the supplemental set into a new folder, "
            "beside the earlier one (its files are the record of what was filed)"
        )
    if earlier.county and county and earlier.county.casefold() != county.strip().casefold():
        raise FilingError(
            f"--supplement-to {supplement_to}: that filing set is for county '{earlier.county}', this run "
            f"for '{county}'"
        )
    return earlier


def _prepare_out_dir(out: Path) -> None:
    """Create the (work) output folder, which must be new or empty: nothing in it is ever deleted.

    ``finalize`` plans into a fresh temporary folder and merges the finished set into the office's
    folder (:func:`earlier_filing_set`); the cloud plans into a fresh folder of its own."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FilingError(f"the output folder {out} is not empty: choose a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)


def earlier_filing_set(out: Path) -> Earlier | None:
    """What an earlier ``finalize`` wrote into ``out`` (its ``index.json``), which a new filing set may
    replace; None for a new or empty folder. A folder with other content and no index is refused.

    Only the files the index lists, unchanged since (same size and SHA-256), are replaced or removed;
    a listed file the office changed (a signed or edited document) is kept under a new name if a new
    file takes its place, and left alone otherwise; a file the office added (a signed scan, a proof of
    service) is never touched."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FilingError(f"--out {out} is a file, not a folder: give a folder for the filings")
    if not out.exists() or not any(out.iterdir()):
        return None
    try:
        index = json.loads((out / INDEX_JSON).read_text(encoding="utf-8"))
        files = {str(f["path"]): str(f["sha256"]) for f in index["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise FilingError(
            f"--out {out} is not empty and holds no finished filing set (no readable {INDEX_JSON}): "
            "choose a new or empty folder for the filings"
        ) from None
    files[INDEX_JSON] = files[SHA256SUMS] = ""  # both written from the index itself
    return Earlier(files, label=str(index.get("run_id") or "earlier"))


def _sizes(out: Path) -> dict[str, int]:
    try:
        return {
            str(f["path"]): int(f["bytes"]) for f in json.loads((out / INDEX_JSON).read_text(encoding="utf-8"))["files"]
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _run_context(manifest: dict, office: OfficeProfile) -> dict[str, str]:
    policy = manifest.get("policy") or {}
    county = str(manifest.get("county") or office.county)
    return {
        "run_id": str(manifest.get("run_id", "")),
        "county": county,
        "county_name": county.strip().title(),
        "evaluation_date": str(manifest.get("evaluation_date", "")),
        "policy_name": str(policy.get("name", "")),
        "policy_sha256": str(policy.get("sha256", "")),
        "inputs_sha256": str(manifest.get("inputs_sha256", "")),
        "software_version": str(manifest.get("software_version", "")),
    }


def _inputs(manifest: dict) -> list[dict[str, Any]]:
    """Every input file of the run with its status (the filing summary names each one): why a failed
    file failed, and which earlier file a repeated one repeats."""
    keys = ("file", "status", "rows_read", "rows_used", "rows_skipped", "error", "note")
    return [
        {k: f.get(k, "" if k in ("file", "status", "error", "note") else 0) for k in keys}
        for f in manifest.get("inputs") or []
    ]


def _challenge_notices(decided: pd.DataFrame) -> list[str]:
    """One notice of challenge per person and court: ``<person id>``, or ``<person id>-juvenile`` for
    the convictions of offenses committed under 18 (filed in the juvenile court)."""
    return sorted(set(challenged(decided)["notice_key"]))


def _granted_cases(decided: pd.DataFrame) -> list[str]:
    return sorted(set(granted(decided)["case_key"]))


# ---------------------------------------------------------------------------------------------
# Step 2: render batches


@dataclass
class _Work:
    """Everything a batch needs, read back from the output folder."""

    out: Path
    plan: dict
    profile: OfficeProfile
    decided: pd.DataFrame
    templates: str | None
    _totals: dict | None = None

    @property
    def rule_pack(self) -> str:
        """The run's rule pack, as the plan carries it (the run folder may not be at hand)."""
        return _plan_rule_pack(self.plan)

    @property
    def totals(self) -> dict[str, Any]:
        if self._totals is None:
            self._totals = totals(self.decided, tuple(pack_relief_labels(self.rule_pack)))
        return self._totals

    def context(self, **extra) -> dict[str, Any]:
        """What every template receives (docs/filings.md, "Changing the wording")."""
        base = {
            "profile": self.profile,
            "run": self.plan["run"],
            "filing_date": self.plan["filing_date"],
            "totals": self.totals,
            # Release from HS 11590 registration is asked only in a filing made before its repeal.
            "hs11590_release": bool(self.plan.get("hs11590_release", False)),
            "supplement": self.plan.get("supplement"),
            "under_seal": bool(self.plan.get("under_seal", False)),
            "sealed": False,
            "public": False,
            # What the rule pack calls the person's state identification number (California's "CII").
            "person_id_label": pack_person_id_label(self.rule_pack),
        }
        base.update(extra)
        return base


def _load_work(out_dir: str | os.PathLike[str], templates: str | os.PathLike[str] | None) -> _Work:
    out = Path(out_dir)
    try:
        plan = json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FilingError(f"no filing plan in {out}: run plan_document_batches first") from None
    decided = pd.read_parquet(out / DECIDED_FILE)
    templates_used = _templates_for(_plan_rule_pack(plan), templates)
    return _Work(out, plan, load_profile(out / PROFILE_COPY), decided, templates_used)


def _plan_rule_pack(plan: dict) -> str:
    """The run's rule pack as the filing plan names it (a plan from before it did: California's)."""
    return plan.get("rule_pack") or DEFAULT_PACK


def _templates_for(rule_pack: str, templates: str | os.PathLike[str] | None) -> str | None:
    """The filing templates a run's documents are rendered from: the folder the caller names, else
    ``$CLEARANCE_TEMPLATES`` (an office's own copy), else the run's rule pack's own set (``templates``
    in its pack.yaml: Illinois's documents cite Illinois law), else the kit's (None)."""
    if templates:
        return str(templates)
    if os.environ.get(TEMPLATES_ENV_VAR):
        return os.environ[TEMPLATES_ENV_VAR]
    own = pack_templates(rule_pack)
    return str(own) if own is not None else None


def render_document_batch(
    out_dir: str | os.PathLike[str],
    batch: dict[str, Any],
    *,
    templates: str | os.PathLike[str] | None = None,
    advance: Callable[[int], None] | None = None,
) -> list[str]:
    """Render one planned batch into ``out_dir``; return the relative paths written.

    ``advance``, if given, is called once per notice of challenge or per-case order written."""
    work = _load_work(out_dir, templates)
    kind = batch.get("kind")
    if kind == "bulk":
        return _render_bulk(work)
    if kind == "challenge_notices":
        notices = _challenge_notices(work.decided)[batch["start"] : batch["stop"]]
        return _render_challenge_notices(work, notices, advance)
    if kind == "case_orders":
        cases = _granted_cases(work.decided)[batch["start"] : batch["stop"]]
        return _render_case_orders(work, cases, advance)
    raise FilingError(f"unknown batch kind: {kind!r}")


def _by_relief(rows: pd.DataFrame, order: Sequence[str] = tuple(RELIEF_LABELS)) -> list[dict[str, Any]]:
    """The granted convictions by relief and basis, the reliefs in the rule pack's ``order``."""
    by_relief = []
    if len(rows):
        grouped = rows.groupby(["filed_relief", "filed_relief_label", "filed_basis"], sort=True).size()
        for (code, label, basis), n in grouped.items():
            by_relief.append({"code": code, "label": label, "basis": basis, "convictions": int(n)})
        order = list(order)
        by_relief.sort(key=lambda r: (order.index(r["code"]) if r["code"] in order else 99, r["basis"]))
    return by_relief


def totals(decided: pd.DataFrame, reliefs: Sequence[str] = tuple(RELIEF_LABELS)) -> dict[str, Any]:
    """The counts every document quotes (computed from the decided table, never typed).

    ``reliefs`` are the codes of the run's rule pack's relief kinds, in its order (``reliefs`` in its
    ``pack.yaml``): ``relief`` counts each, ``by_relief`` lists them in that order.

    ``granted_*`` is Attachment A (adult track), ``juvenile_*`` the juvenile list; both, and the
    challenges, count only what this filing files (a supplement skips ``earlier_filed_convictions``).
    ``out_of_scope_convictions`` are those listed as out of scope (the statute does not reach them),
    ``not_eligible_convictions`` those the rules found not eligible, whatever the office decided;
    ``overridden_convictions`` the ones the office asks relief for against the rules' finding."""
    g = granted(decided)
    j = granted_juvenile(decided)
    c = challenged(decided)
    outcome = filing_rules.outcomes(decided)
    recall = g[g["filed_relief"] == "recall_and_resentence"]
    return {
        "evaluated_convictions": len(decided),
        "granted_convictions": len(g),
        "granted_people": int(g["person_id"].nunique()),
        "juvenile_convictions": len(j),
        "juvenile_people": int(j["person_id"].nunique()),
        "challenged_convictions": len(c),
        "challenged_people": int(c["person_id"].nunique()),
        "pending_convictions": len(pending(decided)),
        "out_of_scope_convictions": len(out_of_scope(decided)),
        "not_eligible_convictions": int((pd.Series(outcome, index=decided.index) == filing_rules.NOT_ELIGIBLE).sum()),
        "overridden_convictions": int((decided["override"] == "Y").sum()) if "override" in decided else 0,
        "earlier_filed_convictions": len(filed_earlier(decided)),
        "recall_convictions": len(recall),
        "no_case_number_convictions": int((g["case_numbers"] == "").sum()),
        "no_valid_dob_convictions": int((g["date_of_birth"] == "").sum()),
        "first_item": int(g["item"].astype(int).min()) if len(g) else 0,
        "last_item": int(g["item"].astype(int).max()) if len(g) else 0,
        "relief": {code: int((g["filed_relief"] == code).sum()) for code in reliefs},
        "by_relief": _by_relief(g, reliefs),
        "juvenile_by_relief": _by_relief(j, reliefs),
    }


def _write_document(work: _Work, template: str, context: dict, base: str, tables=None) -> tuple[list[str], int]:
    """Render a template to ``base``.pdf and ``base``.docx; return the paths and the PDF's page count."""
    doc = render_document(template, context, work.templates)
    pdf, docx = work.out / f"{base}.pdf", work.out / f"{base}.docx"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pages = render_pdf(doc, pdf, tables)
    render_docx(doc, docx, tables)
    return [f"{base}.pdf", f"{base}.docx"], pages


def _render_bulk(work: _Work) -> list[str]:
    decided = work.decided
    reliefs = pack_reliefs(work.rule_pack)
    g = exports.with_export_columns(
        granted(decided), reliefs=reliefs, hs11590_release=work.context()["hs11590_release"]
    )
    written: list[str] = []
    tables = {"attachment_a": g, "challenges": challenged(decided)}
    sealed = work.context()["under_seal"]

    paths, attachment_pages = _write_document(
        work, "filings/attachment-a.xml.j2", work.context(sealed=sealed), ATTACHMENT_A, tables
    )
    written += paths
    # Under seal, also the public version: no dates of birth, no state identification numbers (Cal. Rules
    # of Court, rule 2.551).
    if sealed:
        written += _write_document(
            work, "filings/attachment-a.xml.j2", work.context(public=True), ATTACHMENT_A_PUBLIC, tables
        )[0]
    csv_columns = tuple((name, source) for name, _, source in exports.ATTACHMENT_A_COLUMNS)
    exports.write_csv(g, csv_columns, work.out / f"{ATTACHMENT_A}.csv")
    person_id_label = work.context()["person_id_label"]
    exports.write_xlsx(
        g, exports.attachment_a_columns(person_id_label), work.out / f"{ATTACHMENT_A}.xlsx", "Attachment A"
    )
    written += [f"{ATTACHMENT_A}.csv", f"{ATTACHMENT_A}.xlsx"]

    attachment = {"pages": attachment_pages}
    written += _write_document(
        work, "filings/notice-of-non-challenge.xml.j2", work.context(attachment=attachment), NOTICE
    )[0]
    resentencing = g[g["filed_relief"] == "recall_and_resentence"].to_dict("records")
    written += _write_document(
        work, "filings/proposed-order.xml.j2", work.context(attachment=attachment, resentencing=resentencing), ORDER
    )[0]
    c = challenged(decided)
    if len(c):
        written += _write_document(work, "filings/public-defender-list.xml.j2", work.context(), PD_LIST, tables)[0]
        exports.write_csv(c, exports.CHALLENGE_COLUMNS, work.out / f"{PD_LIST}.csv")
        written.append(f"{PD_LIST}.csv")
    j = granted_juvenile(decided)
    if len(j):
        written += _write_document(
            work,
            "filings/juvenile-notice.xml.j2",
            work.context(),
            JUVENILE_NOTICE,
            {"juvenile": _juvenile_rows(j, person_id_label)},
        )[0]
        exports.write_csv(j, csv_columns, work.out / JUVENILE_LIST_CSV)
        written.append(JUVENILE_LIST_CSV)

    exports.write_csv(g, exports.CMS_COLUMNS, work.out / CMS_FILE)
    exports.write_csv(g, exports.DOJ_COLUMNS, work.out / DOJ_FILE)
    written += [CMS_FILE, DOJ_FILE]
    p = pending(decided)
    exports.write_csv(
        p,
        (("conviction_id", "conviction_id"), ("person_id", "person_id"), ("workbook_row", "review_row")),
        work.out / PENDING_FILE,
    )
    written.append(PENDING_FILE)
    o = out_of_scope(decided)
    exports.write_csv(o, exports.OUT_OF_SCOPE_COLUMNS, work.out / OUT_OF_SCOPE_FILE)
    written.append(OUT_OF_SCOPE_FILE)
    return written


def _juvenile_rows(rows: pd.DataFrame, person_id_label: str) -> dict[str, list[str]]:
    """The juvenile list's columns, composed so that it fits a portrait pleading page; the person's state
    identification number is labelled ``person_id_label`` (the rule pack's)."""

    def joined(*parts: str) -> str:
        return "; ".join(p for p in parts if p)

    return {
        "item": rows["item"].tolist(),
        "where": [
            joined(court, case or "no case number in the record", f"count {count}" if count else "")
            for court, case, count in zip(rows["court"], rows["case_numbers"], rows["count"])
        ],
        "who": [
            joined(
                name,
                f"born {dob}" if dob else "date of birth not a valid date in the record",
                f"{person_id_label} {cii}" if cii else "",
            )
            for name, dob, cii in zip(rows["name"], rows["date_of_birth"], rows["cii_number"])
        ],
        "conviction": [
            joined(date, section, level)
            for date, section, level in zip(rows["conviction_date"], rows["code_section"], rows["level"])
        ],
        "filed_relief_label": rows["filed_relief_label"].tolist(),
        "filed_basis": rows["filed_basis"].tolist(),
    }


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(identifier: str) -> str:
    """An ID made safe as part of a file name (IDs only: names never appear in file names)."""
    return _UNSAFE.sub("-", identifier).strip("-") or "unknown"


def challenge_notice_base(notice_key: str) -> str:
    return f"{CHALLENGES_DIR}/notice-of-challenge-{safe_name(notice_key)}"


def case_order_base(case_key: str) -> str:
    return f"{CASE_ORDERS_DIR}/order-{safe_name(case_key)}"


def _unique_join(values) -> str:
    seen: list[str] = []
    for value in values:
        for part in str(value).split("; "):
            if part and part not in seen:
                seen.append(part)
    return "; ".join(seen)


def _group_records(rows: pd.DataFrame, key: str) -> list[tuple[str, list[dict]]]:
    """Rows as plain dicts grouped by ``key`` (sorted), keeping the table's order within a group.

    Converting once and grouping in Python is much cheaper than a pandas group per document."""
    groups: dict[str, list[dict]] = {}
    for record in rows.to_dict("records"):
        groups.setdefault(record[key], []).append(record)
    return sorted(groups.items())


def _render_grouped(
    work: _Work,
    rows: pd.DataFrame,
    key: str,
    wanted: list[str],
    template: str,
    subject: str,
    header,
    base_name,
    advance: Callable[[int], None] | None = None,
) -> list[str]:
    """One document per value of ``key`` among ``wanted``: its rows as ``convictions``, and the
    document's subject (``header(value, records)``) under the name ``subject``."""
    rows = rows[rows[key].isin(set(wanted))]
    written: list[str] = []
    base_context = work.context()
    for value, records in _group_records(rows, key):
        context = dict(base_context, **{subject: header(value, records)}, convictions=records)
        written += _write_document(work, template, context, base_name(value))[0]
        if advance is not None:
            advance(1)
    return written


def _render_challenge_notices(
    work: _Work, notices: list[str], advance: Callable[[int], None] | None = None
) -> list[str]:
    def person(notice_key: str, records: list[dict]) -> dict:
        first = records[0]
        return {
            "person_id": first["person_id"],
            "notice_key": notice_key,
            "juvenile": filing_rules.is_juvenile(first["track"]),
            "name": first["name"],
            "other_names": _unique_join(r["other_names"] for r in records),
            "date_of_birth": first["date_of_birth"],
            "cii_number": first["cii_number"],
            "case_numbers": _unique_join(r["case_numbers"] for r in records) or "not recorded",
        }

    return _render_grouped(
        work,
        challenged(work.decided),
        "notice_key",
        notices,
        "filings/notice-of-challenge.xml.j2",
        "person",
        person,
        challenge_notice_base,
        advance,
    )


def _render_case_orders(work: _Work, cases: list[str], advance: Callable[[int], None] | None = None) -> list[str]:
    def case(case_key: str, records: list[dict]) -> dict:
        first = records[0]
        return {
            "case_key": case_key,
            "court": first["court"],
            "case_numbers": _unique_join(r["case_numbers"] for r in records) or "not recorded",
            "name": first["name"],
            "other_names": first["other_names"],
            "date_of_birth": first["date_of_birth"],
            "cii_number": first["cii_number"],
        }

    return _render_grouped(
        work,
        granted(work.decided),
        "case_key",
        cases,
        "filings/order-after-petition.xml.j2",
        "case",
        case,
        case_order_base,
        advance,
    )


# ---------------------------------------------------------------------------------------------
# Step 3: assemble


def expected_files(plan: dict, decided: pd.DataFrame) -> list[str]:
    """Every file the planned batches must have written (names are deterministic)."""
    files = [f"{ATTACHMENT_A}.{ext}" for ext in ("pdf", "docx", "csv", "xlsx")]
    if plan.get("under_seal"):
        files += [f"{ATTACHMENT_A_PUBLIC}.pdf", f"{ATTACHMENT_A_PUBLIC}.docx"]
    files += [
        f"{NOTICE}.pdf",
        f"{NOTICE}.docx",
        f"{ORDER}.pdf",
        f"{ORDER}.docx",
        CMS_FILE,
        DOJ_FILE,
        PENDING_FILE,
        OUT_OF_SCOPE_FILE,
    ]
    notices = _challenge_notices(decided)
    if notices:
        files += [f"{PD_LIST}.{ext}" for ext in ("pdf", "docx", "csv")]
    for key in notices:
        files += [f"{challenge_notice_base(key)}.{ext}" for ext in ("pdf", "docx")]
    if len(granted_juvenile(decided)):
        files += [f"{JUVENILE_NOTICE}.pdf", f"{JUVENILE_NOTICE}.docx", JUVENILE_LIST_CSV]
    if plan.get("per_case"):
        for case_key in _granted_cases(decided):
            files += [f"{case_order_base(case_key)}.{ext}" for ext in ("pdf", "docx")]
    return files


def assemble_filings(
    out_dir: str | os.PathLike[str], *, templates: str | os.PathLike[str] | None = None
) -> FilingResult:
    """Check the batches' output, then write the filing summary and the index with SHA-256s."""
    work = _load_work(out_dir, templates)
    missing = [f for f in expected_files(work.plan, work.decided) if not (work.out / f).is_file()]
    if missing:
        raise FilingError(
            f"{len(missing)} expected file(s) are missing, first: {missing[0]}; re-run the failed batches"
        )
    decided = work.decided
    t = work.totals
    new = decided[decided["filed_earlier"] == ""] if "filed_earlier" in decided.columns else decided
    overrides = new[new["override"] == "Y"]
    listed = out_of_scope(decided)
    summary = {
        "review_source": "reviewed workbook " + work.plan["review"]["file"]
        if work.plan["review"]["source"] == "workbook"
        else "approve all (every recommendation accepted)",
        "review_sha256": work.plan["review"]["sha256"],
        "by_decision": _by_decision(new),
        "total_convictions": len(decided),
        "total_people": int(decided["person_id"].nunique()),
        "overrides": overrides[["conviction_id", "item", "review_row", "filed_relief_label", "determination"]].to_dict(
            "records"
        ),
        "pending_convictions": t["pending_convictions"],
        "out_of_scope": listed[["conviction_id", "review_row", "reason"]].to_dict("records"),
        "earlier_filed_convictions": t["earlier_filed_convictions"],
        "filing_day": work.plan.get("filing_day", ""),
        "inputs": work.plan.get("inputs") or [],
        "failed_inputs": failed_inputs(work.plan),  # the plan carries the manifest's inputs
    }
    files_before = _file_groups(work.out)
    _write_document(work, "filings/filing-summary.xml.j2", work.context(summary=summary, files=files_before), SUMMARY)
    summary_json = {
        "run": work.plan["run"],
        "review": work.plan["review"],
        "filing_date": work.plan["filing_date"],
        "filing_day": summary["filing_day"],
        "hs11590_release": bool(work.plan.get("hs11590_release", False)),
        "under_seal": bool(work.plan.get("under_seal", False)),
        "supplement": work.plan.get("supplement"),
        "counts": {k: v for k, v in t.items() if isinstance(v, int)},
        "by_relief": t["by_relief"],
        "juvenile_by_relief": t["juvenile_by_relief"],
        "by_decision": summary["by_decision"],
        "overrides": summary["overrides"],
        "out_of_scope": [row["conviction_id"] for row in summary["out_of_scope"]],
        "inputs": summary["inputs"],
    }
    (work.out / f"{SUMMARY}.json").write_text(json.dumps(summary_json, indent=2), encoding="utf-8")

    files = index_files(work.out)
    (work.out / INDEX_JSON).write_text(
        json.dumps({"run_id": work.plan["run"]["run_id"], "files": files}, indent=2), encoding="utf-8"
    )
    (work.out / SHA256SUMS).write_text("".join(f"{f['sha256']}  {f['path']}\n" for f in files), encoding="utf-8")
    return FilingResult(
        out_dir=work.out,
        files=files,
        counts=summary_json["counts"],
        summary_path=work.out / f"{SUMMARY}.pdf",
        index_path=work.out / INDEX_JSON,
        overrides=list(overrides["conviction_id"]),
        supplement=work.plan.get("supplement"),
    )


def _by_decision(decided: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for decision in Decision:
        part = decided[decided["decision"] == decision.value]
        # The label the run's rule pack gave the decision (the decided table records it), else the default pack's.
        label = str(part["decision_label"].iloc[0]) if len(part) and "decision_label" in part else decision.label
        rows.append(
            {
                "code": decision.value,
                "label": label,
                "convictions": len(part),
                "people": int(part["person_id"].nunique()),
            }
        )
    return rows


def _file_groups(out: Path) -> list[dict[str, Any]]:
    """Files at the top of the folder one by one, sub-folders as one line each (for the summary)."""
    groups: dict[str, dict[str, Any]] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        key = rel if "/" not in rel else rel.split("/")[0] + "/"
        group = groups.setdefault(key, {"path": key, "files": 0, "bytes": 0})
        group["files"] += 1
        group["bytes"] += path.stat().st_size
    return list(groups.values())


def index_files(out: Path) -> list[dict[str, Any]]:
    """Every file in the folder (but the index files themselves) with its size and SHA-256."""
    files = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel in (INDEX_JSON, SHA256SUMS):
            continue
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_of(path)})
    return files


# ---------------------------------------------------------------------------------------------
# All three steps


def finalize(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    review: str | os.PathLike[str] | None = None,
    approve_all: bool = False,
    profile: str | os.PathLike[str] | None = None,
    per_case: bool = False,
    filing_date: dt.date | str | None = None,
    templates: str | os.PathLike[str] | None = None,
    allow_failed_inputs: bool = False,
    supplement_to: str | os.PathLike[str] | None = None,
    phases: Phases = SILENT,
) -> FilingResult:
    """Produce the complete filing set for a run in ``out_dir`` (plan, every batch, assemble).

    Refused before anything is written (``RunError``/``FilingError``, one line each): a run folder
    that is not a finished run or mixes two runs' files (``blueprint.report.finished_run.read_manifest``),
    a run with a failed input file unless ``allow_failed_inputs``, an ``out_dir`` holding something
    other than an earlier filing set, a ``supplement_to`` that is not a filing set of this kit or
    whose filed convictions the review would change. Everything is written into a temporary folder beside
    ``out_dir`` and merged in at the end (``blueprint.base.staging``): an earlier filing set's unchanged
    files are replaced, the office's own files are kept.
    """
    started = time.perf_counter()
    manifest = read_manifest(run_dir)
    failed = failed_inputs(manifest)
    if failed and not allow_failed_inputs:
        names = "; ".join(f"{f.get('file')}: {f.get('error') or 'failed'}" for f in failed)
        raise FilingError(
            f"the run has {len(failed)} input file(s) that failed, whose convictions are not in it: "
            f"{names}. Run again with the corrected file(s), or add --allow-failed-inputs to file without them"
        )
    out = Path(out_dir)
    if supplement_to and Path(supplement_to).resolve() == out.resolve():
        raise FilingError(
            "--supplement-to and --out name the same folder: write the supplemental set into a new folder, "
            "beside the earlier one (its files are the record of what was filed)"
        )
    earlier = earlier_filing_set(out)
    sizes = _sizes(out) if earlier else {}
    with staged_folder(out) as stage:
        with phases.phase("checking the review"):
            batches = plan_document_batches(
                run_dir,
                stage,
                review=review,
                approve_all=approve_all,
                profile=profile,
                per_case=per_case,
                filing_date=filing_date,
                supplement_to=supplement_to,
            )
        planned = time.perf_counter()
        for batch in batches:
            kind = batch["kind"]
            if kind == "bulk":
                with phases.phase("writing the notice, Attachment A, the order and the exports"):
                    render_document_batch(stage, batch, templates=templates)
        for kind, name, unit in (
            ("challenge_notices", "notices of challenge", " notices"),
            ("case_orders", "per-case orders", " orders"),
        ):
            mine = [b for b in batches if b["kind"] == kind]
            if not mine:
                continue
            with phases.phase(name, total=sum(b["stop"] - b["start"] for b in mine), unit=unit) as advance:
                for batch in mine:
                    render_document_batch(stage, batch, templates=templates, advance=advance)
        rendered = time.perf_counter()
        with phases.phase("writing the filing summary and the index"):
            result = assemble_filings(stage, templates=templates)
        merged = merge_into(stage, out, marker=INDEX_JSON, earlier=earlier, sizes=sizes)
    result.out_dir = out
    result.summary_path = out / result.summary_path.name
    result.index_path = out / INDEX_JSON
    result.kept = merged.kept
    result.seconds = {
        "plan": round(planned - started, 3),
        "render": round(rendered - planned, 3),
        "assemble": round(time.perf_counter() - rendered, 3),
        "total": round(time.perf_counter() - started, 3),
    }
    return result
