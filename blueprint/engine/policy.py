"""County policies: ordered decision lists written as data, validated with clear errors.

A policy is a list of rules; the first rule whose conditions hold decides a conviction. Each rule
names conditions from the predicate library (``blueprint.engine.predicates``) and an outcome: a
determination, the relief, the statutory basis, a stable reason code and the reason in words.

Where a policy comes from:

- a built-in preset of a rule pack (``california``, ``los-angeles-2020``), a YAML file in
  ``blueprint/rules/<state>/<pack>/presets/``;
- a county's own YAML file, usually ``extends: california`` with its own ``settings``;
- the earlier desktop tool's settings JSON, imported with its exact decision order and labels
  (``blueprint.compat.gogen.settings``).

Settings are named values a rule can use: an argument written ``$name`` takes the setting's value,
a rule with ``enabled_if: name`` is skipped when the setting is off (false, 0 or empty), and
``{name}`` in a reason is replaced by the setting's value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import AbstractSet, Any, Callable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..base.errors import PolicyError
from .filing_rules import Outcome
from .pack_spec import RULES_DIR, pack_texts
from .pack_spec import pack_reliefs as _pack_reliefs
from .pack_texts import TrackBases
from .predicates import PREDICATES
from ..base.yaml_files import Problems, SyntaxProblem, read_located

DEFAULT_PACK = "california/prop64"

#: A rule's ``basis`` that stands for the pack's basis of the conviction's track (``track_bases``).
BY_TRACK = "by_track"


def pack_reliefs(rule_pack: str = DEFAULT_PACK) -> dict[str, dict[str, str]]:
    """The relief kinds a rule pack's policies may name: ``{code: {label, effect_on_record[, doj_disposition]}}``.

    A pack declares them under ``reliefs:`` in its ``pack.yaml`` (docs/forking.md); every pack must.
    Checked with the rest of the file (``blueprint.engine.pack_spec``).
    """
    return _pack_reliefs(str(rule_pack))


#: The default pack's (California's) relief labels by code, from its ``pack.yaml``.
RELIEF_LABELS: dict[str, str] = {code: kind["label"] for code, kind in pack_reliefs(DEFAULT_PACK).items()}


def pack_track_bases(rule_pack: str = DEFAULT_PACK) -> TrackBases | None:
    """The bases a rule with ``basis: by_track`` records, from the pack's ``pack.yaml`` (None if it has none)."""
    return pack_texts(str(rule_pack)).track_bases


