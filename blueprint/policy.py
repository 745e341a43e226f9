"""County policies: ordered decision lists written as data, validated with clear errors.

A policy is a list of rules; the first rule whose conditions hold decides a conviction. Each rule
names conditions from the predicate library (``blueprint.predicates``) and an outcome: a
determination, the relief, the statutory basis, a stable reason code and the reason in words.

Where a policy comes from:

- a built-in preset of a rule pack (``california``, ``los-angeles-2020``), a YAML file in
  ``blueprint/rules/<state>/<pack>/presets/``;
- a county's own YAML file, usually ``extends: california`` with its own ``settings``;
- the earlier desktop tool's settings JSON, imported with its exact decision order and labels
  (``blueprint.gogen_settings``).

Settings are named values a rule can use: an argument written ``$name`` takes the setting's value,
a rule with ``enabled_if: name`` is skipped when the setting is off (false, 0 or empty), and
``{name}`` in a reason is replaced by the setting's value.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PolicyError
from .predicates import PREDICATES
from .yaml_files import safe_load, yaml_problem

RULES_DIR = Path(__file__).parent / "rules"
DEFAULT_PACK = "california/prop64"

RELIEF_LABELS = {
    "dismiss_and_seal": "Dismiss and seal",
    "redesignate_misdemeanor": "Redesignate as misdemeanor",
    "redesignate_infraction": "Redesignate as infraction",
    "recall_and_resentence": "Recall and resentence",
}

#: What each relief does to the conviction on the person's record (``blueprint.outcomes``):
#: ``removed`` (no conviction left), ``misdemeanor`` or ``infraction`` (a felony becomes that level).
RECORD_EFFECTS = ("removed", "misdemeanor", "infraction")

#: The relief kinds of a rule pack that declares none (California's, HS 11361.8).
DEFAULT_RELIEFS: dict[str, dict[str, str]] = {
    "dismiss_and_seal": {"label": RELIEF_LABELS["dismiss_and_seal"], "effect_on_record": "removed"},
    "redesignate_misdemeanor": {"label": RELIEF_LABELS["redesignate_misdemeanor"], "effect_on_record": "misdemeanor"},
    "redesignate_infraction": {"label": RELIEF_LABELS["redesignate_infraction"], "effect_on_record": "infraction"},
    "recall_and_resentence": {"label": RELIEF_LABELS["recall_and_resentence"], "effect_on_record": "misdemeanor"},
}


def pack_reliefs(rule_pack: str = DEFAULT_PACK) -> dict[str, dict[str, str]]:
    """The relief kinds a rule pack's policies may name: ``{code: {label, effect_on_record}}``.

    A pack declares them under ``reliefs:`` in its ``pack.yaml`` (docs/forking.md); a pack that
    declares none uses California's (:data:`DEFAULT_RELIEFS`).
    """
    return _pack_reliefs(str(rule_pack))


@lru_cache(maxsize=16)
def _pack_reliefs(rule_pack: str) -> dict[str, dict[str, str]]:
    folder = Path(rule_pack) if Path(rule_pack).is_absolute() else RULES_DIR / rule_pack
    meta_path = folder / "pack.yaml"
    meta = safe_load(meta_path.read_text()) if meta_path.is_file() else None
    declared = (meta or {}).get("reliefs")
    if not declared:
        return DEFAULT_RELIEFS
    if not isinstance(declared, dict):
        raise PolicyError(f"rule pack '{rule_pack}': 'reliefs' is a mapping of relief codes")
    out: dict[str, dict[str, str]] = {}
    for code, spec in declared.items():
        if not re.match(r"^[a-z][a-z0-9_]*$", str(code)):
            raise PolicyError(f"rule pack '{rule_pack}': relief code '{code}' must be lower_case_with_underscores")
        spec = spec or {}
        label = str(spec.get("label", "")).strip() if isinstance(spec, dict) else ""
        effect = spec.get("effect_on_record") if isinstance(spec, dict) else None
        if not label:
            raise PolicyError(f"rule pack '{rule_pack}': relief '{code}' needs a label")
        if effect not in RECORD_EFFECTS:
            raise PolicyError(f"rule pack '{rule_pack}': relief '{code}' effect_on_record must be one of "
                              f"{', '.join(RECORD_EFFECTS)}")
        out[str(code)] = {"label": label, "effect_on_record": effect}
    return out


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

    def predicate_names(self) -> list[str]:
        names: list[str] = []
        for c in self.conditions:
            for one in (c if isinstance(c, tuple) else (c,)):
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


def load_policy(ref: str | Path, *, rule_pack: str = DEFAULT_PACK) -> Policy:
    """Load a preset by name, a policy YAML file, or the earlier tool's settings JSON.

    A preset of another rule pack is named ``<pack>:<preset>``, e.g. ``illinois/crta:default``.
    """
    path = Path(ref)
    if isinstance(ref, str) and ":" in ref and not path.exists():
        pack_name, _, preset_name = ref.rpartition(":")
        if pack_name and preset_name and (RULES_DIR / pack_name / "pack.yaml").is_file():
            rule_pack, ref = pack_name, preset_name
            path = Path(ref)
    if path.suffix.lower() == ".json" and path.exists():
        from .gogen_settings import policy_from_settings_file

        return policy_from_settings_file(path)
    if path.suffix.lower() in (".yaml", ".yml") and path.exists():
        return _load_yaml(path, source=str(path))
    preset = presets_dir(rule_pack) / f"{ref}.yaml"
    if preset.exists():
        return _load_yaml(preset, source=f"preset:{ref}")
    known = ", ".join(list_presets(rule_pack))
    raise PolicyError(f"policy '{ref}' is neither a preset ({known}) nor an existing .yaml or .json file")


def _read_spec(path: Path) -> PolicySpec:
    try:
        data = safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML ({yaml_problem(exc)})") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path.name}: a policy file is a mapping with 'name' and 'rules'")
    try:
        return PolicySpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(data, e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{path.name}: {problems}") from None


def _where(data: dict, loc: tuple) -> str:
    """``rule 2 ('broken'): reason_code`` rather than pydantic's ``rules.1.reason_code``."""
    rules = data.get("rules")
    if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(rules, list):
        rule = rules[loc[1]] if loc[1] < len(rules) else None
        rule_id = rule.get("id", "?") if isinstance(rule, dict) else "?"
        return f"rule {loc[1] + 1} ('{rule_id}')" + "".join(f": {p}" for p in loc[2:])
    return ".".join(str(p) for p in loc)


