"""Reading the office's reviewed workbook back, and checking it before anything is filed.

After a run, the office reviews ``review.xlsx`` (sheet **Convictions**, one row per evaluated
conviction, layout in ``docs/reference/results.md``) and records its position on each conviction in
the column **Prosecutor decision**. California's HS 11361.9, for one, allows the prosecution two
positions: not to challenge the relief (the court then grants it), or to challenge it, and only on two
grounds: the person does not meet the criteria of HS 11361.8, or granting relief presents an
unreasonable risk to public safety. The public-safety ground is open only against a person still
serving a sentence (``blueprint.engine.filing_rules``), and only where the rule pack states one
(``challenge_grounds.public_safety``; Illinois' does not). "Hand review pending" keeps a conviction out
of this filing until someone decides; "Out of scope - not filed" records that the statute does not
reach a conviction, which is then neither granted nor challenged. The refusals speak of the rule pack's
statute in its words (:class:`ReviewWords`). The reliefs the office may choose in "Relief if different"
are the rule pack's own (``reliefs`` in its ``pack.yaml``): another state's relief is refused, naming the
row. The column of the person's state identification number is found by the pack's ``person_id_label``
(or by "CII", its header before a pack could name it).

People edit the workbook in Excel or LibreOffice, so the reader is tolerant where tolerance is safe
(re-saved files, reordered or filtered rows, extra columns, stray spaces, other capitalisation of the
allowed values) and strict where a mistake could put the wrong relief on the wrong record: rows added,
removed or duplicated, identifying columns changed, values outside the allowed lists, and relief for a
conviction the rules found not eligible without an explicit override. Every such problem is reported
with sheet, row and column, and the finalisation stops (``ReviewRejected``). Nothing is fixed silently.

Problems never quote names, dates of birth, CII or case numbers: they point to a row and a column.
The values that go into the filings always come from the run itself; the workbook contributes only
the office's decisions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..engine import filing_rules
from ..engine.policy import DEFAULT_PACK
from ..engine.rulepack import load_rule_pack
from .layout import (  # the workbook's layout, re-exported for the filings
    CONVICTIONS_SHEET,
    DECISION_COLUMN,
    DECISION_LABELS,
    NOTES_COLUMN,
    OFFICE_HEADERS,
    OVERRIDE_COLUMN,
    PERSON_ID_COLUMN,
    PERSON_ID_HEADER,
    RECOMMENDATION_COLUMNS,
    RELIEF_COLUMN,
    RELIEF_LABELS,
    RUN_SHEET,
    Decision,
    identifying_columns,
    pack_decision_labels,
    pack_decisions,
    pack_person_id_label,
    pack_relief_labels,
    recommended_decisions,
)

if TYPE_CHECKING:  # only for annotations: the run loader lives with the filings
    from ..report.finished_run import RunData

_TRUE = {"y", "yes", "true", "x", "1"}
_FALSE = {"", "n", "no", "false", "0"}
_SPACES = re.compile(r"\s+")
_SHOWABLE = re.compile(r"^[A-Za-z /\-.?!']{1,30}$")
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class ReviewProblem:
    """One thing wrong with the reviewed workbook: where it is and what is wrong (no personal data)."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"sheet '{self.sheet}'"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class ReviewRejected(Exception):
    """The reviewed workbook cannot be used; ``problems`` lists every reason, with its place."""

    def __init__(self, problems: list[ReviewProblem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:25])
        more = f"\n  ... and {len(self.problems) - 25} more" if len(self.problems) > 25 else ""
        super().__init__(
            f"the reviewed workbook was not accepted ({len(self.problems)} problem(s)); nothing was filed:\n{shown}{more}"
        )


@dataclass(frozen=True)
class OfficeDecision:
    """The office's decision on one conviction, resolved against the run.

    ``relief`` is the relief to request when the decision grants relief (the recommended one, or the
    office's different choice), empty otherwise. ``override`` records that the office grants relief
    to a conviction the rules found not eligible (listed in the filing summary).
    """

    conviction_id: str
    decision: Decision
    relief: str = ""
    notes: str = ""
    override: bool = False
    row: int | None = None


