"""The documentation: the site builds with strict link checking, the README's links resolve, and the
policy reference documents every predicate and shows policy examples the loader accepts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from blueprint.engine.policy import PolicySpec
from blueprint.run.policies import load_policy
from blueprint.engine.predicates import PREDICATES, reference_table

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
POLICY_REFERENCE = DOCS / "policy-reference.md"
MKDOCS = Path(sys.executable).with_name("mkdocs")

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang == language]


def test_site_builds_strict(tmp_path):
    if not MKDOCS.exists():
        pytest.skip("mkdocs is not installed next to this Python (pip install -e '.[docs]')")
    proc = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "policy-reference" / "index.html").is_file()


def test_readme_relative_links_point_to_existing_files():
    text = (ROOT / "README.md").read_text()
    targets = [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]
    assert targets, "the README links into the docs"
    missing = [t for t in targets if not (ROOT / t.split("#", 1)[0]).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_readme_keeps_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_the_table_of_conditions_is_the_declarations():
    """docs/policy-reference.md's table of conditions says, row for row, what each predicate's
    declaration says (``blueprint.engine.predicates``): a new or changed condition is documented in
    its declaration; ``python -m blueprint.engine.predicates`` prints the table to paste."""
    text = POLICY_REFERENCE.read_text()
    section = text.split("## Conditions (predicates)", 1)[1].split("\n## ", 1)[0]
    documented = [line for line in section.splitlines() if line.startswith("|")]
    declared = reference_table().splitlines()
    rows = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M))
    missing = sorted(set(PREDICATES) - rows)
    assert not missing, f"predicates missing from the table in docs/policy-reference.md: {missing}"
    unknown = sorted(rows - set(PREDICATES))
    assert not unknown, f"documented predicates that do not exist: {unknown}"
    differ = [(d, w) for d, w in zip(documented, declared) if d != w]
    assert not differ, "rows of the table that differ from the declarations (documented, declared): " + repr(differ[:3])
    assert documented == declared


def test_every_preset_setting_is_documented():
    text = POLICY_REFERENCE.read_text()
    for preset in ("california", "los-angeles-2020"):
        for setting in load_policy(preset).settings:
            assert f"`{setting}`" in text, f"setting {setting} of preset {preset} is not documented"


def test_policy_examples_load(tmp_path):
    examples = [b for b in _blocks(POLICY_REFERENCE, "yaml") if re.search(r"^name:", b, re.M)]
    assert examples, "the policy reference shows a policy file"
    assert any(re.search(r"^extends: california$", b, re.M) for b in examples)
    for i, body in enumerate(examples):
        path = tmp_path / f"example-{i}.yaml"
        path.write_text(body)
        policy = load_policy(path)
        assert policy.rules, body
        assert policy.rules[-1].reason_code in ("NO_RULE",)  # every example ends with a catch-all


def test_county_example_changes_only_declared_settings(tmp_path):
    body = next(b for b in _blocks(POLICY_REFERENCE, "yaml") if re.search(r"^extends: california$", b, re.M))
    path = tmp_path / "county.yaml"
    path.write_text(body)
    policy = load_policy(path)
    base = load_policy("california")
    assert set(policy.settings) == set(base.settings)
    assert policy.settings["dismiss_if_age_at_least"] == 50
    # Every discretionary rule is switched on in the example, so it has more active rules than the preset.
    assert len(policy.rules) > len(base.rules)


def test_desktop_settings_example_loads(tmp_path):
    (body,) = _blocks(POLICY_REFERENCE, "json")
    path = tmp_path / "settings.json"
    path.write_text(body)
    policy = load_policy(path)
    reasons = [r.reason for r in policy.rules]
    assert reasons[0] == "Misdemeanor or Infraction"
    assert "57 years or older" in reasons
    assert reasons[-1] == "Reduce all HS 11360 convictions"


def test_policy_examples_are_marked_synthetic():
    for body in _blocks(POLICY_REFERENCE, "yaml"):
        if re.search(r"^name:", body, re.M):
            assert "SYNTHETIC EXAMPLE" in body


def test_nav_lists_only_existing_pages():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def pages(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from pages(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from pages(value)

    listed = list(pages(config["nav"]))
    assert listed
    assert all((DOCS / p).is_file() for p in listed), [p for p in listed if not (DOCS / p).is_file()]


def test_policy_file_and_rule_fields_are_documented():
    from blueprint.engine.policy import RuleSpec

    text = POLICY_REFERENCE.read_text()
    for model in (PolicySpec, RuleSpec):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, f"{model.__name__} field {name} is not documented in a table"
