"""The Lambda packages as `cdk deploy` builds them (cdk/packaging.py: pip, manylinux wheels, trimmed
and stripped), for the interpreter at hand, and every handler imported from them in a clean
interpreter that sees only its package and what the Lambda runtime itself provides (boto3).

This is the check that the deployed code can run at all: a library trimmed too far, a stripped
library that no longer loads, or a dependency missing from a group fails here, not in the county's
account. It needs PyPI (or pip's cache) and takes about half a minute with a warm cache.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cdk import packaging
from cdk.processing import FUNCTIONS

#: One worker builds the packages once (make test runs with --dist loadgroup).
pytestmark = [pytest.mark.packaging, pytest.mark.xdist_group("lambda-packages")]

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="session")  # once per worker: the group's tests may be interleaved with others
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("lambda-packages")
    built = {}
    for group in packaging.REQUIREMENTS:
        folder = root / group
        folder.mkdir()
        size = packaging.build_package(group, folder, {}, python_version=PYTHON)
        built[group] = (folder, size)
    # What the Lambda runtime provides beside the package: boto3 and its dependencies.
    runtime = root / "runtime"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(runtime),
            *packaging.pinned(("boto3",)),
        ],
        check=True,
    )
    return built, runtime


CLEAN_CHECK = r"""
import importlib, json, sys
package, runtime, handlers, group = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
assert not any("site-packages" in p for p in sys.path), sys.path  # nothing from the test's environment
sys.path[:0] = [package, runtime]
for name in handlers:
    module = importlib.import_module(f"functions.{name}")
    assert callable(module.handler), name
report = {"handlers": handlers, "modules": {}}
if group in ("engine", "documents"):
    import io
    import pandas as pd
    frame = pd.DataFrame({"offense": ["11357(b) HS", "11359 HS"], "count": [2, 1]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    assert pd.read_parquet(io.BytesIO(buffer.getvalue())).equals(frame)
    import xlsxwriter
    book = xlsxwriter.Workbook("/tmp/clearance-package-check.xlsx")
    sheet = book.add_worksheet("Review")
    sheet.write_row(0, 0, ["run_id", "decision"])
    sheet.write_row(1, 0, ["20260301-0123456789ab", "grant"])
    book.close()
if group == "documents":
    from reportlab.pdfgen.canvas import Canvas
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    canvas.drawString(72, 720, "Notice of non-challenge")
    canvas.save()
    assert pdf.getvalue().startswith(b"%PDF")
    from blueprint.review.reader import _open_workbook
    from pathlib import Path
    names, rows = _open_workbook(Path("/tmp/clearance-package-check.xlsx"), engine="calamine")
    report["review_sheets"] = names
    report["review_rows"] = [list(r) for r in rows("Review")]
for name in ("pandas", "pyarrow", "numpy", "reportlab", "python_calamine", "pydantic", "aws_lambda_powertools", "boto3"):
    if name in sys.modules:
        report["modules"][name] = sys.modules[name].__file__
print(json.dumps(report))
"""


def run_clean(folder: Path, runtime: Path, group: str) -> dict:
    handlers = [spec.name for spec in FUNCTIONS if spec.group == group]
    environment = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "us-west-2",
        "AWS_DEFAULT_REGION": "us-west-2",
        "POWERTOOLS_SERVICE_NAME": "clearance-check",
    }
    # -I: no environment or user site; -S: no site-packages; -B: the package stays read-only, as /var/task is
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", CLEAN_CHECK, str(folder), str(runtime), json.dumps(handlers), group],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("group", list(packaging.REQUIREMENTS))
def test_every_handler_imports_from_its_built_package_alone(packages, group):
    built, runtime = packages
    folder, size = built[group]
    report = run_clean(folder, runtime, group)
    assert report["handlers"] == [spec.name for spec in FUNCTIONS if spec.group == group]
    for module, location in report["modules"].items():
        expected = runtime if module == "boto3" else folder
        assert location.startswith(str(expected)), (module, location)
    if group == "control":
        assert not {"pandas", "pyarrow", "reportlab"} & set(report["modules"])
    if group == "documents":
        # the office's review is read by python-calamine, packaged, not by the slow fallback
        assert "python_calamine" in report["modules"]
        assert report["review_sheets"] == ["Review"]
        assert report["review_rows"] == [["run_id", "decision"], ["20260301-0123456789ab", "grant"]]
    assert not (folder / "boto3").exists() and not (folder / "botocore").exists()  # the runtime's own


def test_every_package_is_below_three_quarters_of_lambdas_limit(packages):
    built, _ = packages
    for group, (folder, size) in built.items():
        assert size == packaging.package_size(folder)
        assert size < 0.75 * packaging.LAMBDA_UNZIPPED_LIMIT, packaging.size_report(group, size)


def test_the_wheels_own_libraries_are_stripped_and_auditwheel_patched_ones_are_not(packages):
    built, _ = packages
    folder, _ = built["documents"]

    def has_symbol_table(path):
        sections = subprocess.run(["readelf", "-S", str(path)], capture_output=True, text=True, check=True).stdout
        return ".symtab" in sections

    assert not has_symbol_table(next(folder.glob("pyarrow/libarrow.so.*")))
    # numpy's extension has a run path into numpy.libs that auditwheel wrote: left as built
    patched = next(folder.glob("numpy/_core/_multiarray_umath*.so"))
    assert packaging._AUDITWHEEL_RUNPATH.search(patched.read_bytes())
