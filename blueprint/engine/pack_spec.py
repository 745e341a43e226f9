"""A rule pack's ``pack.yaml`` as one checked model, read once: :class:`PackSpec`.

``pack.yaml`` says what a rule pack is (docs/forking.md): its name and statutes, which offense list
is evaluated, its relief kinds, the statute's words the filings print (``blueprint.engine.pack_texts``),
its statutory exclusions, its time zone and input format. Everything that reads it (the rule pack,
the policies' relief kinds and by-track bases, the filings' bases and grounds, the review workbook's
criteria heading) reads this one model, so a key is checked in one place and means one thing.

The file is read through the kit's one YAML loader (``blueprint.base.yaml_files``), and every mistake
is reported at once, one line each, as ``<file>:<line>: <key>: <message>``: a missing key, a value of
the wrong type, an unknown key, and a bad value such as a time zone that is not an IANA name, a
relief code that is not ``lower_case``, an offense list ``offenses.yaml`` does not define, a preset or
input mapping file that is not in the pack's folder, or a juvenile text missing although
``juvenile_track`` is true. A problem about a missing key points at the line of the nearest key
that is there (the file's first key for a top-level one).

The statutory exclusions' conditions are checked as policy rules when the rule pack is loaded
(``blueprint.engine.exclusions``); here only their shape is.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ..base.errors import PolicyError
from ..base.yaml_files import Located, Problems, SyntaxProblem, read_located, safe_load
from .pack_texts import ChallengeGrounds, FilingBases, PackTexts, ReportTexts, ReviewPrompts, TrackBases

#: Where the kit's rule packs live: ``blueprint/rules/<state>/<program>/``.
RULES_DIR = Path(__file__).parent.parent / "rules"

#: What each relief does to the conviction on the person's record (``blueprint.engine.outcomes``):
#: ``removed`` (no conviction left), ``misdemeanor`` or ``infraction`` (a felony becomes that level).
RECORD_EFFECTS = ("removed", "misdemeanor", "infraction")

#: The longest criteria heading the review workbook's decision list holds (Excel's list cells are short).
HEADING_MAX = 60

#: What the outputs call the state's identification number of a person when the pack does not say:
#: California's "CII" (Criminal Identification and Information number, assigned by its DOJ).
PERSON_ID_LABEL = "CII"
#: The longest such label: it heads a narrow column of the review workbook and of Attachment A.
PERSON_ID_LABEL_MAX = 12

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: A relief's level after it is granted when its pack does not say (``reliefs.<code>.level_after``).
LEVEL_AFTER_EFFECT = {"removed": "removed from the record", "misdemeanor": "misdemeanor", "infraction": "infraction"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReliefKind(_Strict):
    """One relief kind a pack's policies may name (``reliefs.<code>``)."""

    label: _Text = Field(description="the words the review and the filings show")
    effect_on_record: Literal["removed", "misdemeanor", "infraction"] = Field(
        description="what the relief does to the conviction on the record"
    )
    #: What the DOJ record should say once the court grants it (the filings' DOJ export); none if not given.
    doj_disposition: _Text | None = None
    #: What the court's order does, in the words the orders and the exports use ("Dismissed and
    #: sealed"); the label if not given.
    order_effect: _Text | None = None
    #: The conviction's level once the relief is granted (the exports' ``level_after_relief``);
    #: if not given, from ``effect_on_record`` (:data:`LEVEL_AFTER_EFFECT`).
    level_after: _Text | None = None


class Exclusion(_Strict):
    """One statutory exclusion (``statutory_exclusions[i]``): a code, and a condition in the policy language."""

    code: _Text = Field(description="the exclusion's code, recorded on the conviction")
    when: dict[str, Any] = Field(description="the condition, in the policy language")
    statute: _Text | None = None
    #: What the summary and the review reader call it; the code if none.
    label: _Text | None = None


def _bad(message: str) -> PydanticCustomError:
    """A validation error whose message is ``message`` exactly (no "Value error, " before it)."""
    return PydanticCustomError("pack_value", message)


