"""The county's deployment choices, read from CDK context (defaults in the repository's `cdk.json`).

Every key is prefixed with ``clearance:`` so it cannot collide with CDK's own context keys. A county
overrides a value either in `cdk.json` or on the command line, for example
``npx cdk deploy -c clearance:county="LOS ANGELES" -c clearance:notificationEmails=a@x.gov,b@x.gov``.
Values given on the command line arrive as strings; this module turns them into the right types and
refuses values that would deploy a broken pipeline, naming the key and what is allowed.

Every problem stops synthesis with one line naming the key (:class:`SettingsError`), all problems at
once: a ``clearance:*`` key that is not a setting (a misspelling such as ``notificationEmail`` would
otherwise be ignored, and its value with it) with the closest real key; a policy that is neither a
built-in preset nor a valid policy file; a value of the wrong type or out of range. A build meant
for deployment (``lambdaBundling`` ``pip``, what ``cdk deploy`` builds) also stops when nobody would
be notified or no office profile is set, unless the county waives that on purpose
(``clearance:allowNoNotifications``, ``clearance:allowNoOfficeProfile``).
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The repository root: policy and office-profile paths in context are relative to it.
REPO_ROOT = Path(__file__).resolve().parent.parent

PREFIX = "clearance:"

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_COUNTY = re.compile(r"^[A-Z][A-Z .'-]*[A-Z]$")


class SettingsError(ValueError):
    """The deployment settings cannot be used; ``problems`` holds one line per problem, each naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _key(field_name: str) -> str:
    """The context key of a field, as the county writes it (``clearance:retentionDays``)."""
    field = DeploymentSettings.model_fields[field_name]
    return PREFIX + (field.alias or field_name)