class RuleSpec(BaseModel):
    """One rule as written in a policy file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    when: dict[str, Any]
    determination: str
    relief: str | None = None
    basis: str = ""
    reason_code: str = Field(pattern=r"^[A-Z0-9_]+$")
    reason: str
    law: str = ""
    enabled_if: str | None = None
    #: The typed outcome (``eligible``, ``not_eligible``, ``hand_review``, ``out_of_scope``) code
    #: decides on; the determination is only words. A rule with a relief is ``eligible`` (it may say
    #: so); a rule without one must declare it.
    outcome: Outcome | None = None
    # ``relief`` is checked against the rule pack's relief kinds in ``build_policy``.


class PolicySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    description: str = ""
    rule_pack: str = DEFAULT_PACK
    extends: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    rules: list[RuleSpec] | None = None


@dataclass(frozen=True)
class Condition:
    predicate: str
    argument: Any  # validated and with settings substituted


@dataclass(frozen=True)
class Rule:
    """A rule ready to evaluate: conditions all of which must hold (``any`` groups hold if one does)."""

    id: str
    conditions: tuple[Condition | tuple[Condition, ...], ...]
    determination: str
    relief: str | None
    basis: str
    reason_code: str
    reason: str
    law: str
    relief_label: str = ""  # the rule pack's label of ``relief``
    outcome: Outcome = Outcome.HAND_REVIEW

    def predicate_names(self) -> list[str]:
        names: list[str] = []
        for c in self.conditions:
            for one in c if isinstance(c, tuple) else (c,):
                names.append(one.predicate)
        return names


@dataclass(frozen=True)
class Policy:
    """A validated policy: its rules in order, its settings, and a fingerprint of both."""

    name: str
    title: str
    description: str
    rule_pack: str
    settings: dict
    rules: tuple[Rule, ...]
    source: str
    document: dict  # the resolved policy as data (for the manifest, the workbook and hashing)
    relief_labels: dict = field(default_factory=lambda: dict(RELIEF_LABELS))  # the pack's relief kinds
    #: What a rule with ``basis: by_track`` records, by track (the pack's ``track_bases``).
    track_bases: TrackBases | None = None

    def relief_label(self, relief: str) -> str:
        return self.relief_labels.get(relief or "", "")

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.document, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def presets_dir(rule_pack: str = DEFAULT_PACK) -> Path:
    return RULES_DIR / rule_pack / "presets"


def list_presets(rule_pack: str = DEFAULT_PACK) -> list[str]:
    return sorted(p.stem for p in presets_dir(rule_pack).glob("*.yaml"))


def _read_spec(path: Path, problems: Problems | None = None) -> tuple[PolicySpec, dict[int, tuple[int, str]], set[int]]:
    """A policy file as a spec, every problem of its structure added to ``problems``.

    Each rule is checked on its own, so one broken rule hides neither the problems of the others
    nor the rest of the file. Returns the spec, for each of its rules the rule's position in the
    file's ``rules`` list and its label (``rule 2 ('x')``), and the rules that are broken (kept, unvalidated, so that the rest of
    what they say is checked too). Without ``problems`` (a built-in preset), any problem raises.
    """
    own = problems is None
    try:
        located = read_located(path, kind="yaml")
    except SyntaxProblem as exc:
        where = f"{path.name}:{exc.line}" if exc.line else path.name
        raise PolicyError(f"{where}: {exc}") from None
    if problems is None:
        problems = Problems(path.name, located)
    else:
        problems.located = located
    data = located.data
    if not isinstance(data, dict):
        problems.add((), "a policy file is a mapping with 'name' and 'rules'")
        problems.raise_if_any(PolicyError)
    head = {k: v for k, v in data.items() if k != "rules"}
    try:
        spec = PolicySpec.model_validate(head)
    except ValidationError as exc:
        broken_keys = {loc[0] for loc in problems.add_validation(exc) if loc}
        spec = PolicySpec.model_construct(
            **{"name": "", **{k: v for k, v in head.items() if k in PolicySpec.model_fields and k not in broken_keys}}
        )
    raw_rules = data.get("rules")
    rules: list[RuleSpec] | None = None
    origin: dict[int, tuple[int, str]] = {}
    broken: set[int] = set()
    if raw_rules is not None and not isinstance(raw_rules, list):
        problems.add(("rules",), "rules: must be a list of rules")
    elif raw_rules is not None:
        rules = []
        for index, raw in enumerate(raw_rules):
            label = _rule_label(index, raw)
            if not isinstance(raw, dict):
                problems.add(
                    ("rules", index),
                    f"{label}: a rule is a mapping with id, when, determination, reason_code and reason",
                )
                continue
            try:
                rule = RuleSpec.model_validate(raw)
            except ValidationError as exc:
                failed = problems.add_validation(exc, ("rules", index), name=partial(_located, label))
                # Check what can be checked of the rest of the rule too (its conditions, relief...).
                broken_keys = {loc[0] for loc in failed if loc} - {"outcome"}  # kept: no second "missing"
                rule = RuleSpec.model_construct(
                    **{k: v for k, v in raw.items() if k in RuleSpec.model_fields and k not in broken_keys}
                )
                broken.add(len(rules))
            origin[len(rules)] = (index, label)
            rules.append(rule)
    spec = spec.model_copy(update={"rules": rules})
    if own:
        problems.raise_if_any(PolicyError)
    return spec, origin, broken


def _located(label: str, loc: tuple) -> str:
    """A validation problem's place within a rule: ``rule 2 ('x'): when.age``."""
    return f"{label}: " + ".".join(map(str, loc))


def _rule_label(index: int, raw: Any) -> str:
    """``rule 2 ('broken')`` rather than pydantic's ``rules.1``."""
    rule_id = raw.get("id", "?") if isinstance(raw, dict) else "?"
    return f"rule {index + 1} ('{rule_id}')"


def _load_yaml(path: Path, source: str) -> Policy:
    problems = Problems(path.name)
    spec, origin, broken = _read_spec(path, problems)
    settings: dict[str, Any] = {}
    rules = spec.rules
    inherited = False
    if spec.extends:
        base_path = presets_dir(spec.rule_pack) / f"{spec.extends}.yaml"
        if not base_path.exists():
            problems.add(("extends",), f"extends '{spec.extends}', which is not a preset of {spec.rule_pack}")
        else:
            base, _, _ = _read_spec(base_path)
            settings.update(base.settings)
            if rules is None:
                rules, inherited = base.rules, True
            for unknown in sorted(set(spec.settings) - set(base.settings)):
                problems.add(
                    ("settings", unknown),
                    f"unknown setting '{unknown}' for preset '{spec.extends}'; "
                    f"known settings: {', '.join(sorted(base.settings))}",
                )
    settings.update(spec.settings)
    if (rules is None and not spec.extends) or (rules is not None and len(rules) == 0):
        problems.add(("rules",), "a policy needs at least one rule")
    placed = (lambda i: None) if inherited else (lambda i: ("rules", origin[i][0]))
    # A setting the county file gives, used by a rule of the preset it extends: a problem with the
    # value is the setting's, at its line in the county file.
    own_settings = set(spec.settings) if inherited else set()
    policy = _build(
        spec.model_copy(update={"rules": rules or [], "settings": settings}),
        source,
        problems,
        placed=placed,
        own_settings=own_settings,
        labels=None if inherited else {i: label for i, (_, label) in origin.items()},
        broken=set() if inherited else broken,
    )
    problems.raise_if_any(PolicyError)
    return policy


