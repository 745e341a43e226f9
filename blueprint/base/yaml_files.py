"""Reading configuration files written by hand, with errors an office can act on.

Policies, office profiles, input mappings and the earlier desktop tool's settings JSON are written
by hand; a file with several mistakes must get one message per mistake, each naming the key and
the line it is on, all at once (fix them in one pass instead of one per run). This module holds the
one way of doing that:

- :func:`read_located` reads a YAML or JSON file into its data *and* the line of every key and list
  item (:class:`Located`);
- :class:`Problems` collects problems, each with the path of the key it is about, and formats them
  as ``file:line: message`` lines (the form editors and compilers use); a problem about a missing
  key points at the line of the nearest key that is there.

A YAML or JSON syntax error stops reading at once: it is one problem, with its line.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

#: libyaml's C parser where PyYAML was built with it (the wheels are): the same safe subset of YAML,
#: about ten times faster than the pure-Python one on the rule pack's offense lists.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """``yaml.safe_load``, with the C parser when it is there."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, as safe_load uses


# --- data with line numbers -----------------------------------------------------------------------------


def _key(part) -> Any:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


@dataclass(frozen=True)
class Located:
    """A configuration document and the 1-based line of each key (mapping keys) and list item."""

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: tuple | list = ()) -> int | None:
        """The line of ``path`` (keys and list positions), or of its nearest ancestor that is there."""
        path = tuple(_key(p) for p in path)
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return self.lines.get((), None)


class SyntaxProblem(ValueError):
    """The file is not valid YAML or JSON: the message says where."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def read_located(path: str | Path, *, kind: str | None = None) -> Located:
    """Read a YAML (or, by ``kind`` or a ``.json`` suffix, JSON) file with the line of every key.

    Raises ``FileNotFoundError`` or :class:`SyntaxProblem`.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if (kind or path.suffix.lower().lstrip(".")) == "json":
        return located_json(text)
    return located_yaml(text)


