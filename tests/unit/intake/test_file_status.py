"""An input file's status has one spelling, in ``blueprint.intake.file_status``, that every part compares with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from blueprint.intake import file_status
from blueprint.intake.reader import FileReport

PACKAGE = Path(__file__).resolve().parents[3] / "blueprint"
#: Something called status compared with, or set to, a file status written out as text. (``ok`` is
#: left out: dates have an "ok" status of their own, ``blueprint.engine.dates``.)
LITERAL = re.compile(r"""status[^=!\n]*(?:==|!=|=)\s*["'](?:failed|repeat)["']""")


def test_no_part_of_the_kit_spells_a_file_status_out():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "file_status.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LITERAL.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_pattern_finds_a_status_spelled_out():
    """The scan above would see a literal comparison (so its silence means something)."""
    assert LITERAL.search('if f["status"] == "failed":')
    assert LITERAL.search('files if f.get("status", "ok") == "repeat")')
    assert LITERAL.search('report.status, report.error, report.rows_used = "failed", exc.reason, 0')
    assert not LITERAL.search("if f.status == FAILED:")


def test_a_new_file_report_is_ok_and_the_statuses_differ():
    assert FileReport(file="a.dat", path="a.dat").status == file_status.OK
    assert len({file_status.OK, file_status.FAILED, file_status.REPEAT}) == 3


def test_the_statuses_load_without_arrow():
    """The command line compares statuses; loading them must not load the reader's libraries."""
    script = "import sys, blueprint.intake.file_status; print('pyarrow' in sys.modules, 'numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