@dataclass
class ReviewResult:
    """Every conviction's decision, keyed by conviction ID, and where they came from."""

    decisions: dict[str, OfficeDecision]
    source: str  # "workbook" or "approve-all"
    workbook_sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    #: The decision labels of the run's rule pack (how the filings name each decision).
    labels: dict[Decision, str] = field(default_factory=lambda: dict(DECISION_LABELS))


def run_decision_labels(run: RunData) -> dict[Decision, str]:
    """The decision labels of the workbook of ``run``: its rule pack's (the manifest's policy names it)."""
    return pack_decision_labels(run.rule_pack)


@dataclass(frozen=True)
class ReviewWords:
    """What the run's rule pack says that the reader's checks and refusals need, in its words."""

    #: The rule pack's name (as the run's policy names it).
    rule_pack: str
    #: The decisions its workbook offers (:func:`blueprint.review.layout.pack_decisions`).
    offered: tuple[Decision, ...]
    #: What its criteria are called (``review_criteria_heading``).
    criteria_heading: str
    #: What its statute does not reach (``review_prompts.out_of_scope``).
    out_of_scope: str
    #: Its statutory exclusions' labels, by code.
    exclusions: dict[str, str]
    #: The bases of ``filing_bases`` by track (``serving``, ``completed``, ``juvenile``), where the pack
    #: states them: the subdivision of each track's ground, cited in the refusals.
    bases: dict[str, str] = field(default_factory=dict)
    #: Its relief kinds' labels, by code, in its order (``reliefs``): the only reliefs the office may choose.
    reliefs: dict[str, str] = field(default_factory=lambda: dict(RELIEF_LABELS))
    #: What its workbook calls the person's state identification number (``person_id_label``).
    person_id_label: str = PERSON_ID_HEADER

    def cited(self, track: str) -> str:
        """`` (<basis>)`` of a track, or nothing for a pack without ``filing_bases``."""
        basis = self.bases.get(track, "")
        return f" ({basis})" if basis else ""


def review_words(rule_pack: str | None = None) -> ReviewWords:
    """The reader's words for a rule pack (the default pack's when none is named)."""
    name = rule_pack or DEFAULT_PACK
    pack = load_rule_pack(name)
    prompts = pack.texts.review_prompts
    bases = pack.texts.filing_bases
    return ReviewWords(
        rule_pack=pack.name,
        offered=pack_decisions(name),
        criteria_heading=pack.review_criteria_heading,
        out_of_scope=prompts.out_of_scope if prompts is not None else "conduct the statute does not reach",
        exclusions=dict(pack.exclusion_labels),
        bases={k: v for k, v in (bases.model_dump() if bases is not None else {}).items() if isinstance(v, str) and v},
        reliefs=pack_relief_labels(name),
        person_id_label=pack_person_id_label(name),
    )


def approve_all(run: RunData) -> ReviewResult:
    """Accept every recommendation as the workbook would pre-fill it, without a workbook.

    Eligible convictions are not challenged (relief as recommended); convictions the rules found not
    eligible are challenged as not meeting the rule pack's criteria; out-of-scope ones are listed as out
    of scope; anything else stays pending.

    Relief the statute excludes (a run with an earlier tool's settings recommends it, but the row has a
    ``statutory_exclusion``) needs a reviewer's override on that row, which approve-all cannot give:
    such a run is refused, naming the convictions, and must be reviewed in the workbook.
    """
    frame = run.convictions
    facts = RowFacts(frame, review_words(run.rule_pack))
    labels = run_decision_labels(run)
    decisions = {}
    problems = []
    prefilled = recommended_decisions(frame)
    for i, (cid, decision, relief) in enumerate(zip(frame["conviction_id"], prefilled, frame["relief"])):
        misfit = _decision_fits_the_row(decision, relief if decision.grants_relief else "", "", None, facts, i, labels)
        if misfit:
            problems.append(
                ReviewProblem(CONVICTIONS_SHEET, None, "Conviction ID", f"conviction {cid}: {misfit.message}")
            )
        excluded = facts.excluded(i) if decision.grants_relief else ""
        if excluded:
            problems.append(
                ReviewProblem(
                    CONVICTIONS_SHEET,
                    None,
                    "Conviction ID",
                    f"conviction {cid}: the run recommends relief for a conviction {excluded}; "
                    f"approve-all cannot override the statute: review the run in the workbook "
                    f"and put 'Y' in '{OVERRIDE_COLUMN}' where relief is meant",
                )
            )
        decisions[cid] = OfficeDecision(cid, decision, relief if decision.grants_relief else "")
    if problems:
        raise ReviewRejected(problems)
    return ReviewResult(decisions, "approve-all", labels=labels)