def _load_yaml(path: Path, source: str) -> Policy:
    spec = _read_spec(path)
    settings: dict[str, Any] = {}
    rules = spec.rules
    if spec.extends:
        base_path = presets_dir(spec.rule_pack) / f"{spec.extends}.yaml"
        if not base_path.exists():
            raise PolicyError(f"{path.name}: extends '{spec.extends}', which is not a preset of {spec.rule_pack}")
        base = _read_spec(base_path)
        settings.update(base.settings)
        if rules is None:
            rules = base.rules
        unknown = sorted(set(spec.settings) - set(base.settings))
        if unknown:
            raise PolicyError(
                f"{path.name}: unknown setting '{unknown[0]}' for preset '{spec.extends}'; "
                f"known settings: {', '.join(sorted(base.settings))}"
            )
    settings.update(spec.settings)
    if not rules:
        raise PolicyError(f"{path.name}: a policy needs at least one rule")
    return build_policy(spec.model_copy(update={"rules": rules, "settings": settings}), source, where=path.name)


def build_policy(spec: PolicySpec, source: str, where: str = "policy") -> Policy:
    """Validate every rule against the predicate library and the settings; resolve ``$`` references."""
    errors: list[str] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    try:
        reliefs = pack_reliefs(spec.rule_pack)
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{where}: rule pack '{spec.rule_pack}' cannot be read ({exc.__class__.__name__})") from None
    relief_labels = {code: kind["label"] for code, kind in reliefs.items()}
    for index, rs in enumerate(spec.rules or [], start=1):
        label = f"rule {index} ('{rs.id}')"
        if rs.id in seen:
            errors.append(f"{label}: duplicate rule id")
        seen.add(rs.id)
        if rs.enabled_if is not None:
            if rs.enabled_if not in spec.settings:
                errors.append(f"{label}: enabled_if names unknown setting '{rs.enabled_if}'")
                continue
            if not spec.settings[rs.enabled_if]:
                continue
        conditions = []
        for name, raw in rs.when.items():
            if name == "any":
                if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
                    errors.append(f"{label}: 'any' expects a list of conditions")
                    continue
                group = []
                for item in raw:
                    for n2, r2 in item.items():
                        c = _condition(n2, r2, spec.settings, label, errors)
                        if c:
                            group.append(c)
                conditions.append(tuple(group))
                continue
            c = _condition(name, raw, spec.settings, label, errors)
            if c:
                conditions.append(c)
        try:
            reason = rs.reason.format_map(spec.settings)
        except (KeyError, ValueError) as exc:
            errors.append(f"{label}: reason refers to unknown setting {exc}")
            reason = rs.reason
        if rs.relief is not None and rs.relief not in relief_labels:
            errors.append(f"{label}: unknown relief '{rs.relief}'; allowed: {', '.join(relief_labels)}")
        rules.append(
            Rule(id=rs.id, conditions=tuple(conditions), determination=rs.determination, relief=rs.relief,
                 basis=rs.basis, reason_code=rs.reason_code, reason=reason, law=rs.law,
                 relief_label=relief_labels.get(rs.relief or "", ""))
        )
    if errors:
        raise PolicyError(f"{where}: " + "; ".join(errors))
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
            }
            for r in rules
        ],
    }
    return Policy(name=spec.name, title=spec.title or spec.name, description=spec.description.strip(),
                  rule_pack=spec.rule_pack, settings=dict(spec.settings), rules=tuple(rules), source=source,
                  document=document, relief_labels=relief_labels)


def _condition(name: str, raw: Any, settings: dict, label: str, errors: list[str]) -> Condition | None:
    predicate = PREDICATES.get(name)
    if predicate is None:
        errors.append(f"{label}: unknown condition '{name}'; known: {', '.join(sorted(PREDICATES))}")
        return None
    value = _substitute(raw, settings, label, errors)
    try:
        return Condition(name, predicate.validate(value))
    except ValueError as exc:
        errors.append(f"{label}: condition '{name}' {exc}")
        return None


def _substitute(raw: Any, settings: dict, label: str, errors: list[str]) -> Any:
    if isinstance(raw, str) and raw.startswith("$"):
        key = raw[1:]
        if key not in settings:
            errors.append(f"{label}: refers to unknown setting '{key}'")
            return raw
        return settings[key]
    if isinstance(raw, dict):
        return {k: _substitute(v, settings, label, errors) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_substitute(v, settings, label, errors) for v in raw]
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
