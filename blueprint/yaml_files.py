"""Reading a configuration YAML file into a pydantic model, with errors an office can act on.

Office profiles, input mappings and other settings files are written by hand; a problem must say
which file, which key and what is wrong, and never echo a whole traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

#: libyaml's C parser where PyYAML was built with it (the wheels are): the same safe subset of YAML,
#: about ten times faster than the pure-Python one on the rule pack's offense lists.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """``yaml.safe_load``, with the C parser when it is there."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, as safe_load uses


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML syntax error on one line: where it is and what is wrong (``line 2, column 1: ...``)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return " ".join(f"{where}{problem}".split())


def load_yaml_model(path: str | Path, model: type[Model], *, what: str, error: type[Exception],
                    invalid: str = "") -> Model:
    """Load ``path`` as ``model``; raise ``error`` naming ``what`` and the file on any problem.

    ``invalid`` is the phrase put before the list of validation problems (e.g. "is incomplete or
    wrong"); by default the file name is followed by a colon.
    """
    path = Path(path)
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except yaml.YAMLError as exc:
        raise error(f"{what} {path.name} is not valid YAML: {yaml_problem(exc)}") from None
    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        lead = f"{what} {path.name} {invalid}:" if invalid else f"{what} {path.name}:"
        raise error(f"{lead} {problems}") from None