def read_review(path: str | os.PathLike[str], run: RunData) -> ReviewResult:
    """Read and check a reviewed workbook against the run; raise ``ReviewRejected`` on any problem."""
    path = Path(path)
    sheet_names, sheet_rows = _open_workbook(path)
    problems: list[ReviewProblem] = []
    sheets = {name.strip().casefold(): name for name in sheet_names}
    run_sheet = sheets.get(RUN_SHEET.casefold())
    if run_sheet is None:
        problems.append(
            ReviewProblem(RUN_SHEET, None, None, "the sheet is missing, so the workbook cannot be matched to this run")
        )
    else:
        problems.extend(_check_run_sheet(sheet_rows(run_sheet), run))
    if problems:  # a review of another run: do not even look at its rows
        raise ReviewRejected(problems)
    conv_sheet = sheets.get(CONVICTIONS_SHEET.casefold())
    if conv_sheet is None:
        raise ReviewRejected([ReviewProblem(CONVICTIONS_SHEET, None, None, "the sheet is missing")])
    labels = run_decision_labels(run)
    decisions, problems = _read_convictions(sheet_rows(conv_sheet), run, labels)
    if problems:
        raise ReviewRejected(problems)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ReviewResult(decisions, "workbook", workbook_sha256=digest, labels=labels)


def _open_workbook(path: Path, *, engine: str = "auto") -> tuple[list[str], Callable[[str], Sequence[Sequence]]]:
    """The workbook's sheet names, and a function giving a sheet's rows from A1 (values only).

    python-calamine (a compiled reader) reads a 66,000-row review about ten times faster than
    openpyxl; openpyxl is the fallback where calamine is not installed. Both give plain Python
    values: text, numbers, dates, booleans, and empty cells as "" or None.
    """

    def unreadable(exc: BaseException) -> ReviewRejected:
        return ReviewRejected(
            [
                ReviewProblem(
                    path.name, None, None, f"the file cannot be opened as an .xlsx workbook ({type(exc).__name__})"
                )
            ]
        )

    if engine in ("auto", "calamine"):
        try:
            import python_calamine
        except ImportError:
            if engine == "calamine":
                raise
        else:
            try:
                book = python_calamine.CalamineWorkbook.from_path(str(path))
            except Exception as exc:  # calamine raises its own error types for every kind of bad file
                raise unreadable(exc) from None
            return list(book.sheet_names), lambda name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML, key and value errors for a damaged file
        raise unreadable(exc) from None

    def rows(name: str) -> list[Sequence]:
        return list(book[name].iter_rows(values_only=True))

    return list(book.sheetnames), rows


def _check_run_sheet(rows: Sequence[Sequence], run: RunData) -> list[ReviewProblem]:
    values: dict[str, str] = {}
    for row in rows:
        if not row or row[0] is None or row[0] == "":
            continue
        values[_norm(_cell_text(row[0]))] = _cell_text(row[1] if len(row) > 1 else None).strip()
    problems = []
    for key, expected in run.identity.items():
        if not expected:
            continue
        found = values.get(key)
        if found is None:
            problems.append(ReviewProblem(RUN_SHEET, None, "A", f"the key '{key}' is missing"))
        elif found != expected:
            problems.append(
                ReviewProblem(
                    RUN_SHEET,
                    None,
                    "B",
                    f"'{key}' does not match this run: the workbook belongs to a different run "
                    "(other input files or another policy); review this run's own review.xlsx",
                )
            )
    return problems