class DeploymentSettings(BaseModel):
    """What one county's stack is configured with. Field names are the context keys without prefix."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    county: str = Field(description="The county as DOJ writes it in STP_ORI_CNTY_NAME, upper case, e.g. 'LOS ANGELES'.")
    policy: str = Field(
        "california",
        description="A built-in policy preset name, or a path (relative to the repository) to a policy file.",
    )
    office_profile: str = Field(
        "",
        alias="officeProfile",
        description="Path (relative to the repository) to the office profile used on filings; empty uses "
        "the kit's example profile.",
    )
    notification_emails: tuple[str, ...] = Field(
        (), alias="notificationEmails", description="Addresses that receive run notifications and alarms."
    )
    evaluation_date: str = Field(
        "",
        alias="evaluationDate",
        description="Fixed evaluation date (YYYY-MM-DD) for every run; empty means the upload's date in the "
        "county's time zone (timeZone).",
    )
    time_zone: str = Field(
        "",
        alias="timeZone",
        description="The IANA time zone whose calendar dates an upload (e.g. 'America/Los_Angeles'); empty uses "
        "the rule pack's time_zone (pack.yaml).",
    )
    compat: bool = Field(
        False,
        description="Reserved: carried to the run, but the cloud pipeline does not yet "
        "write the earlier tool's result files (the local run does).",
    )
    retention_days: int = Field(
        365,
        alias="retentionDays",
        description="Days uploads and results are kept before S3 deletes them; 0 keeps them until removed by hand.",
    )
    noncurrent_version_days: int = Field(
        30, alias="noncurrentVersionDays", description="Days an overwritten or deleted object version is kept."
    )
    work_retention_days: int = Field(
        30,
        alias="workRetentionDays",
        description="Days the pipeline's intermediate files (shards, document batches) are kept.",
    )
    access_log_retention_days: int = Field(
        730, alias="accessLogRetentionDays", description="Days S3 server-access logs and CloudTrail files are kept."
    )
    log_retention_days: int = Field(
        365, alias="logRetentionDays", description="Days CloudWatch Logs of the functions and state machine are kept."
    )
    audit_trail: bool = Field(
        True,
        alias="auditTrail",
        description="Create a CloudTrail trail with S3 data events; switch off when an organisation trail covers it.",
    )
    per_case_documents: bool = Field(
        False, alias="perCaseDocuments", description="Also render one document per conviction (not only the bulk set)."
    )
    review_timeout_days: int = Field(
        120, alias="reviewTimeoutDays", description="How long a run waits for the office's review before it fails."
    )
    rows_per_shard: int = Field(
        250_000, alias="rowsPerShard", description="Input rows per evaluation shard (whole people per shard)."
    )
    max_concurrency: int = Field(
        40, alias="maxConcurrency", description="Shards or document batches processed at the same time."
    )
    allow_no_notifications: bool = Field(
        False,
        alias="allowNoNotifications",
        description="Deploy without notification addresses on purpose (nobody is told of results or failures).",
    )
    allow_no_office_profile: bool = Field(
        False,
        alias="allowNoOfficeProfile",
        description="Deploy without an office profile on purpose (every run stops at 'Apply review' until one is set).",
    )
    fips_endpoints: bool = Field(
        False,
        alias="fipsEndpoints",
        description="Make the functions call AWS through FIPS 140 endpoints (AWS_USE_FIPS_ENDPOINT), for "
        "GovCloud or CJIS deployments that require them; see docs/deployment.md.",
    )
    lambda_bundling: Literal["pip", "source"] = Field(
        "pip",
        alias="lambdaBundling",
        description="'pip' installs the dependencies into the Lambda packages (deployments); 'source' packages "
        "only the source folders, for fast offline synthesis in tests.",
    )

    @field_validator("county")
    @classmethod
    def _county_as_doj_writes_it(cls, value: str) -> str:
        value = value.strip()
        if not _COUNTY.match(value):
            raise ValueError(
                f"clearance:county must be the county name in upper case as DOJ writes it (e.g. 'LOS ANGELES'), got {value!r}"
            )
        return value

    @field_validator("notification_emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        emails = tuple(value or ())
        for email in emails:
            if not _EMAIL.match(email):
                raise ValueError(f"clearance:notificationEmails has an invalid address: {email!r}")
        return emails

    @field_validator("evaluation_date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"clearance:evaluationDate must be a date written YYYY-MM-DD, got {value!r}") from None
        return value

    @field_validator(
        "retention_days",
        "work_retention_days",
        "noncurrent_version_days",
        "access_log_retention_days",
        "log_retention_days",
        "review_timeout_days",
        "rows_per_shard",
        "max_concurrency",
    )
    @classmethod
    def _non_negative(cls, value: int, info) -> int:
        minimum = 0 if info.field_name == "retention_days" else 1
        if value < minimum:
            raise ValueError(f"{_key(info.field_name)} must be at least {minimum}, got {value}")
        return value

    @field_validator("review_timeout_days")
    @classmethod
    def _within_a_year(cls, value: int) -> int:
        # A standard Step Functions execution lasts at most one year; leave room for the other steps.
        if value > 360:
            raise ValueError(
                f"clearance:reviewTimeoutDays must be at most 360 (a run lasts at most a year), got {value}"
            )
        return value

    @field_validator("policy", "office_profile")
    @classmethod
    def _file_exists_when_a_path(cls, value: str, info) -> str:
        value = value.strip()
        looks_like_path = "/" in value or "." in value
        if value and looks_like_path and not (REPO_ROOT / value).is_file():
            raise ValueError(f"{_key(info.field_name)} names a file that does not exist: {value}")
        return value

    @field_validator("policy")
    @classmethod
    def _a_preset_or_a_valid_policy_file(cls, value: str) -> str:
        from blueprint.base.errors import PolicyError
        from blueprint.engine.policy import list_presets
        from blueprint.run.policies import load_policy

        if "/" not in value and "." not in value:
            presets = list_presets()
            if value not in presets:
                close = difflib.get_close_matches(value, presets, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ValueError(
                    f"clearance:policy '{value}' is not a built-in preset (allowed: {', '.join(presets)}) "
                    f"nor a path to a policy file{hint}"
                )
            return value
        try:
            load_policy(REPO_ROOT / value)
        except PolicyError as exc:
            raise ValueError(f"clearance:policy {value} is not a valid policy: {exc}") from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _iana_time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = value.strip()
        try:
            if value:
                ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"clearance:timeZone '{value}' is not an IANA time zone name such as America/Los_Angeles"
            ) from None
        return value

    @model_validator(mode="after")
    def _a_time_zone(self) -> "DeploymentSettings":
        if not self.run_time_zone:
            raise ValueError("clearance:timeZone is required: the policy's rule pack declares no time_zone")
        return self

    @property
    def run_time_zone(self) -> str:
        """The time zone that dates the runs: the county's setting, else the rule pack's ``time_zone``."""
        if self.time_zone:
            return self.time_zone
        from blueprint.run.policies import load_policy
        from blueprint.engine.rulepack import load_rule_pack

        policy = load_policy(self.policy_file or self.policy)
        return load_rule_pack(policy.rule_pack).time_zone or ""

    @model_validator(mode="after")
    def _office_profile_for_this_county(self) -> "DeploymentSettings":
        """The profile must load and be the office of this county (filings print it)."""
        if self.office_profile_file is None:
            return self
        from blueprint.filings.profile import ProfileError, load_profile

        try:
            profile = load_profile(self.office_profile_file)
        except ProfileError as exc:
            raise ValueError(f"clearance:officeProfile {self.office_profile} cannot be used: {exc}") from None
        if profile.county.strip().upper() != self.county:
            raise ValueError(
                f"clearance:officeProfile is for county {profile.county!r} but clearance:county is {self.county!r}"
            )
        return self

    def deployment_problems(self) -> list[str]:
        """What would make a deployed stack useless to the office, unless the county waived it."""
        problems = []
        if not self.notification_emails and not self.allow_no_notifications:
            problems.append(
                "clearance:notificationEmails is empty: nobody would be told when a review or the filings are ready, "
                "or when a run fails. Set it (e.g. -c clearance:notificationEmails=da-clearance@county.gov), or set "
                "clearance:allowNoNotifications=true to deploy without notifications on purpose"
            )
        if not self.office_profile and not self.allow_no_office_profile:
            problems.append(
                "clearance:officeProfile is empty: every run would stop at 'Apply review', because the filings print "
                "the office's details. Set it to the office's filled-in copy of "
                "templates/office-profile.example.yaml, or set clearance:allowNoOfficeProfile=true to deploy without "
                "one for now"
            )
        return problems

    # -- derived ---------------------------------------------------------------------------------

    @property
    def slug(self) -> str:
        """The county in a form usable in resource names: 'LOS ANGELES' -> 'los-angeles'."""
        return re.sub(r"[^a-z0-9]+", "-", self.county.lower()).strip("-")

    @property
    def policy_file(self) -> Path | None:
        """The policy file to package with the functions, or None for a built-in preset."""
        return REPO_ROOT / self.policy if ("/" in self.policy or "." in self.policy) else None

    @property
    def office_profile_file(self) -> Path | None:
        return REPO_ROOT / self.office_profile if self.office_profile else None

    @classmethod
    def keys(cls) -> list[str]:
        """Every setting's context key, with the prefix."""
        return [PREFIX + (field.alias or name) for name, field in cls.model_fields.items()]

    @classmethod
    def from_context(
        cls,
        try_get_context: Callable[[str], Any],
        all_context: Mapping[str, Any] | None = None,
        *,
        deployable: bool = False,
    ) -> "DeploymentSettings":
        """Read every ``clearance:*`` key through CDK's ``node.try_get_context``.

        Strings from the command line ("365", "true", "a@x.gov,b@x.gov") are converted by the field types.
        ``all_context`` (``node.get_all_context()``) lets unknown ``clearance:*`` keys be refused;
        ``deployable`` adds :meth:`deployment_problems` for a build meant for deployment. Raises
        :class:`SettingsError` with every problem, one line each.
        """
        problems = unknown_keys(all_context or {})
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            key = field.alias or name
            raw = try_get_context(PREFIX + key)
            if raw is None:
                continue
            values[key] = raw
        settings = None
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            problems += [_problem(error, values) for error in exc.errors()]
        if settings is not None and deployable and settings.lambda_bundling == "pip":
            problems += settings.deployment_problems()
        if problems:
            raise SettingsError(problems)
        return settings


def unknown_keys(context: Mapping[str, Any]) -> list[str]:
    """One line per ``clearance:*`` key that is not a setting, with the closest real key."""
    known = DeploymentSettings.keys()
    by_case = {k.casefold(): k for k in known}
    problems = []
    for key in sorted(k for k in context if k.startswith(PREFIX) and k not in known):
        guess = by_case.get(key.casefold()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.6)), None)
        hint = f"; did you mean {guess}?" if guess else "; the settings are listed in docs/deployment.md"
        problems.append(f"{key} is not a setting of the kit, so its value would be ignored{hint}")
    return problems


_ALLOWED = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
}


def _problem(error: dict, values: Mapping[str, Any]) -> str:
    """A pydantic error as one line naming the context key, what is allowed, and the value given."""
    loc = [str(part) for part in error.get("loc") or ()]
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if message.startswith(PREFIX):  # the field's own validator already names the key
        return message
    key = PREFIX + loc[0] if loc else "clearance settings"
    allowed = _ALLOWED.get(error.get("type", ""))
    given = values.get(loc[0]) if loc else None
    what = f"must be {allowed}" if allowed else message[:1].lower() + message[1:]
    return f"{key} {what}" + (f", got {given!r}" if given is not None and loc else "")