def build_policy(
    spec: PolicySpec,
    source: str,
    where: str = "policy",
    *,
    problems: Problems | None = None,
    placed: Callable[[int], tuple | None] | None = None,
    labels: dict[int, str] | None = None,
) -> Policy:
    """Validate every rule against the predicate library and the settings; resolve ``$`` references.

    Every problem is reported at once (``PolicyError``). By default the messages name ``where``; a
    caller whose rules come from a file gives its ``problems`` (the file and its lines), ``placed(i)``
    (the path of rule ``i`` in the file) and ``labels`` (how the messages name each rule).
    """
    problems = Problems(where) if problems is None else problems
    policy = _build(spec, source, problems, placed=placed or (lambda i: None), labels=labels)
    problems.raise_if_any(PolicyError)
    return policy


def _build(
    spec: PolicySpec,
    source: str,
    problems: Problems,
    *,
    placed=lambda i: None,
    own_settings: AbstractSet[str] = frozenset(),
    labels: dict[int, str] | None = None,
    broken: AbstractSet[int] = frozenset(),
) -> Policy:
    """Check every rule (all problems to ``problems``) and build the policy from the sound ones.

    ``placed(i)`` is the path of rule ``i`` in the file (None for a rule the file inherits);
    ``labels`` names rule ``i`` as the file has it, for the messages ("rule 3 ('x')");
    ``broken`` rules failed their structure check: what they say is checked, but they are not built.
    """
    rules: list[Rule] = []
    seen: set[str] = set()
    reliefs: dict[str, dict[str, str]] = {}
    track_bases: TrackBases | None = None
    try:
        reliefs = pack_reliefs(spec.rule_pack)
        track_bases = pack_track_bases(spec.rule_pack)
    except (OSError, yaml.YAMLError) as exc:
        problems.add(("rule_pack",), f"rule pack '{spec.rule_pack}' cannot be read ({exc.__class__.__name__})")
    except PolicyError as exc:
        problems.add(("rule_pack",), str(exc))
    relief_labels = {code: kind["label"] for code, kind in reliefs.items()}
    for index, rs in enumerate(spec.rules or []):
        label = (labels or {}).get(index) or f"rule {index + 1} ('{getattr(rs, 'id', None) or '?'}')"
        at = placed(index)

        def report(key: tuple, message: str, setting: str | None = None, at=at) -> None:
            if at is not None:
                problems.add(at + key, message)
            elif setting in own_settings:
                problems.add(("settings", setting), message)
            else:
                problems.add(("extends",), message)

        rule_id = getattr(rs, "id", None)
        if rule_id is not None:
            if rule_id in seen:
                report(("id",), f"{label}: duplicate rule id")
            seen.add(rule_id)
        enabled_if = getattr(rs, "enabled_if", None)
        if enabled_if is not None:
            if enabled_if not in spec.settings:
                report(("enabled_if",), f"{label}: enabled_if names unknown setting '{enabled_if}'")
                continue
            if not spec.settings[enabled_if]:
                continue
        conditions: list[Condition | tuple[Condition, ...]] = []  # a tuple: an "any" group
        when = getattr(rs, "when", None)
        for name, raw in when.items() if isinstance(when, dict) else ():
            if name == "any":
                if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
                    report(("when", "any"), f"{label}: 'any' expects a list of conditions")
                    continue
                group = []
                for position, item in enumerate(raw):
                    for n2, r2 in item.items():
                        c = _condition(
                            n2,
                            r2,
                            spec.settings,
                            label,
                            lambda m, setting=None, k=("when", "any", position, n2): report(k, m, setting),
                        )
                        if c:
                            group.append(c)
                conditions.append(tuple(group))
                continue
            c = _condition(
                name, raw, spec.settings, label, lambda m, setting=None, k=("when", name): report(k, m, setting)
            )
            if c:
                conditions.append(c)
        reason = getattr(rs, "reason", None)
        if isinstance(reason, str):
            try:
                reason = reason.format_map(spec.settings)
            except (KeyError, ValueError) as exc:
                report(("reason",), f"{label}: reason refers to unknown setting {exc}")
        relief = getattr(rs, "relief", None)
        if relief is not None and relief not in relief_labels:
            report(("relief",), f"{label}: unknown relief '{relief}'; allowed: {', '.join(relief_labels)}")
        if getattr(rs, "basis", "") == BY_TRACK and track_bases is None and reliefs:
            report(("basis",), f"{label}: basis '{BY_TRACK}' needs 'track_bases' in the rule pack's pack.yaml")
        declared = getattr(rs, "outcome", None)  # a broken rule keeps a wrong value: reported already
        typed = declared if declared in tuple(Outcome) else None
        outcome = rule_outcome(declared, relief)
        if declared is None and not relief:
            report(
                (),
                f"{label}: outcome: missing; a rule without a relief declares its outcome "
                f"({', '.join(o.value for o in Outcome if o is not Outcome.ELIGIBLE)})",
            )
        elif typed == Outcome.ELIGIBLE and not relief:
            report(("outcome",), f"{label}: outcome 'eligible' needs a relief")
        elif typed not in (None, Outcome.ELIGIBLE) and relief:
            report(("outcome",), f"{label}: outcome '{typed}' cannot come with a relief ('{relief}')")
        if index in broken:
            continue
        assert isinstance(reason, str), "a sound rule's spec has its reason"
        rules.append(
            Rule(
                id=rs.id,
                conditions=tuple(conditions),
                determination=rs.determination,
                relief=rs.relief,
                basis=rs.basis,
                reason_code=rs.reason_code,
                reason=reason,
                law=rs.law,
                relief_label=relief_labels.get(rs.relief or "", ""),
                outcome=outcome,
            )
        )
    document = {
        "name": spec.name,
        "title": spec.title,
        "rule_pack": spec.rule_pack,
        "settings": spec.settings,
        "rules": [
            {
                "id": r.id,
                "when": [_condition_doc(c) for c in r.conditions],
                "determination": r.determination,
                "relief": r.relief,
                "basis": r.basis,
                "reason_code": r.reason_code,
                "reason": r.reason,
                "outcome": r.outcome.value,
            }
            for r in rules
        ],
    }
    return Policy(
        name=spec.name,
        title=spec.title or spec.name,
        description=(spec.description or "").strip(),
        rule_pack=spec.rule_pack,
        settings=dict(spec.settings),
        rules=tuple(rules),
        source=source,
        document=document,
        relief_labels=relief_labels,
        track_bases=track_bases,
    )


