"""The repository's own text points only at things that exist.

Comments, docstrings, messages, YAML files, templates and the docs name modules, files and pages;
when code moves (issue 14 split ``blueprint/`` into one package per layer), a name left behind
sends the reader to nothing. This test reads that text and fails, naming the file, the line and the
reference, on:

- a folder named ``shared`` outside the repository (the project's standard: a fact the code relies on
  is written into ``docs/`` or beside the rule, never pointed at elsewhere);
- a dotted name (``blueprint.engine.policy.PolicySpec``, ``functions.common``, ``tests.e2e.faults``)
  that is no module, or no name in its module; in backticks, a name that starts with a package of
  ``blueprint`` (``run.cloud_steps.combine``) is read as ``blueprint.run.cloud_steps.combine``;
- a path into the repository (``blueprint/intake/reader.py``, ``docs/filings.md``,
  ``tests/unit/...``) that does not exist; a link of a Markdown page is read relative to the page;
- a Python file named alone (``mapped_reader.py``) that is no file of the repository;
- a Sphinx role (``:func:``, ``:class:``, ``:meth:``, ...) whose target is not defined.

What it reads: comments and every string of the Python code in ``blueprint/``, ``functions/``,
``cdk/``, ``smoke/`` and ``lint/``; comments and docstrings only in ``tests/`` (the other strings of a
test are its data, and may name on purpose what does not exist); the whole text of every YAML file,
Jinja template and Markdown page, ``README.md``, ``mkdocs.yml``, the ``Makefile``, ``pyproject.toml``,
``cdk.json`` and the CI script ``.ci/run``.

What it leaves alone, and why (docs/contributing.md says how to fix a finding):

- URLs, and anything right after a ``/`` or a word character, so ``https://host/docs/x`` is no path;
- placeholders and globs (``blueprint/rules/<state>/``, ``tests/unit/**/test_*.py``, ``{state}``):
  they are read as a glob, which must match at least one file;
- the paths of a run's outputs (``filings/02-attachment-a.csv``, ``review/review.xlsx``): only a
  path that starts with a top-level folder of the repository is read as a repository path;
- ``cdk.`` names: in the code ``cdk`` is the alias of the ``aws_cdk`` library (``cdk.App``), so dotted
  ``cdk`` names are not checked; a dotted name that ends in a file's suffix (``cdk.json``,
  ``smoke.dat``, ``review.xlsx``) is a file name, not a module;
- the members of a class built on a library's class (an ``Enum``, a pydantic model): the members it
  inherits are not read, so any member is accepted.

Names are resolved from the source (with ``ast``), not by importing it: the whole check takes about a
second and needs none of the libraries.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The folders whose Python code is read: every string in the first group; only comments and
#: docstrings in the second (a test's other strings are its data).
CODE_DIRS = ("blueprint", "functions", "cdk", "smoke", "lint")
TEST_DIRS = ("tests",)
#: Folders whose YAML files, templates and Markdown pages are read whole, and single files.
TEXT_DIRS = ("blueprint", "functions", "cdk", "smoke", "lint", "tests", "docs", "templates")
TEXT_FILES = ("README.md", "mkdocs.yml", "Makefile", "pyproject.toml", "cdk.json", ".ci/run")
TEXT_SUFFIXES = (".yaml", ".yml", ".j2", ".md")

#: The top-level folders of the repository: a path that starts with one of them is a repository path
#: and must exist. A fixed list, not the folders on disk: ``demo-output/`` and ``cdk.out/`` are made
#: by commands, and the docs may name them.
REPO_FOLDERS = ("blueprint", "cdk", "docs", "functions", "lint", "smoke", "templates", "tests")
#: The top-level names whose dotted names are checked (not ``cdk``: see the module's docstring).
DOTTED_ROOTS = ("blueprint", "functions", "tests", "smoke")
#: The last part of a dotted name that makes it a file's name rather than a module's.
FILE_SUFFIXES = {
    *("py", "yaml", "yml", "json", "csv", "xlsx", "parquet", "md", "html", "pdf", "docx", "j2", "txt"),
    *("dat", "out", "toml", "zip", "log", "gz"),
}
#: Attributes every module has.
MODULE_ATTRIBUTES = {"__file__", "__name__", "__path__", "__doc__", "__spec__", "__all__"}

_PATH_CHARS = r"[\w.\-/<>{}*]"
PATH = re.compile(rf"(?<![\w./\-<>{{}}*$])((?:\.\./|\./)*(?:{'|'.join(REPO_FOLDERS)})/{_PATH_CHARS}*)")
SHARED = re.compile(r"(?<![\w.\-])((?:\.\./)*shared/[\w.\-/]*)")
DOTTED = re.compile(rf"(?<![\w./\-])((?:{'|'.join(DOTTED_ROOTS)})(?:\.[A-Za-z_]\w*)+)(?![\w\-/])")
IN_BACKTICKS = re.compile(r"(?<=`)([a-z_]+(?:\.[A-Za-z_]\w*)+)(?:\(\))?(?=`)")
PY_FILE = re.compile(r"(?<![\w./\-<>{}*])([A-Za-z_]\w*\.py)(?![\w])")
ROLE = re.compile(r":(?:py:)?(func|meth|class|mod|attr|data|exc|obj|const):`([~!.]?[A-Za-z_][^`]*)`")
MD_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    reference: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reference} ({self.problem})"


# -- what the repository's modules define, read from their source -----------------------------------


@dataclass
class _Class:
    members: set[str] = field(default_factory=set)
    bases: list[str] = field(default_factory=list)  # as written: a name or a dotted name


@dataclass
class _Module:
    #: each top-level name, with the dotted name it was imported from ('' when defined here)
    names: dict[str, str] = field(default_factory=dict)
    classes: dict[str, _Class] = field(default_factory=dict)
    #: a module-level ``__getattr__`` or ``import *``: any name may exist
    open_ended: bool = False


def _module_file(dotted: str, root: Path) -> Path | None:
    """The file or package folder of a module of the repository, or None."""
    path = root.joinpath(*dotted.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if path.is_dir() and not path.name.startswith((".", "__")):
        return path
    return None


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _class(node: ast.ClassDef) -> _Class:
    info = _Class(bases=[ast.unparse(b) for b in node.bases])
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            info.members.add(item.name)
        elif isinstance(item, ast.Assign):
            info.members.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            info.members.add(item.target.id)
    # the attributes a method sets on the instance (``self.x = ...``)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
            if isinstance(sub.value, ast.Name) and sub.value.id == "self":
                info.members.add(sub.attr)
    return info


def _read_module(dotted: str, path: Path) -> _Module:
    source = path / "__init__.py" if path.is_dir() else path
    info = _Module()
    if not source.is_file():  # a folder without __init__.py (a namespace package) defines nothing
        return info
    tree = ast.parse(source.read_text(), filename=str(source))

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                info.names[node.name] = ""
                info.open_ended |= node.name == "__getattr__"
            elif isinstance(node, ast.ClassDef):
                info.names[node.name] = ""
                info.classes[node.name] = _class(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    info.names.update((n.id, "") for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    info.names[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(dotted, path.is_dir(), node)
                for alias in node.names:
                    if alias.name == "*":
                        info.open_ended = True
                    else:
                        info.names[alias.asname or alias.name] = f"{module}.{alias.name}"
            elif isinstance(node, ast.If | ast.Try | ast.With):
                # names defined under ``if TYPE_CHECKING:``, in ``try: import ...`` and the like
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(node, part, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return info


class Repository:
    """What the text may name in one checkout: its modules, their names, its Python files."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self._modules: dict[str, _Module | None] = {}
        folders = [root, *(root / folder for folder in (*CODE_DIRS, *TEST_DIRS))]
        self.python_files = {p.name for folder in folders for p in folder.glob("**/*.py" if folder != root else "*.py")}
        blueprint = root / "blueprint"
        self.packages = {p.parent.name for p in blueprint.glob("*/__init__.py")}

    def module(self, dotted: str) -> _Module | None:
        if dotted not in self._modules:
            path = _module_file(dotted, self.root)
            self._modules[dotted] = None if path is None else _read_module(dotted, path)
        return self._modules[dotted]

    @staticmethod
    def is_ours(dotted: str) -> bool:
        return dotted.split(".")[0] in DOTTED_ROOTS

    def resolves(self, dotted: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Whether a dotted name is a module of the repository or a name defined in one."""
        if dotted in _seen:  # an import that leads back to itself
            return False
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):  # the longest leading part that is a module
            if self.module(".".join(parts[:i])) is not None:
                return self._attribute(".".join(parts[:i]), parts[i:], _seen | {dotted})
        return False

    def _attribute(self, module: str, attributes: list[str], seen: frozenset[str]) -> bool:
        if not attributes:
            return True
        info = self.module(module)
        assert info is not None
        name, rest = attributes[0], attributes[1:]
        if name in MODULE_ATTRIBUTES:
            return not rest
        if name not in info.names:
            return info.open_ended
        origin = info.names[name]
        if origin:  # imported: followed when it is one of ours
            return self.resolves(".".join([origin, *rest]), seen) if self.is_ours(origin) else True
        if rest and name in info.classes:
            return self._member(module, info.classes[name], rest[0], seen)
        return True  # a function or a value: what it holds is not read

    def _member(self, module: str, cls: _Class, member: str, seen: frozenset[str]) -> bool:
        if member in cls.members:
            return True
        info = self.module(module)
        assert info is not None
        for base in cls.bases:
            head = base.split("[")[0].split(".")[0]
            if "." not in base and head in info.classes:
                if self._member(module, info.classes[head], member, seen):
                    return True
            elif self.is_ours(info.names.get(head) or ""):
                if self.resolves(f"{info.names[head]}{base.split('[')[0][len(head) :]}.{member}", seen):
                    return True
            else:
                return True  # a library's class (Enum, BaseModel...): what it gives is not read
        return False

    def role_resolves(self, target: str, module: str | None) -> bool:
        """A role's target: a full dotted name, or a name seen from the module the role is in."""
        if self.is_ours(target):
            return self.resolves(target)
        info = self.module(module) if module else None
        if info is not None:
            if self.resolves(f"{module}.{target}"):
                return True
            origin = info.names.get(target.split(".")[0])
            if origin and not self.is_ours(origin):
                return True  # a library's name the module imports (``pd.DataFrame``)
            # a method or attribute named from inside its own class
            if "." not in target and any(target in c.members for c in info.classes.values()):
                return True
        return "." not in target and hasattr(builtins, target)

    def path_exists(self, reference: str, file: Path) -> bool:
        """A path exists from the root or, for a file inside a folder of its own (a rule pack's
        ``templates/``), from a folder above the file; a ``./`` or ``../`` path from the file's folder."""
        if reference.startswith(("./", "../")):
            starts = [file.parent]
        else:
            starts = [self.root, *[p for p in file.parents if self.root in p.parents]]
        reference = reference.rstrip("/") or "."
        if re.search(r"[<>{}*]", reference):
            pattern = re.sub(r"<[^>/]*>|\{[^}/]*\}", "*", reference)
            pattern = re.sub(r"[<>{}]", "*", pattern)
            return any(next(iter(start.glob(pattern)), None) is not None for start in starts)
        return any((start / reference).exists() for start in starts)


# -- reading the text -------------------------------------------------------------------------------


def python_text(source: str, all_strings: bool) -> list[tuple[int, str]]:
    """(line number, text) of each line of a module's comments and strings (or docstrings only)."""
    docstrings: set[int] = set()
    if not all_strings:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                first = node.body[0] if node.body else None
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    if isinstance(first.value.value, str):
                        docstrings.add(first.lineno)
    pieces: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or (
            token.type == tokenize.STRING and (all_strings or token.start[0] in docstrings)
        ):
            pieces += [(token.start[0] + i, line) for i, line in enumerate(token.string.splitlines())]
    return pieces


def scan_lines(
    repo: Repository,
    relative: str,
    lines: list[tuple[int, str]],
    *,
    markdown: bool = False,
    module: str | None = None,
) -> list[Finding]:
    """The findings in some lines of one file (``relative`` to the repository's root)."""
    file = repo.root / relative
    return [
        Finding(relative, number, reference, problem)
        for number, line in lines
        for reference, problem in _problems(repo, file, line, markdown, module)
    ]


def _problems(repo: Repository, file: Path, line: str, markdown: bool, module: str | None):
    for match in SHARED.finditer(line):
        yield match.group(1).rstrip("."), "a folder outside the repository: write the fact into docs/"
    checked: set[int] = set()  # where a link or a role starts: its target is checked once, as such
    for match in ROLE.finditer(line):
        role, written = match.groups()
        checked.update(range(match.start(2), match.end(2)))
        target = written.split("<")[-1].rstrip(">").lstrip("~!.").removesuffix("()")
        if not repo.role_resolves(target, module):
            yield f":{role}:`{written}`", "no such name here or in the kit"
    if markdown:
        for match in MD_LINK.finditer(line):
            target = match.group(1)
            checked.update(range(match.start(1), match.end(1)))
            if re.match(r"^[a-z][a-z0-9+.\-]*:", target) or target.startswith("#"):
                continue
            if not (file.parent / target.split("#", 1)[0]).exists():
                yield target, "no such file, relative to this page"
    for match in PATH.finditer(line):
        reference = match.group(1).rstrip(".")
        if match.start(1) not in checked and not repo.path_exists(reference, file):
            yield reference, "no such file or folder in the repository"
    for match in PY_FILE.finditer(line):
        if match.start(1) not in checked and match.group(1) not in repo.python_files:
            yield match.group(1), "no Python file of that name in the repository"
    for match in DOTTED.finditer(line):
        reference = match.group(1)
        if match.start(1) in checked or reference.rsplit(".", 1)[1] in FILE_SUFFIXES:
            continue
        if not repo.resolves(reference):
            yield reference, "no such module or name"
    for match in IN_BACKTICKS.finditer(line):
        reference = match.group(1)
        head, last = reference.split(".")[0], reference.rsplit(".", 1)[1]
        if match.start(1) in checked or head not in repo.packages or last in FILE_SUFFIXES:
            continue
        if not repo.resolves(f"blueprint.{reference}"):
            yield reference, f"no such module or name: blueprint.{reference}"


def _module_of(relative: str) -> str:
    parts = Path(relative).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def files_to_read(root: Path) -> dict[str, str]:
    """Each file the check reads (relative to the root), with how it is read."""
    chosen: dict[str, str] = {}
    for folder in TEXT_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in TEXT_SUFFIXES and path.is_file():
                chosen[path.relative_to(root).as_posix()] = "markdown" if path.suffix == ".md" else "text"
    for folder, how in [(d, "code") for d in CODE_DIRS] + [(d, "test") for d in TEST_DIRS]:
        for path in sorted((root / folder).rglob("*.py")):
            chosen[path.relative_to(root).as_posix()] = how
    for name in TEXT_FILES:
        if (root / name).is_file():
            chosen[name] = "markdown" if name.endswith(".md") else "text"
    return dict(sorted(chosen.items()))


def scan(root: Path = ROOT) -> list[Finding]:
    repo = Repository(root)
    found: list[Finding] = []
    for relative, how in files_to_read(root).items():
        text = (root / relative).read_text()
        if how in ("code", "test"):
            lines = python_text(text, all_strings=how == "code")
            found += scan_lines(repo, relative, lines, module=_module_of(relative))
        else:
            found += scan_lines(repo, relative, list(enumerate(text.splitlines(), 1)), markdown=how == "markdown")
    return found


@cache
def _findings() -> tuple[Finding, ...]:
    return tuple(scan())


def test_every_reference_resolves():
    findings = _findings()
    listed = "\n".join(map(str, findings))
    assert not findings, f"{len(findings)} references to nothing (docs/contributing.md, 'References'):\n{listed}"


def test_the_check_reads_every_kind_of_text():
    """A check that reads nothing passes: each kind of file is among those read."""
    read = files_to_read(ROOT)
    for expected, how in [
        ("blueprint/rules/illinois/crta/pack.yaml", "text"),
        ("templates/report/summary.html.j2", "text"),
        ("docs/contributing.md", "markdown"),
        ("docs/reference/input.md", "markdown"),
        ("README.md", "markdown"),
        ("mkdocs.yml", "text"),
        ("blueprint/intake/columns.py", "code"),
        ("functions/common.py", "code"),
        ("cdk/stack.py", "code"),
        ("smoke/smoke.py", "code"),
        ("tests/unit/test_layout.py", "test"),
    ]:
        assert read.get(expected) == how, expected
    assert all((ROOT / folder).is_dir() for folder in REPO_FOLDERS)


# -- the check itself, on a small repository made for the test --------------------------------------

POLICY = '''"""Policies."""

from pandas import DataFrame as Frame

from .facts import Fact


class PolicySpec:
    rules: list

    def load(self):
        self.loaded = True


def load():
    pass
'''


@pytest.fixture
def repo_root(tmp_path):
    """A tiny repository: one package of ``blueprint`` with two modules, a handler, a page, a pack."""
    files = {
        "blueprint/__init__.py": "",
        "blueprint/engine/__init__.py": "",
        "blueprint/engine/policy.py": POLICY,
        "blueprint/engine/facts.py": "class Fact:\n    name: str\n",
        "blueprint/rules/ca/pack/pack.yaml": "name: ca\n",
        "blueprint/rules/ca/pack/templates/filings/notice.j2": "text\n",
        "functions/__init__.py": "",
        "functions/common.py": "def step():\n    pass\n",
        "docs/index.md": "# Home\n",
        "docs/reference/input.md": "# Input\n",
        "tests/unit/engine/test_policy.py": "",
        "README.md": "# Kit\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _planted(root: Path, file: str, text: str) -> list[str]:
    (root / file).parent.mkdir(parents=True, exist_ok=True)
    (root / file).write_text(text)
    return [f"{f.file}:{f.line}: {f.reference}" for f in scan(root)]


# (the file, its text, the reference the check must report in it on line 2)
STALE = [
    ("blueprint/engine/a.py", "X = 1\n# see ../shared/domain/doj.md\n", "../shared/domain/doj.md"),
    ("blueprint/engine/a.py", "X = 1\n# the rules live in shared/domain/rules.md\n", "shared/domain/rules.md"),
    ("docs/a.md", "# A\nRead by `blueprint.policy.load`.\n", "blueprint.policy.load"),
    (
        "docs/a.md",
        "# A\nSee blueprint.engine.policy.PolicySpec.nothing.\n",
        "blueprint.engine.policy.PolicySpec.nothing",
    ),
    ("docs/a.md", "# A\nSee blueprint.engine.policy.Fact.nothing.\n", "blueprint.engine.policy.Fact.nothing"),
    ("docs/a.md", "# A\nThe handler calls functions.nowhere.\n", "functions.nowhere"),
    ("docs/a.md", "# A\nThe step `engine.policy.unload` decides.\n", "engine.policy.unload"),
    ("blueprint/rules/ca/pack/x.yaml", "a: 1\n# (blueprint/mapped_reader.py)\n", "blueprint/mapped_reader.py"),
    ("docs/a.md", "# A\nSee docs/nowhere.md.\n", "docs/nowhere.md"),
    ("docs/a.md", "# A\nThe [input](input.md) format.\n", "input.md"),
    (
        "docs/a.md",
        "# A\nOne per pack: blueprint/rules/<state>/<pack>/offenses.yaml\n",
        "blueprint/rules/<state>/<pack>/offenses.yaml",
    ),
    ("docs/a.md", "# A\nThe reader (`mapped_reader.py`) maps.\n", "mapped_reader.py"),
    ("blueprint/engine/a.py", '"""A.\nSee :func:`unload`."""\n', ":func:`unload`"),
    (
        "blueprint/engine/a.py",
        '"""A.\nSee :class:`~blueprint.engine.policy.Policy`."""\n',
        ":class:`~blueprint.engine.policy.Policy`",
    ),
    ("blueprint/engine/a.py", 'def f():\n    raise ValueError("see docs/policy.md")\n', "docs/policy.md"),
    (
        "tests/unit/engine/test_a.py",
        '"""A."""\n# tests/unit/test_policy.py has the cases\n',
        "tests/unit/test_policy.py",
    ),
    ("templates/x.html.j2", "{# A\n   rendered by blueprint.report.summary #}\n", "blueprint.report.summary"),
]


@pytest.mark.parametrize("file, text, reference", STALE, ids=[s[2] for s in STALE])
def test_the_check_finds_a_stale_reference(repo_root, file, text, reference):
    assert _planted(repo_root, file, text) == [f"{file}:2: {reference}"]


# text the check must accept, each line for its own reason
VALID = {
    "docs/a.md": """# A
Read by `blueprint.engine.policy.load` and blueprint.engine.policy.PolicySpec.rules (a field),
blueprint.engine.policy.PolicySpec.loaded (set in a method), blueprint.engine.policy.Fact.name (imported),
blueprint.engine.policy.Frame.anything (a library's), blueprint.engine and functions.common.step.
`engine.policy.load` is blueprint's; `review.xlsx`, `cdk.json` and cdk.App are no modules of ours.
The [input](reference/input.md#columns), [home](index.md), [readme](../README.md), [site](https://example.org/docs/x.md).
https://example.org/blueprint/nowhere.py and <https://example.org/docs/missing.md> are not paths.
blueprint/rules/<state>/<pack>/pack.yaml, blueprint/rules/*/*/templates/**/*.j2, tests/unit/{package}/: globs.
A run writes filings/02-attachment-a.csv and review/review.xlsx: outputs, not repository paths.
The file `policy.py`, docs/index.md, docs/reference/ and blueprint/engine/facts.py.
""",
    "blueprint/rules/ca/pack/pack.yaml": "# the notice: templates/filings/notice.j2, beside this file\nname: ca\n",
    "blueprint/engine/a.py": '''"""See :func:`load`, :meth:`PolicySpec.load`, :class:`Frame`, :class:`dict`,
:func:`blueprint.engine.policy.load`, :meth:`load` (from inside its class) and :mod:`blueprint.engine`."""

from .policy import PolicySpec, load
from pandas import DataFrame as Frame
''',
    "tests/unit/engine/test_a.py": '''"""A test's data may name what does not exist."""

MISSING = "blueprint/nowhere.py"
DOTTED = "blueprint.nowhere"
''',
}


def test_the_check_accepts_what_exists(repo_root):
    for file, text in VALID.items():
        (repo_root / file).parent.mkdir(parents=True, exist_ok=True)
        (repo_root / file).write_text(text)
    assert [str(f) for f in scan(repo_root)] == []


def test_a_finding_names_the_file_the_line_and_the_reference(repo_root):
    (repo_root / "docs/a.md").write_text("# A\n\nline three: blueprint/reader.py\n")
    (finding,) = scan(repo_root)
    assert str(finding) == "docs/a.md:3: blueprint/reader.py (no such file or folder in the repository)"


def test_the_architecture_page_lists_each_module_of_a_package():
    """docs/architecture.md names the modules of most packages in the package's paragraph
    (**`blueprint/base`** (`errors.py`, ...)): such a list names every module there and no other."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    lists = 0
    for paragraph in text.split("\n\n"):
        heading = re.match(r"\*\*`(blueprint/[\w/]+)`\*\* \(([^)]*)\)", paragraph)
        if heading is None:
            continue
        lists += 1
        named = set(re.findall(r"`(\w+\.py)`", heading.group(2)))
        there = {p.name for p in (ROOT / heading.group(1)).glob("*.py")} - {"__init__.py"}
        assert named == there, (
            f"{heading.group(1)}: not listed {sorted(there - named)}, not there {sorted(named - there)}"
        )
    assert lists >= 10, "the paragraphs of docs/architecture.md that list a package's modules were not found"