def located_yaml(text: str) -> Located:
    """YAML text as data, with the line of every key and list item (from the composed node tree)."""
    try:
        data = safe_load(text)
        node = yaml.compose(text, Loader=_SAFE_LOADER)  # noqa: S506 - the safe loader's composer
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(getattr(exc, "problem", "") or exc).split())
        raise SyntaxProblem(f"not valid YAML ({reason})", line) from None
    lines: dict[tuple, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk_yaml(node, (), lines)
    return Located(data, lines)


def _walk_yaml(node, path: tuple, lines: dict[tuple, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            here = path + (str(key_node.value),)
            lines.setdefault(here, key_node.start_mark.line + 1)
            _walk_yaml(value_node, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = path + (index,)
            lines.setdefault(here, item.start_mark.line + 1)
            _walk_yaml(item, here, lines)


_JSON_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<mark>[{}\[\]:,])|(?P<word>[^\s{}\[\]:,"]+))', re.S)


def located_json(text: str) -> Located:
    """JSON text as data (the standard parser), with the line of every key and array item.

    The lines come from a small scan of the (already valid) text: each string, punctuation mark or
    bare word is a token, and a key is the string before a ``:``.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(f"not valid JSON ({exc.msg})", exc.lineno) from None
    breaks = [m.start() for m in re.finditer("\n", text)]
    tokens = []
    for m in _JSON_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue
        tokens.append((kind, m.group(kind), bisect.bisect_right(breaks, m.start(kind)) + 1))
    lines: dict[tuple, int] = {}
    position = 0

    def value(path: tuple) -> None:
        nonlocal position
        kind, token, line = tokens[position]
        lines.setdefault(path, line)
        if token == "{":
            position += 1
            while tokens[position][1] != "}":
                key_token, key_line = tokens[position][1], tokens[position][2]
                key = path + (json.loads(key_token),)
                lines[key] = key_line
                position += 2  # the key and its ':'
                value(key)
                if tokens[position][1] == ",":
                    position += 1
            position += 1
        elif token == "[":
            position += 1
            index = 0
            while tokens[position][1] != "]":
                value(path + (index,))
                index += 1
                if tokens[position][1] == ",":
                    position += 1
            position += 1
        else:
            position += 1

    if tokens:
        value(())
    return Located(data, lines)


# --- problems -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One mistake in a configuration file: the key it is about (a path) and what is wrong."""

    path: tuple
    message: str
    line: int | None = None


class Problems:
    """Every problem found in one configuration file, to report them all at once.

    ``file`` names the file in each message; ``located`` gives the lines. A problem added with a
    ``line`` keeps it (a problem in a setting used by another file's rule, say).
    """

    def __init__(self, file: str | None = None, located: Located | None = None):
        self.file = file
        self.located = located
        self.items: list[Problem] = []

    def add(self, path: tuple | list, message: str, *, line: int | None = None) -> None:
        path = tuple(path)
        if line is None and self.located is not None:
            line = self.located.line(path)
        self.items.append(Problem(path, message, line))

    def add_validation(
        self, exc: ValidationError, prefix: tuple = (), name: Callable[[tuple], str] | None = None
    ) -> list[tuple]:
        """Add each error of a pydantic validation; return the paths (relative to ``prefix``) that failed.

        ``name`` words a path for the message (default: the keys joined by dots).
        """
        failed = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            failed.append(loc)
            where = name(loc) if name else ".".join(str(p) for p in loc)
            self.add(prefix + loc, f"{where}: {error['msg']}" if where else error["msg"])
        return failed

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def lines(self, *, with_file: bool = True) -> list[str]:
        """One ``file:line: message`` text per problem (``line N: message`` without the file), in file order."""
        ordered = sorted(self.items, key=lambda p: (p.line is None, p.line or 0))
        return [_one(self.file if with_file else None, p.line, p.message) for p in ordered]

    def text(self) -> str:
        found = self.lines()
        if len(found) == 1:
            return found[0]
        return f"{self.file or 'the file'} has {len(found)} problems:\n" + "\n".join(found)

    def raise_if_any(self, error: type[Exception]) -> None:
        if self.items:
            exc = error(self.text())
            exc.problems = list(self.items)  # type: ignore[attr-defined]  # any error class; for callers that want them one by one
            raise exc


def _one(file: str | None, line: int | None, message: str) -> str:
    if file and line:
        return f"{file}:{line}: {message}"
    if file:
        return f"{file}: {message}"
    return f"line {line}: {message}" if line else message


# --- a file as a pydantic model -------------------------------------------------------------------------


def load_yaml_model(
    path: str | Path,
    model: type[Model],
    *,
    what: str,
    error: type[Exception],
    invalid: str = "",
    check: Callable[[Model, Located, Problems], None] | None = None,
) -> Model:
    """Load ``path`` as ``model``; raise ``error`` naming ``what``, the file, and each problem's key and line.

    ``invalid`` is the phrase put before the list of validation problems (e.g. "is incomplete or
    wrong"); by default the file name is followed by a colon. ``check`` adds the problems that span
    several keys (a name used before it is defined, ...) to the same list, once the model is valid,
    so that they too are reported all together with their lines instead of stopping at the first.
    """
    path = Path(path)
    try:
        located = read_located(path, kind="yaml")
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except SyntaxProblem as exc:
        raise error(f"{what} {path.name} is {exc}" + (f" at line {exc.line}" if exc.line else "")) from None
    problems = Problems(path.name, located)
    try:
        loaded = model.model_validate(located.data or {})
    except ValidationError as exc:
        problems.add_validation(exc)
    else:
        if check is not None:
            check(loaded, located, problems)
        if not problems:
            return loaded
    lead = f"{what} {path.name} {invalid}:" if invalid else f"{what} {path.name}:"
    found = problems.lines(with_file=False)
    raise error(f"{lead} {found[0]}" if len(found) == 1 else lead + "\n" + "\n".join(found))


__all__ = [
    "Located",
    "Problem",
    "Problems",
    "SyntaxProblem",
    "load_yaml_model",
    "located_json",
    "located_yaml",
    "read_located",
    "safe_load",
]
