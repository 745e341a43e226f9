"""The JSON the state machine carries, as typed models: the execution input, each step's event and
each step's output.

The state machine (cdk/processing.py) keeps the execution input at the top of its state and puts each
step's output under one path: "Validate input" -> ``$.input``, "Split into shards" -> ``$.split``
(its ``items_key`` is read by the "Evaluate shards" map), "Combine results" -> ``$.outputs``, the
review wait -> ``$.review``, "Apply review" -> ``$.plan`` (``items_key`` for "Render documents"),
"Assemble filings" -> ``$.filings``. A step that rejects its input returns :class:`Rejection`, which
the state machine finds at ``<path>.rejected``. Handlers return ``model.dump()``, so the JSON keeps
exactly these shapes; tests/infra/test_state_machine.py checks every path the states read.

Events carry more than a step reads (each gets the whole run); fields a model does not name are
ignored. A field that is missing or malformed refuses the event with :class:`EventRefused`, whose
message names the fields and never their values: Step Functions records it, and a source key may
carry the office's file name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .environment import describe

T = TypeVar("T")

#: A run id: the execution's name and a folder name in both buckets (``<date>-<12 hex>`` from ingest).
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"


class EventRefused(ValueError):
    """A step's event (the execution input included) is not what the step needs."""


class Contract(BaseModel):
    """A model of the state machine's JSON. ``dump()`` gives the JSON a step returns: the fields that
    were given, so that an optional field absent from today's JSON stays absent."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def parse(model: Any, data: Any, what: str) -> Any:
    """``data`` validated as ``model`` (a model class or an annotated union), or :class:`EventRefused`."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        raise EventRefused(f"{what} refused: {describe(exc, what=what)}") from None


# -- the execution input --------------------------------------------------------------------------


class Run(Contract):
    """The run: who it is for and as of when. Every step gets it (``$.run``)."""

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    county: str = Field(min_length=1)
    policy: str = Field(min_length=1)
    evaluation_date: date
    compat: bool = False


class Options(Contract):
    """How the run is carried out (``$.options``)."""

    rows_per_shard: int = Field(250_000, gt=0)
    per_case_documents: bool = False
    office_profile: str = ""


class SourceFile(Contract):
    key: str = Field(min_length=1)
    version_id: str | None = None
    size: int = Field(0, ge=0)


class Source(Contract):
    """The upload a run reads: one file, or (``files``) every file of a delivery folder."""

    bucket: str = Field(min_length=3)
    key: str = Field(min_length=1)
    version_id: str | None = None
    size: int = Field(0, ge=0)
    files: list[SourceFile] | None = None

    def file_list(self) -> list[SourceFile]:
        """A delivery's files, or the one uploaded file (an input written by hand may name only that)."""
        if self.files is not None:
            return self.files
        return [SourceFile(key=self.key, version_id=self.version_id, size=self.size)]


class ReviewUpload(Contract):
    """The office's review, as resume-review hands it to the waiting run (``$.review``)."""

    bucket: str = Field(min_length=3)
    key: str = Field(min_length=1)
    version_id: str | None = None
    approve_all: bool = False


class ExecutionInput(Contract):
    """What an execution starts with: from ingest (``run``, ``options``, ``source``), or written by IT
    to file a run again after its review (``restart_at: apply_review`` and ``review``,
    docs/operations.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    options: Options
    source: Source | None = None
    restart_at: Literal["apply_review"] | None = None
    review: ReviewUpload | None = None

    @model_validator(mode="after")
    def _what_the_first_step_reads(self) -> "ExecutionInput":
        if self.restart_at == "apply_review" and self.review is None:
            raise ValueError("restart_at apply_review needs the review to apply (review)")
        if self.restart_at is None and self.source is None:
            raise ValueError("a run needs its upload (source)")
        return self


# -- the steps' events ------------------------------------------------------------------------------


class StepEvent(Contract):
    """What every step gets: the run and its options (the state machine passes both to each)."""

    run: Run
    options: Options = Options()


class SourceEvent(StepEvent):
    """ "Validate input" and "Split into shards"."""

    source: Source


class ShardItem(Contract):
    """One item of ``shards.json``, which the "Evaluate shards" map reads."""

    shard: str = Field(min_length=1)
    file_names: list[str]


class EvaluateEvent(StepEvent):
    shard: ShardItem


class ReviewEvent(StepEvent):
    """ "Apply review" and "Assemble filings"."""

    review: ReviewUpload


class BatchEvent(StepEvent):
    """One item of ``batches.json`` (written by ``blueprint.filings``, which alone reads its fields)."""

    batch: dict[str, Any]


class StepError(Contract):
    """An error as Step Functions records it (a Catch's ``$.error``), or a step's rejection."""

    error: str = Field("Unknown", alias="Error")
    cause: str | None = Field(None, alias="Cause")


class ReviewAttempt(Contract):
    """``{"rejected": false}`` on the first wait; the rejection of the last review on a later one."""

    error: str | None = Field(None, alias="Error")

    @property
    def rejected(self) -> bool:
        return bool(self.error)


class ReviewReady(StepEvent):
    kind: Literal["review_ready"]
    task_token: str = Field(min_length=1)
    review_attempt: ReviewAttempt = ReviewAttempt()
    #: The waiting execution (a re-filed run's differs from the first), for resume-review's checks.
    execution: str | None = None


class FilingsReady(StepEvent):
    kind: Literal["filings_ready"]
    filings: "FilingsOutput | None" = None


class Failed(StepEvent):
    kind: Literal["failed"]
    error: StepError = StepError()


#: What "Notify" is called with: one of three kinds.
Notification = Annotated[ReviewReady | FilingsReady | Failed, Field(discriminator="kind")]


# -- the steps' outputs -----------------------------------------------------------------------------


class Rejection(Contract):
    """A step's expected refusal (``<path>.rejected``): the error's name and a message with ids and
    counts only."""

    rejected: StepError


class FileChecked(Contract):
    sha256: str
    bytes: int
    has_header: bool


class ValidateOutput(Contract):
    files: list[FileChecked]
    bytes: int


class SplitOutput(Contract):
    items_key: str
    shard_count: int
    rows_read: int
    issues_count: int


class EvaluateOutput(Contract):
    shard: str
    rows: int
    people: int
    convictions_evaluated: int
    issues: int


class CombineOutput(Contract):
    run_prefix: str
    counts: dict[str, Any]
    balanced: bool | None


class PlanOutput(Contract):
    items_key: str
    batches: int


class RenderOutput(Contract):
    batch: str | None
    files: int
    documents: int


class FilingsOutput(Contract):
    """ "Assemble filings" (``$.filings``), which "Notify filings ready" reads."""

    prefix: str = ""
    counts: dict[str, Any] = {}
    files: int = 0
    bytes: int = 0


class NotifyOutput(Contract):
    run_id: str
    status: str
    error: str | None = None


class RunStarted(Contract):
    run_id: str
    started: bool


class IngestOutput(Contract):
    runs: list[RunStarted]


class ReviewOutcome(Contract):
    """What became of one upload under ``reviews/``."""

    run_id: str | None
    outcome: Literal["resumed", "ignored", "not_a_review", "unknown_run", "not_waiting", "wait_ended"]
    approve_all: bool | None = None


class ResumeOutput(Contract):
    reviews: list[ReviewOutcome]


FilingsReady.model_rebuild()
