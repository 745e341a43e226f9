"""Importing the earlier desktop tool's settings file as a policy, with its exact decision order.

Many prosecutors ran the 2019-2020 review with a desktop app whose settings are a small JSON file
(``baselineEligibility``: the sections to dismiss or reduce; ``additionalRelief``: the optional
grounds below; docs/policy-reference.md). Importing it lets an office switch to this kit and check
its old results. The decision order and the reason labels are the old tool's, word for word:

1. not a felony -> Eligible for Dismissal, "Misdemeanor or Infraction"
2. section in ``dismiss`` -> Eligible for Dismissal, "Dismiss all HS <section> convictions"
3. under 21 on the conviction date (option) -> "21 years or younger"
4. N or older on the evaluation date (threshold) -> "<N> years or older"
5. conviction on or before the evaluation date minus N years -> "Conviction occurred <N> or more years ago"
6. most recent conviction before the evaluation date minus N years -> "No convictions in the past <N> years"
7. every conviction is HS 11357-11360 (option) -> "Only has 11357-60 charges"
8. deceased (option) -> "Individual is deceased"
9. section in ``reduce`` -> Eligible for Reduction, "Reduce all HS <section> convictions"
10. otherwise -> no determination

Super strikes, PC 290 and the 9 November 2016 date are informational in this mode, as they were in
the old tool; applying them here would make the results differ. Where the old tool guessed on bad
data (a partial date read as year 1), this kit sends the conviction to hand review instead.

Validation is stricter than the old engine's: an unknown section, a value out of range or a wrong
type is a configuration error naming the key, the value, the allowed range and the line; every
mistake of the file is listed at once. Unknown extra keys
the desktop app wrote (``dismissOlderThanAgeThreshold`` …) are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...engine.policy import PolicyError, PolicySpec, RuleSpec, build_policy
from ...base.yaml_files import Problems, SyntaxProblem, read_located

SECTIONS = ("11357", "11358", "11359", "11360")

#: key -> (kind, allowed) where kind is "bool" or a range of thresholds with 0 meaning off.
ADDITIONAL_RELIEF = {
    "subjectUnder21AtConviction": ("bool", None),
    "subjectAgeThreshold": ("threshold", (40, 65)),
    "yearsSinceConvictionThreshold": ("threshold", (1, 15)),
    "yearsCrimeFreeThreshold": ("threshold", (1, 15)),
    "subjectHasOnlyProp64Charges": ("bool", None),
    "subjectIsDeceased": ("bool", None),
}


def _sections(key: tuple[str, str], raw: Any, problems: Problems) -> list[str]:
    where = ".".join(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(key, f"{where} must be a list of sections ({', '.join(SECTIONS)}), got {raw!r}")
        return []
    out = []
    for position, value in enumerate(raw):
        text = str(value).strip()
        if text not in SECTIONS:
            problems.add(key + (position,), f"{where} has section {value!r}; allowed: {', '.join(SECTIONS)}")
            continue
        out.append(text)
    return out


def settings_to_spec(settings: dict, name: str = "desktop-settings", problems: Problems | None = None) -> PolicySpec:
    """Validate a settings document and express it as a policy (see the module docstring).

    Every mistake is reported, not only the first: each goes to ``problems`` (with the path of its
    key, for its line in the file); without ``problems``, a :class:`PolicyError` lists them all.
    """
    own = problems is None
    problems = Problems() if problems is None else problems
    if not isinstance(settings, dict):
        problems.add((), "settings file must be a JSON object with 'baselineEligibility' and 'additionalRelief'")
        problems.raise_if_any(PolicyError)
    baseline = settings.get("baselineEligibility") or {}
    if not isinstance(baseline, dict):
        problems.add(
            ("baselineEligibility",), "baselineEligibility must be an object with 'dismiss' and 'reduce' lists"
        )
        baseline = {}
    for key in baseline:
        if key not in ("dismiss", "reduce"):
            problems.add(
                ("baselineEligibility", key), f"baselineEligibility.{key} is not a known key; allowed: dismiss, reduce"
            )
    dismiss = _sections(("baselineEligibility", "dismiss"), baseline.get("dismiss"), problems)
    reduce = _sections(("baselineEligibility", "reduce"), baseline.get("reduce"), problems)
    for both in sorted(set(dismiss) & set(reduce)):
        problems.add(
            ("baselineEligibility", "reduce"),
            f"section {both} is in both baselineEligibility.dismiss and baselineEligibility.reduce",
        )

    extra = settings.get("additionalRelief") or {}
    if not isinstance(extra, dict):
        problems.add(("additionalRelief",), "additionalRelief must be an object")
        extra = {}
    values: dict[str, Any] = {}
    for key, (kind, allowed) in ADDITIONAL_RELIEF.items():
        value = extra.get(key, False if kind == "bool" else 0)
        if kind == "bool":
            if not isinstance(value, bool):
                problems.add(
                    ("additionalRelief", key), f"additionalRelief.{key} = {value!r}: allowed values are true or false"
                )
                value = False
        else:
            lo, hi = allowed  # type: ignore[misc]  # every threshold has its bounds
            if isinstance(value, bool) or not isinstance(value, int) or not (value == 0 or lo <= value <= hi):
                problems.add(
                    ("additionalRelief", key),
                    f"additionalRelief.{key} = {value!r}: allowed values are 0 (off) or {lo}-{hi}",
                )
                value = 0
        values[key] = value
    if own:
        problems.raise_if_any(PolicyError)

    def dismissal(rule_id: str, when: dict, reason_code: str, reason: str) -> dict:
        return dict(
            id=rule_id,
            when=when,
            determination="Eligible for Dismissal",
            relief="dismiss_and_seal",
            basis="by_track",
            reason_code=reason_code,
            reason=reason,
        )

    rules = [dismissal("not-felony", {"felony": False}, "MISDEMEANOR_OR_INFRACTION", "Misdemeanor or Infraction")]
    rules += [
        dismissal(f"dismiss-{s}", {"section_in": [s]}, "BASELINE_DISMISS", f"Dismiss all HS {s} convictions")
        for s in dismiss
    ]
    # The additional-relief options, in the old tool's order (rules 3-8 of its decision list).
    for key, rule_id, when, reason_code, reason in (
        (
            "subjectUnder21AtConviction",
            "under-21-at-conviction",
            lambda n: {"age_at_conviction": {"under": 21}},
            "ADDITIONAL_UNDER_21",
            lambda n: "21 years or younger",
        ),
        (
            "subjectAgeThreshold",
            "age-threshold",
            lambda n: {"age_on_evaluation_date": {"at_least": n}},
            "ADDITIONAL_AGE",
            lambda n: f"{n} years or older",
        ),
        (
            "yearsSinceConvictionThreshold",
            "years-since-conviction",
            lambda n: {"years_since_conviction": {"at_least": n}},
            "ADDITIONAL_YEARS_SINCE",
            lambda n: f"Conviction occurred {n} or more years ago",
        ),
        (
            "yearsCrimeFreeThreshold",
            "crime-free",
            lambda n: {"years_without_conviction": {"at_least": n}},
            "ADDITIONAL_CRIME_FREE",
            lambda n: f"No convictions in the past {n} years",
        ),
        (
            "subjectHasOnlyProp64Charges",
            "only-cannabis",
            lambda n: {"only_cannabis_convictions": True},
            "ADDITIONAL_ONLY_CANNABIS",
            lambda n: "Only has 11357-60 charges",
        ),
        (
            "subjectIsDeceased",
            "deceased",
            lambda n: {"deceased": True},
            "ADDITIONAL_DECEASED",
            lambda n: "Individual is deceased",
        ),
    ):
        n = values[key]
        if n:
            rules.append(dismissal(rule_id, when(n), reason_code, reason(n)))
    rules += [
        dict(
            id=f"reduce-{s}",
            when={"section_in": [s]},
            determination="Eligible for Reduction",
            relief="redesignate_misdemeanor",
            basis="by_track",
            reason_code="BASELINE_REDUCE",
            reason=f"Reduce all HS {s} convictions",
        )
        for s in reduce
    ]
    return PolicySpec(
        name=name,
        title="Imported desktop-tool settings",
        description="Decision order and labels of the earlier desktop tool, imported from its settings file.",
        settings={"dismiss": dismiss, "reduce": reduce, **values},
        rules=[RuleSpec(**r) for r in rules],
    )


def policy_from_settings(settings: dict, name: str = "desktop-settings", source: str = "settings"):
    return build_policy(settings_to_spec(settings, name), source=source, where=name)


def policy_from_settings_file(path: Path):
    """The settings file as a policy; every mistake in it is reported at once, with its key and line."""
    path = Path(path)
    try:
        located = read_located(path, kind="json")
    except SyntaxProblem as exc:
        raise PolicyError(f"{path.name}:{exc.line}: {exc}") from None
    problems = Problems(path.name, located)
    spec = settings_to_spec(located.data, name=path.stem, problems=problems)
    problems.raise_if_any(PolicyError)
    return build_policy(spec, source=str(path), where=path.name)