def rule_outcome(declared: Outcome | str | None, relief: str | None) -> Outcome:
    """A rule's typed outcome: the one it declares, else ``eligible`` for a rule with a relief.

    A rule without either is reported by the policy's check; it is given ``hand_review`` here only so
    that the rest of the policy can still be checked. Never derived from the determination's words.
    """
    if declared in tuple(Outcome):  # a wrong value is reported by the validation, not here
        return Outcome(declared)
    return Outcome.ELIGIBLE if relief else Outcome.HAND_REVIEW


def _condition(name: str, raw: Any, settings: dict, label: str, report: Callable[..., None]) -> Condition | None:
    """One condition, validated; a problem goes to ``report(message, setting)`` (the setting it came from)."""
    predicate = PREDICATES.get(name)
    if predicate is None:
        report(f"{label}: unknown condition '{name}'; known: {', '.join(sorted(PREDICATES))}")
        return None
    used: list[str] = []
    value = _substitute(raw, settings, label, report, used)
    if value is _MISSING:
        return None
    try:
        return Condition(name, predicate.validate(value))
    except ValueError as exc:
        report(f"{label}: condition '{name}' {exc}", used[0] if used else None)
        return None


_MISSING = object()


def _substitute(raw: Any, settings: dict, label: str, report: Callable[..., None], used: list[str]) -> Any:
    if isinstance(raw, str) and raw.startswith("$"):
        key = raw[1:]
        if key not in settings:
            report(f"{label}: refers to unknown setting '{key}'")
            return _MISSING
        used.append(key)
        return settings[key]
    if isinstance(raw, dict):
        out = {k: _substitute(v, settings, label, report, used) for k, v in raw.items()}
        return _MISSING if any(v is _MISSING for v in out.values()) else out
    if isinstance(raw, list):
        items = [_substitute(v, settings, label, report, used) for v in raw]
        return _MISSING if any(v is _MISSING for v in items) else items
    return raw


def _condition_doc(c) -> Any:
    if isinstance(c, tuple):
        return {"any": [_condition_doc(x) for x in c]}
    arg = c.argument
    if hasattr(arg, "dtype"):
        arg = str(arg)
    elif isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], float):
        arg = {arg[0]: arg[1]}
    elif isinstance(arg, tuple):
        arg = list(arg)
    return {c.predicate: arg}