def _read_convictions(
    sheet_rows: Sequence[Sequence], run: RunData, labels: dict[Decision, str] = DECISION_LABELS
) -> tuple[dict[str, OfficeDecision], list[ReviewProblem]]:
    """The office's decision on every conviction of the Convictions sheet, and every problem found.

    In named steps: find the columns (:func:`_column_positions`); for each row, key it to its
    conviction (:meth:`_ConvictionsSheet.key`), check that it still describes that conviction
    (:meth:`_ConvictionsSheet.identity_problems`), read and check the office's decision
    (:meth:`_ConvictionsSheet.decision`); then name the run's convictions the sheet lacks.
    """
    rows = iter(sheet_rows)
    header = next(rows, None)
    if header is None:
        return {}, [ReviewProblem(CONVICTIONS_SHEET, 1, None, "the sheet is empty")]
    words = review_words(run.rule_pack)
    identifying = identifying_columns(words.person_id_label)
    positions, problems = _column_positions(header, identifying)
    if problems:
        return {}, problems
    sheet = _ConvictionsSheet(run, positions, labels, words, identifying)
    decisions: dict[str, OfficeDecision] = {}
    for row_number, values in enumerate(rows, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank rows left behind by editing or filtering
        cid, problem = sheet.key(values, row_number)
        if problem:
            problems.append(problem)
            continue
        identity, edited_recommendation = sheet.identity_problems(values, cid, row_number)
        problems.extend(identity + edited_recommendation)
        if identity:
            continue
        decision, problem = sheet.decision(values, cid, row_number)
        if problem is not None:
            problems.append(problem)
        if decision is not None:  # a decision comes without a problem, and a problem without a decision
            decisions[cid] = decision
    problems.extend(sheet.missing_rows())
    return decisions, problems


def _column_positions(
    header: Sequence, identifying: dict[str, str] | None = None
) -> tuple[dict[str, int | None], list[ReviewProblem]]:
    """Where each column the reader knows is (by its normalised header), and the header's problems:
    a column that appears twice, a required column that is missing.

    ``identifying`` are the rule pack's identifying columns (:func:`identifying_columns`); the person's
    state identification number is found under the pack's label or, failing that, under "CII" (a
    workbook written before the pack named it)."""
    identifying = identifying if identifying is not None else identifying_columns()
    required = (*identifying, *OFFICE_HEADERS)
    problems: list[ReviewProblem] = []
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _norm(_cell_text(title))
        if not key:
            continue
        if key in positions:
            problems.append(ReviewProblem(CONVICTIONS_SHEET, 1, _cell_text(title).strip(), "the column appears twice"))
        positions.setdefault(key, index)
    wanted = {name: positions.get(_norm(name)) for name in (*required, *RECOMMENDATION_COLUMNS)}
    for name, column in identifying.items():
        if column == PERSON_ID_COLUMN and wanted[name] is None:
            wanted[name] = positions.get(_norm(PERSON_ID_HEADER))
    for name in required:
        if wanted[name] is None:
            problems.append(ReviewProblem(CONVICTIONS_SHEET, 1, name, "the column is missing (renamed or deleted?)"))
    return wanted, problems


class _ConvictionsSheet:
    """The Convictions sheet read against the run: the run's values of each conviction, where each
    column is, and which rows have been seen."""

    def __init__(
        self,
        run: RunData,
        positions: dict[str, int | None],
        labels: dict[Decision, str],
        words: ReviewWords | None = None,
        identifying: dict[str, str] | None = None,
    ):
        frame = run.convictions
        self.frame = frame
        self.positions = positions
        self.labels = labels
        self.words = words or review_words(run.rule_pack)
        identifying = identifying if identifying is not None else identifying_columns(self.words.person_id_label)
        self.expected = {cid: i for i, cid in enumerate(frame["conviction_id"])}
        self.id_columns = {header: frame[column].tolist() for header, column in identifying.items()}
        self.recommendation = {
            header: [frame[c].tolist() for c in columns if c in frame.columns]
            for header, columns in RECOMMENDATION_COLUMNS.items()
        }
        self.reliefs = frame["relief"].tolist()
        self.facts = RowFacts(frame, self.words)
        self.levels = frame["level"].tolist() if "level" in frame.columns else [""] * len(frame)
        self.seen: dict[str, int] = {}
        self._private: frozenset[str] | None = None

    def private(self) -> frozenset[str]:
        """Every word of every name in the run (built only if a value is about to be quoted)."""
        if self._private is None:
            words: set[str] = set()
            for column in ("name", "other_names"):
                for text in self.frame[column]:
                    words.update(w for w in _WORDS.findall(text.casefold()) if len(w) > 1)
            self._private = frozenset(words)
        return self._private

    def cell(self, values: Sequence, name: str):
        pos = self.positions[name]
        return values[pos] if pos is not None and pos < len(values) else None

    def key(self, values: Sequence, row: int) -> tuple[str, ReviewProblem | None]:
        """The row's conviction ID, refused when empty, not the run's, or already seen."""
        cid = _cell_text(self.cell(values, "Conviction ID")).strip()
        if not cid:
            return cid, ReviewProblem(
                CONVICTIONS_SHEET, row, "Conviction ID", "the row has no Conviction ID (an added row?)"
            )
        if cid not in self.expected:
            return cid, ReviewProblem(
                CONVICTIONS_SHEET,
                row,
                "Conviction ID",
                "this Conviction ID is not in the run (an added or altered row)",
            )
        if cid in self.seen:
            return cid, ReviewProblem(
                CONVICTIONS_SHEET, row, "Conviction ID", f"the conviction appears twice (also on row {self.seen[cid]})"
            )
        self.seen[cid] = row
        return cid, None

    def identity_problems(
        self, values: Sequence, cid: str, row: int
    ) -> tuple[list[ReviewProblem], list[ReviewProblem]]:
        """Identifying values changed (the row no longer describes its conviction: it is not read),
        and recommendation columns edited (reported; the row is still read)."""
        i = self.expected[cid]
        changed = [
            ReviewProblem(
                CONVICTIONS_SHEET,
                row,
                header,
                "an identifying value was changed; identifying columns must stay as the run wrote them",
            )
            for header in self.id_columns
            if header != "Conviction ID" and not _same(self.cell(values, header), self.id_columns[header][i])
        ]
        edited = [
            ReviewProblem(
                CONVICTIONS_SHEET,
                row,
                header,
                "this column shows the rules' recommendation and is not read back; to ask for another "
                f"relief choose '{self.labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}' and fill '{RELIEF_COLUMN}'",
            )
            for header, alternatives in self.recommendation.items()
            if self.positions[header] is not None
            and alternatives
            and not any(_same(self.cell(values, header), option[i]) for option in alternatives)
        ]
        return changed, edited

    def decision(self, values: Sequence, cid: str, row: int) -> tuple[OfficeDecision | None, ReviewProblem | None]:
        """The office's decision on the row, checked: an allowed value, a relief that fits it, a
        decision the statute allows for this conviction, an override where relief is excluded."""
        i = self.expected[cid]
        decision, problem = _decision(self.cell(values, DECISION_COLUMN), row, self.private, self.labels)
        if decision is None:  # not an allowed value: the problem says which
            return None, problem
        override, problem = _override(self.cell(values, OVERRIDE_COLUMN), row, self.private)
        if problem:
            return None, problem
        notes = _cell_text(self.cell(values, NOTES_COLUMN)).strip()
        problem = _relief_without_its_decision(
            self.cell(values, RELIEF_COLUMN), decision, self.reliefs[i], row, self.words.reliefs, self.labels
        )
        if problem:
            return None, problem
        relief, problem = self.relief(values, decision, i, row)
        if problem:
            return None, problem
        problem = _decision_fits_the_row(decision, relief, notes, row, self.facts, i, self.labels)
        if problem:
            return None, problem
        excluded = self.facts.excluded(i)
        if decision.grants_relief and excluded and not override:
            return None, ReviewProblem(
                CONVICTIONS_SHEET,
                row,
                OVERRIDE_COLUMN,
                f"relief is requested for a conviction {excluded}; to do so on purpose put 'Y' in "
                f"'{OVERRIDE_COLUMN}' (it is listed in the filing summary)",
            )
        return OfficeDecision(
            cid, decision, relief, notes, bool(override and decision.grants_relief and excluded), row
        ), None

    def relief(self, values: Sequence, decision: Decision, i: int, row: int) -> tuple[str, ReviewProblem | None]:
        """The relief a decision asks for: the recommended one for 'No challenge', the office's choice
        (fitting the conviction's level) for 'No challenge - different relief', none otherwise."""
        if decision is Decision.NO_CHALLENGE:
            if not self.reliefs[i]:
                return "", ReviewProblem(
                    CONVICTIONS_SHEET,
                    row,
                    DECISION_COLUMN,
                    f"'{self.labels[Decision.NO_CHALLENGE]}' accepts the recommended relief, but the rules recommended "
                    f"none; choose '{self.labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}' and a relief in '{RELIEF_COLUMN}'",
                )
            return self.reliefs[i], None
        if decision is Decision.NO_CHALLENGE_DIFFERENT_RELIEF:
            relief, problem = _relief(self.cell(values, RELIEF_COLUMN), row, self.private, self.words, self.labels)
            if problem:
                return "", problem
            return relief, _relief_fits_level(relief, self.levels[i], row, self.words.reliefs)
        return "", None

    def missing_rows(self) -> list[ReviewProblem]:
        """The run's convictions that no row of the sheet carried (deleted rows)."""
        return [
            ReviewProblem(
                CONVICTIONS_SHEET,
                None,
                "Conviction ID",
                f"conviction {cid} of the run is missing from the workbook (a deleted row?)",
            )
            for cid in self.expected
            if cid not in self.seen
        ]


class RowFacts:
    """What the run says about each conviction that decides which decisions it allows: the typed
    outcome, the track, the statutory exclusion, and whether the kit has facts to print behind a
    challenge (a disqualifying prior, a data problem, or a not-eligible finding of the rules), and
    the rule pack's words for them (:class:`ReviewWords`)."""

    def __init__(self, frame, words: ReviewWords | None = None):
        n = len(frame)
        self.words = words or review_words()

        def column(name: str) -> list[str]:
            return frame[name].tolist() if name in frame.columns else [""] * n

        self.outcome = list(filing_rules.outcomes(frame))
        self.track = column("track")
        self.exclusion = column("statutory_exclusion")
        self.prior_kind = column("prior_kind")
        self.flags = column("flags")
        self.relief = column("relief")

    def excluded(self, i: int) -> str:
        """Why relief for row ``i`` needs an override, in words ('' when it does not)."""
        if self.outcome[i] == filing_rules.OUT_OF_SCOPE:
            return f"the rules found out of scope ({self.words.out_of_scope})"
        if self.outcome[i] == filing_rules.NOT_ELIGIBLE and not self.relief[i]:
            return "the rules found not eligible"
        code = self.exclusion[i]
        if code:
            label = self.words.exclusions.get(code, code)
            return "the statute excludes: " + label[:1].lower() + label[1:]
        return ""

    def has_facts(self, i: int) -> bool:
        """Whether the kit can state facts behind a challenge of row ``i`` without the office's note."""
        return (
            bool(self.prior_kind[i]) or "data problem:" in self.flags[i] or self.outcome[i] == filing_rules.NOT_ELIGIBLE
        )


def _decision_fits_the_row(
    decision: Decision,
    relief: str,
    notes: str,
    row: int | None,
    facts: RowFacts,
    i: int,
    labels: dict[Decision, str] = DECISION_LABELS,
) -> ReviewProblem | None:
    """The decision must be one the rule pack offers and the statute allows for this conviction
    (``blueprint.engine.filing_rules``); the refusal speaks of the pack's statute in its words."""
    track, outcome = facts.track[i], facts.outcome[i]
    words = facts.words

    def problem(column: str, message: str) -> ReviewProblem:
        return ReviewProblem(CONVICTIONS_SHEET, row, column, message)

    criteria = f"'{labels[Decision.CHALLENGE_CRITERIA]}'"
    if decision not in words.offered:
        return problem(
            DECISION_COLUMN,
            f"'{labels[decision]}' is not a decision of the rule pack {words.rule_pack}: its statute states no "
            f"such ground (challenge_grounds in its pack.yaml); choose {criteria} or another decision of the list",
        )
    if decision is Decision.CHALLENGE_PUBLIC_SAFETY and not filing_rules.public_safety_allowed(track):
        shown = track or "unknown"
        return problem(
            DECISION_COLUMN,
            "an unreasonable risk to public safety is a ground only against a person still serving the sentence"
            f"{words.cited('serving')}; the run records this conviction's track as '{shown}', where the only "
            f"ground is that the person does not meet the criteria{words.cited('completed')}: choose {criteria}",
        )
    if decision.is_challenge and outcome == filing_rules.OUT_OF_SCOPE:
        return problem(
            DECISION_COLUMN,
            f"the rules found this conviction out of scope ({words.out_of_scope}), so there is nothing to "
            f"challenge; choose '{labels[Decision.OUT_OF_SCOPE]}'",
        )
    if decision is Decision.OUT_OF_SCOPE and outcome not in (filing_rules.OUT_OF_SCOPE, filing_rules.HAND_REVIEW):
        found = "eligible" if outcome == filing_rules.ELIGIBLE else "not eligible"
        return problem(
            DECISION_COLUMN,
            f"'{labels[Decision.OUT_OF_SCOPE]}' is for a conviction the statute does not reach; the rules "
            f"found this one {found} under {words.criteria_heading}, so the person must get the relief or a "
            f"notice of challenge: choose a decision that files one",
        )
    if decision is Decision.CHALLENGE_PUBLIC_SAFETY and not notes:
        return problem(
            NOTES_COLUMN,
            "a public-safety challenge must state the facts behind it (the People carry the burden, and the "
            "notice of challenge prints them): write them in this column",
        )
    if decision is Decision.CHALLENGE_CRITERIA and not notes and not facts.has_facts(i):
        return problem(
            NOTES_COLUMN,
            "the rules found no disqualifying fact for this conviction, so the notice of challenge would state "
            "none: write the facts behind the challenge in this column",
        )
    if decision.grants_relief and filing_rules.is_juvenile(track) and relief not in filing_rules.JUVENILE_RELIEFS:
        column = RELIEF_COLUMN if decision is Decision.NO_CHALLENGE_DIFFERENT_RELIEF else DECISION_COLUMN
        allowed = " or ".join(f"'{words.reliefs.get(r, r)}'" for r in filing_rules.JUVENILE_RELIEFS)
        return problem(
            column,
            f"'{words.reliefs.get(relief, relief)}' is not a relief for an offense committed under 18: the "
            f"juvenile track allows {allowed}{words.cited('juvenile')}; choose "
            f"'{labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}' with one of them",
        )
    return None


@lru_cache(maxsize=8)
def _reliefs_by_text(reliefs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Each relief code of a rule pack by its label as read back (spaces and capitals ignored), or by
    the code itself."""
    return {**{_norm(label): code for code, label in reliefs}, **{code: code for code, _ in reliefs}}


@lru_cache(maxsize=8)
def _decisions_by_text(labels: tuple[tuple[Decision, str], ...]) -> dict[str, Decision]:
    """Each decision by its label as read back (spaces and capitals ignored)."""
    return {_norm(label): decision for decision, label in labels}


def _decision(
    value, row: int, private: Callable[[], frozenset[str]], labels: dict[Decision, str] = DECISION_LABELS
) -> tuple[Decision | None, ReviewProblem | None]:
    text = _norm(_cell_text(value))
    text = text.replace("\u2013", "-").replace("\u2014", "-")  # Excel's autocorrect turns " - " into a dash
    text = re.sub(r"\s*-\s*", " - ", text)
    decision = _decisions_by_text(tuple(labels.items())).get(text)
    if decision is None:
        shown = "an empty value" if not text else _show(value, private)
        return None, ReviewProblem(
            CONVICTIONS_SHEET,
            row,
            DECISION_COLUMN,
            f"{shown} is not an allowed value (allowed: {', '.join(repr(v) for v in labels.values())})",
        )
    return decision, None


def _relief(
    value,
    row: int,
    private: Callable[[], frozenset[str]],
    words: ReviewWords,
    labels: dict[Decision, str] = DECISION_LABELS,
) -> tuple[str, ReviewProblem | None]:
    """The relief chosen in 'Relief if different': one of the rule pack's (``words.reliefs``), by its
    label or its code; any other value, another state's relief among them, is refused naming the row."""
    text = _norm(_cell_text(value))
    code = _reliefs_by_text(tuple(words.reliefs.items())).get(text)
    if code is None:
        shown = "an empty value" if not text else _show(value, private)
        return "", ReviewProblem(
            CONVICTIONS_SHEET,
            row,
            RELIEF_COLUMN,
            f"{shown} is not an allowed value with '{labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}' "
            f"(allowed: {', '.join(repr(v) for v in words.reliefs.values())})",
        )
    return code, None


def _relief_without_its_decision(
    value,
    decision: Decision,
    recommended: str,
    row: int,
    reliefs: dict[str, str] = RELIEF_LABELS,
    labels: dict[Decision, str] = DECISION_LABELS,
) -> ReviewProblem | None:
    """A relief written in 'Relief if different' is read only with 'No challenge - different relief'.

    Filled in beside any other decision it would be ignored, and the office would file something other
    than it wrote: so it is refused, naming the row. Two cases pass: the same relief as recommended
    beside 'No challenge' (no doubt about what is asked), and any value beside 'Hand review pending'
    (a draft: that conviction is not filed).
    """
    text = _norm(_cell_text(value))
    if not text or decision in (Decision.NO_CHALLENGE_DIFFERENT_RELIEF, Decision.HAND_REVIEW_PENDING):
        return None
    if decision is Decision.NO_CHALLENGE:
        if recommended and _reliefs_by_text(tuple(reliefs.items())).get(text) == recommended:
            return None
        wanted = f"'{reliefs[recommended]}'" if recommended in reliefs else "the recommended relief"
        return ReviewProblem(
            CONVICTIONS_SHEET,
            row,
            RELIEF_COLUMN,
            f"a relief is filled in, but the decision '{labels[decision]}' asks for {wanted}; to ask for the "
            f"relief written here choose '{labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}', otherwise clear the cell",
        )
    return ReviewProblem(
        CONVICTIONS_SHEET,
        row,
        RELIEF_COLUMN,
        f"a relief is filled in, but the decision '{labels[decision]}' challenges relief; clear the cell, or "
        f"choose '{labels[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]}' to ask for that relief",
    )


def _relief_fits_level(
    relief: str, level: str, row: int, reliefs: dict[str, str] = RELIEF_LABELS
) -> ReviewProblem | None:
    """Redesignation lowers the level (California's HS 11361.8(f)); it cannot apply at or below the target level."""
    level = _norm(level)
    impossible = (relief == "redesignate_misdemeanor" and level in ("misdemeanor", "infraction")) or (
        relief == "redesignate_infraction" and level == "infraction"
    )
    if impossible:
        return ReviewProblem(
            CONVICTIONS_SHEET,
            row,
            RELIEF_COLUMN,
            f"'{reliefs.get(relief, relief)}' does not apply to a conviction recorded as {level}",
        )
    return None


def _override(value, row: int, private: Callable[[], frozenset[str]]) -> tuple[bool, ReviewProblem | None]:
    text = _norm(_cell_text(value))
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return False, ReviewProblem(
        CONVICTIONS_SHEET,
        row,
        OVERRIDE_COLUMN,
        f"{_show(value, private)} is not an allowed value (use 'Y' or leave empty)",
    )


def _show(value, private: Callable[[], frozenset[str]]) -> str:
    """A cell value fit to quote in a problem: a few plain words, none of them part of a name in the
    run (someone may have typed or pasted a name into the wrong column). Anything else is not shown."""
    text = _cell_text(value).strip()
    if _SHOWABLE.match(text) and "," not in text and not set(_WORDS.findall(text.casefold())) & private():
        return f"'{text}'"
    return "the value (not shown)"


def _cell_text(value) -> str:
    """A cell as text, the way the run wrote it (dates ISO, whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _norm(text: str) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold()


_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _same(cell_value, run_value: str) -> bool:
    """Whether a workbook cell still shows the run's value (tolerating spaces, case, date cells)."""
    if cell_value == run_value or (cell_value is None and run_value == ""):
        return True  # the usual case, decided without any normalising
    found = _norm(_cell_text(cell_value))
    wanted = _norm(run_value)
    if found == wanted:
        return True
    match = _US_DATE.match(found)  # a date cell re-typed or re-saved in US style
    if match:
        month, day, year = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}" == wanted
    return False