class PackSpec(PackTexts):
    """Every key of a rule pack's ``pack.yaml``, checked (see the module docstring).

    The statute's words (``track_bases``, ``filing_bases``, ``challenge_grounds`` and any later key
    of :class:`~blueprint.engine.pack_texts.PackTexts`) are that model's fields, inherited, so that a
    text key added there is read and checked here too; :attr:`texts` gives them as that model.
    """

    name: _Text = Field(description="the pack's name, <state>/<program>")
    state: _Text = Field(description="the state whose law the pack applies")
    title: _Text = Field(description="what the pack is, in one sentence")
    statutes: dict[str, _Text] = Field(description="the statutes the pack applies, by role")
    evaluated_list: _Text = Field(description="the offense list whose convictions are evaluated")
    related_list: _Text | None = None
    case_context_lists: tuple[_Text, ...] = ()
    review_criteria_heading: str | None = None
    #: What the review workbook, Attachment A, the other filings and the exports' headers call the
    #: person's state identification number (the run's ``cii_number`` column); California's by default.
    person_id_label: str = PERSON_ID_LABEL
    default_preset: _Text = Field(description="the preset a run uses when none is named")
    time_zone: str | None = None
    input_format: str = "doj-research-file"
    input_mapping: _Text | None = None
    templates: _Text | None = None
    juvenile_track: bool = False
    reliefs: dict[str, ReliefKind] = Field(min_length=1, description="the relief kinds its policies name")
    statutory_exclusions: list[Exclusion] | None = None
    #: Every pack states them: a run's not-eligible convictions are challenged in its words.
    #: Required here, optional in PackTexts (a pack always states them).
    challenge_grounds: ChallengeGrounds = Field(description="the grounds a notice of challenge states, docs/forking.md")
    #: Required too: the review workbook and the HTML report speak only of the pack's own statute.
    review_prompts: ReviewPrompts = Field(
        description="the review workbook's decision prompt and error, docs/forking.md"
    )
    report: ReportTexts = Field(description="the words of the run's HTML report, docs/forking.md")

    @property
    def texts(self) -> PackTexts:
        """The statute's words, as the model the filings and the policies read."""
        return PackTexts.model_validate({key: getattr(self, key) for key in PackTexts.model_fields})

    # --- values checked against the pack's folder and its other files (``context``) ---------------

    @field_validator("evaluated_list", "related_list")
    @classmethod
    def _a_list(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _check_list(value, info)
        return value

    @field_validator("case_context_lists")
    @classmethod
    def _lists(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for name in value:
            _check_list(name, info)
        return value

    @field_validator("review_criteria_heading")
    @classmethod
    def _heading(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text or "\n" in text or len(value) > HEADING_MAX:
            raise _bad(f"must be one line of text of at most {HEADING_MAX} characters, such as 'HS 11361.8 criteria'")
        return text

    @field_validator("person_id_label")
    @classmethod
    def _person_id_label(cls, value: str) -> str:
        text = value.strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9 .#-]*", text) or len(text) > PERSON_ID_LABEL_MAX:
            raise _bad(
                f"must be a short label of at most {PERSON_ID_LABEL_MAX} letters, digits or spaces, such as 'CII' or 'SID'"
            )
        return text

    @field_validator("default_preset")
    @classmethod
    def _preset(cls, value: str, info: ValidationInfo) -> str:
        folder = _folder(info)
        if folder is not None and not (folder / "presets" / f"{value}.yaml").is_file():
            raise _bad(f"'{value}' is not a preset of the pack (no presets/{value}.yaml)")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not _is_time_zone(value):
            raise _bad(f"'{value}' is not an IANA time zone name such as America/Los_Angeles")
        return value

    @field_validator("input_format")
    @classmethod
    def _format(cls, value: str) -> str:
        from ..intake.mapped_reader import INPUT_FORMATS  # here: the reader is not needed to read a pack

        if value not in INPUT_FORMATS:
            raise _bad(f"'{value}' is not an input format; known: {', '.join(INPUT_FORMATS)}")
        return value

    @field_validator("input_mapping")
    @classmethod
    def _mapping(cls, value: str | None, info: ValidationInfo) -> str | None:
        folder = _folder(info)
        if value is not None and folder is not None and not (folder / value).is_file():
            raise _bad(f"file '{value}' is not in the pack's folder")
        return value

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: str | None, info: ValidationInfo) -> str | None:
        folder = _folder(info)
        if value is not None and folder is not None and not (folder / value).is_dir():
            raise _bad(f"folder '{value}' is not in the pack's folder")
        return value

    @field_validator("reliefs")
    @classmethod
    def _codes(cls, value: dict[str, ReliefKind]) -> dict[str, ReliefKind]:
        bad = [code for code in value if not re.match(r"^[a-z][a-z0-9_]*$", code)]
        if bad:
            raise _bad(f"relief code(s) {', '.join(repr(c) for c in bad)} must be lower_case_with_underscores")
        return value


def _folder(info: ValidationInfo) -> Path | None:
    return (info.context or {}).get("folder")


def _check_list(name: str, info: ValidationInfo) -> None:
    known = (info.context or {}).get("lists")
    if known is not None and name not in known:
        raise _bad(f"'{name}' is not one of the pack's offense lists ({', '.join(known) or 'none'}, offenses.yaml)")


def _is_time_zone(name: str) -> bool:
    try:
        return ZoneInfo(name) is not None
    except (ZoneInfoNotFoundError, ValueError):
        return False


# --- reading ----------------------------------------------------------------------------------------


def pack_folder(rule_pack: str | os.PathLike[str]) -> Path:
    """The folder of a rule pack named by its folder under ``blueprint/rules`` (or an absolute path)."""
    path = Path(rule_pack)
    return path if path.is_absolute() else RULES_DIR / path


def pack_file_name(meta_path: Path) -> str:
    """How messages name a pack's ``pack.yaml``: ``<state>/<program>/pack.yaml`` under blueprint/rules."""
    parts = meta_path.parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else str(meta_path)


def load_pack_spec(rule_pack: str | os.PathLike[str]) -> PackSpec:
    """The checked ``pack.yaml`` of a rule pack (its name under ``blueprint/rules``, an absolute
    folder, or the ``pack.yaml`` itself); ``PolicyError`` listing every mistake with its line.

    Read once per version of the file: an edited file (a test's copy, a fork at work) is read again.
    """
    path = Path(rule_pack)
    meta_path = path if path.name == "pack.yaml" and path.is_absolute() else pack_folder(rule_pack) / "pack.yaml"
    try:
        stat = meta_path.stat()
    except FileNotFoundError:
        raise PolicyError(f"rule pack '{rule_pack}' not found (expected {meta_path})") from None
    return _load(meta_path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load(meta_path: Path, _mtime_ns: int, _size: int) -> PackSpec:
    name = pack_file_name(meta_path)
    try:
        located = read_located(meta_path, kind="yaml")
    except SyntaxProblem as exc:
        raise PolicyError(f"{name}:{exc.line}: {exc}" if exc.line else f"{name}: {exc}") from None
    problems = Problems(name, located)
    data = located.data
    if not isinstance(data, dict):
        problems.add((), "pack.yaml is a mapping of keys (name, state, reliefs, ...; docs/forking.md)")
        problems.raise_if_any(PolicyError)
    context = {"folder": meta_path.parent, "lists": _offense_list_names(meta_path.parent)}
    spec: PackSpec | None = None
    try:
        spec = PackSpec.model_validate(data, context=context)
    except ValidationError as exc:
        _add(problems, exc, located)
    _juvenile_texts(data, problems)
    problems.raise_if_any(PolicyError)
    assert spec is not None, "a spec that failed validation has problems"
    return spec


def _add(problems: Problems, exc: ValidationError, located: Located) -> None:
    """Each validation error as ``<key>: <message>``, in words an office can act on."""
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if p != "[key]")
        where = _where(loc)
        kind = error["type"]
        if kind == "missing":
            field = _field(loc)
            why = f" ({field.description})" if field is not None and field.description else ""
            message = f"missing{why}"
        elif kind == "extra_forbidden" and len(loc) == 1:
            message = f"not a pack.yaml key; known: {', '.join(sorted(PackSpec.model_fields))}"
        else:
            message = error["msg"]
        problems.add(loc, f"{where}: {message}")


def _field(loc: tuple):
    """The pydantic field a path ends at, through models and lists of them (for its description)."""
    model: Any = PackSpec
    found = None
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list: the list's model, found below
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        found = fields[part]
        model = _model_in(found.annotation)
    return found


def _model_in(annotation: Any) -> Any:
    """The model an annotation holds: itself, or the one inside ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        inner = _model_in(arg)
        if inner is not None:
            return inner
    return None


def _where(loc: tuple) -> str:
    """A key's place as ``reliefs.dismiss_and_seal.label`` or ``statutory_exclusions[1].when``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _juvenile_texts(data: dict, problems: Problems) -> None:
    """With ``juvenile_track: true``, the filings need the juvenile track's basis and challenge ground."""
    if data.get("juvenile_track") is not True:
        return
    filing = data.get("filing_bases")
    if isinstance(filing, dict) and filing.get("juvenile") is None:
        problems.add(("filing_bases",), "filing_bases.juvenile: needed because juvenile_track is true")
    grounds = data.get("challenge_grounds")
    criteria = grounds.get("criteria") if isinstance(grounds, dict) else None
    if isinstance(criteria, dict) and criteria.get("juvenile") is None:
        problems.add(
            ("challenge_grounds", "criteria"),
            "challenge_grounds.criteria.juvenile: needed because juvenile_track is true",
        )


def _offense_list_names(folder: Path) -> tuple[str, ...] | None:
    """The names of the lists ``offenses.yaml`` defines; None when it cannot be read (its own loader
    reports that file's problems, so the names are not checked here)."""
    try:
        data = safe_load((folder / "offenses.yaml").read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - any unreadable file: offenses.py's loader says why
        return None
    lists = data.get("lists") if isinstance(data, dict) else None
    return tuple(str(name) for name in lists) if isinstance(lists, dict) else None


# --- what the other modules read ---------------------------------------------------------------------


def _spec_if_any(rule_pack: str) -> PackSpec | None:
    """The checked ``pack.yaml`` of a rule pack, or None for a folder without one (its loader,
    ``load_rule_pack``, reports that)."""
    meta_path = pack_folder(rule_pack) / "pack.yaml"
    return load_pack_spec(meta_path.resolve()) if meta_path.is_file() else None


def pack_texts(rule_pack: str) -> PackTexts:
    """The statute's words of a rule pack named by its folder under ``blueprint/rules`` (or an absolute
    path); none for a pack without a ``pack.yaml``."""
    spec = _spec_if_any(rule_pack)
    return spec.texts if spec is not None else PackTexts()


def load_pack_texts(meta_path: Path) -> PackTexts:
    """The statute's words of the pack whose ``pack.yaml`` is ``meta_path``, checked with the whole file."""
    return load_pack_spec(Path(meta_path).resolve()).texts


def pack_person_id_label(rule_pack: str) -> str:
    """What a rule pack's outputs call a person's state identification number (``person_id_label``);
    :data:`PERSON_ID_LABEL` for a pack without a ``pack.yaml``."""
    spec = _spec_if_any(rule_pack)
    return spec.person_id_label if spec is not None else PERSON_ID_LABEL


def pack_templates(rule_pack: str) -> Path | None:
    """The rule pack's own filing templates folder (``templates`` in its ``pack.yaml``), or None for a
    pack that uses the kit's (California's)."""
    spec = _spec_if_any(rule_pack)
    return pack_folder(rule_pack) / spec.templates if spec is not None and spec.templates else None


def pack_relief_labels(rule_pack: str) -> dict[str, str]:
    """The labels of a rule pack's relief kinds, by code, in the pack's order (``reliefs.<code>.label``)."""
    return {code: kind.label for code, kind in load_pack_spec(rule_pack).reliefs.items()}


def pack_reliefs(rule_pack: str) -> dict[str, dict[str, str]]:
    """The relief kinds a rule pack's policies may name:
    ``{code: {label, effect_on_record, order_effect, level_after[, doj_disposition]}}``."""
    out: dict[str, dict[str, str]] = {}
    for code, kind in load_pack_spec(rule_pack).reliefs.items():
        out[code] = {
            "label": kind.label,
            "effect_on_record": kind.effect_on_record,
            "order_effect": kind.order_effect or kind.label,
            "level_after": kind.level_after or LEVEL_AFTER_EFFECT[kind.effect_on_record],
        }
        if kind.doj_disposition is not None:
            out[code]["doj_disposition"] = kind.doj_disposition
    return out


__all__ = [
    "LEVEL_AFTER_EFFECT",
    "PERSON_ID_LABEL",
    "RECORD_EFFECTS",
    "RULES_DIR",
    "ChallengeGrounds",
    "Exclusion",
    "FilingBases",
    "PackSpec",
    "ReliefKind",
    "TrackBases",
    "load_pack_spec",
    "load_pack_texts",
    "pack_file_name",
    "pack_folder",
    "pack_person_id_label",
    "pack_relief_labels",
    "pack_reliefs",
    "pack_templates",
    "pack_texts",
]
