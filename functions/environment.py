"""Each function's environment, as typed settings read once per invocation and checked.

The stack (cdk/processing.py) sets these variables; a handler states which it needs by its model,
and its decorator (:func:`functions.common.step`) reads and checks them before the step does any
work. A variable that is missing or malformed stops the invocation with :class:`EnvironmentProblem`,
which names the variable and what is wrong with it, never its value.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Mapping, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .limits import largest_input

E = TypeVar("E", bound="FunctionEnvironment")

#: The /tmp of the split function the stack sizes by default (MiB), for MAX_INPUT_BYTES' default.
DEFAULT_SPLIT_TMP_MB = 10240


class EnvironmentProblem(RuntimeError):
    """The function's environment lacks a variable or has one it cannot use (a deployment error)."""


class FunctionEnvironment(BaseModel):
    """What every function may use. Field aliases are the variable names (cdk/processing.py)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    #: Where the private per-invocation folders go (tests and laptops; Lambda uses /tmp).
    scratch: Path | None = Field(None, alias="CLEARANCE_SCRATCH")

    @classmethod
    def load(cls: type[E], environ: Mapping[str, str] | None = None) -> E:
        """The model read from ``environ`` (the process environment by default), or
        :class:`EnvironmentProblem` naming each variable that is missing or unusable."""
        values = os.environ if environ is None else environ
        names = {field.alias or name for name, field in cls.model_fields.items()}
        # An empty variable counts as unset: the stack writes "" for a setting left empty.
        try:
            return cls.model_validate({name: values[name] for name in names if values.get(name, "") != ""})
        except ValidationError as exc:
            raise EnvironmentProblem(
                f"{cls.__name__}: {describe(exc, variables=True)} (the stack sets these in cdk/processing.py)"
            ) from None


def describe(exc: ValidationError, *, variables: bool = False, what: str = "event") -> str:
    """The problems of a validation error by field path, without the values that caused them."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(the whole input)"
        label = f"environment variable {where}" if variables else where
        if error["type"] == "missing":
            problems.append(f"{label} is not set" if variables else f"{label} is required")
        elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            expected = (error.get("ctx") or {}).get("expected_tags", "")
            problems.append(f"unknown {what} kind (expected one of {expected})")
        else:
            problems.append(f"{label}: {error['msg']}")
    return "; ".join(problems)


class ResultsEnvironment(FunctionEnvironment):
    """A step that reads and writes the results bucket."""

    results_bucket: str = Field(alias="RESULTS_BUCKET", min_length=3)


class ValidateEnvironment(ResultsEnvironment):
    #: The largest upload a run accepts (functions/limits.py); the stack sets it from split's /tmp.
    max_input_bytes: int = Field(
        default_factory=lambda: largest_input(DEFAULT_SPLIT_TMP_MB), alias="MAX_INPUT_BYTES", gt=0
    )


class PlanEnvironment(ResultsEnvironment):
    #: The office profile packaged with the function ("" for none: the run stops at "Apply review").
    office_profile: str = Field("", alias="OFFICE_PROFILE")


class DocumentsEnvironment(ResultsEnvironment):
    #: A folder of filing templates that replaces the run's (None, as deployed: the run's rule pack's own
    #: set if it has one, else the kit's; blueprint.filings.pipeline).
    templates: str | None = Field(None, alias="CLEARANCE_TEMPLATES")


class RegistryEnvironment(FunctionEnvironment):
    """The run registry's table (functions/registry.py)."""

    table_name: str = Field(alias="TABLE_NAME", min_length=3)


class ResumeEnvironment(RegistryEnvironment):
    topic_arn: str = Field(alias="TOPIC_ARN", pattern=r"^arn:")


class NotifyEnvironment(ResumeEnvironment):
    results_bucket: str = Field(alias="RESULTS_BUCKET", min_length=3)
    upload_bucket: str = Field(alias="UPLOAD_BUCKET", min_length=3)


class IngestEnvironment(RegistryEnvironment):
    """What starts a run: the state machine, and the county's settings every run carries."""

    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN", pattern=r"^arn:")
    county: str = Field(alias="COUNTY", min_length=1)
    policy: str = Field(alias="POLICY", min_length=1)
    #: A fixed evaluation date for every run (None: the upload's date in ``time_zone``).
    evaluation_date: date | None = Field(None, alias="EVALUATION_DATE")
    #: The IANA time zone whose calendar dates an upload (the rule pack's ``time_zone``, or the
    #: county's setting; cdk/settings.py).
    time_zone: str = Field(alias="TIME_ZONE")
    compat: bool = Field(False, alias="COMPAT")
    per_case_documents: bool = Field(False, alias="PER_CASE_DOCUMENTS")
    rows_per_shard: int = Field(250_000, alias="ROWS_PER_SHARD", gt=0)
    office_profile: str = Field("", alias="OFFICE_PROFILE")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name such as America/Los_Angeles") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
