"""Lambda packaging without Docker: what is trimmed, what is pinned, what must never be removed."""

from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from cdk import packaging


def make_tree(root: Path, files: list[str]) -> None:
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)


def test_trim_removes_what_lambda_never_runs_and_keeps_linked_libraries(tmp_path):
    make_tree(
        tmp_path,
        [
            "botocore/client.py",
            "boto3/session.py",
            "pandas/tests/test_frame.py",
            "pandas/core/frame.py",
            "numpy/_core/tests/test_x.py",
            "numpy/_core/multiarray.py",
            "numpy.libs/libscipy_openblas64_-abc.so",
            "pyarrow/include/arrow/api.h",
            "pyarrow/libarrow_flight.so.2600",
            "pyarrow/_flight.cpython-312-x86_64-linux-gnu.so",
            "pyarrow/libarrow_s3.so.2600",
            "pyarrow/_s3fs.cpython-312-x86_64-linux-gnu.so",
            "pyarrow/libarrow_substrait.so.2600",
            "pyarrow/libarrow_python.so.2600",
            "pyarrow/lib.pyx",
            "pyarrow/parquet/core.py",
            "jinja2/__pycache__/x.pyc",
        ],
    )
    size = packaging.trim(tmp_path)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        "numpy.libs/libscipy_openblas64_-abc.so",
        "numpy/_core/multiarray.py",
        "pandas/core/frame.py",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libarrow_substrait.so.2600",  # libarrow_python links against it
        "pyarrow/parquet/core.py",
    ]
    assert size == 10 * len(left)


def test_requirements_are_pinned_to_the_tested_versions():
    import importlib.metadata

    pins = packaging.pinned(packaging.REQUIREMENTS["engine"])
    assert f"pandas=={importlib.metadata.version('pandas')}" in pins
    assert f"pyarrow=={importlib.metadata.version('pyarrow')}" in pins
    assert packaging.pinned(("surely-not-installed-package",)) == ["surely-not-installed-package"]


def test_groups_only_grow_and_the_control_group_stays_light():
    control, engine, documents = (set(packaging.REQUIREMENTS[g]) for g in ("control", "engine", "documents"))
    assert control < engine < documents
    assert not {"pandas", "pyarrow", "reportlab"} & control
    assert "reportlab" in documents and "reportlab" not in engine


def test_runtime_is_an_amazon_linux_2023_python():
    assert packaging.RUNTIME.name == lambda_.Runtime.PYTHON_3_12.name
    assert packaging.PYTHON_VERSION == "3.12"
    assert packaging.PLATFORMS[0] == "manylinux_2_28_x86_64"


def test_source_packages_carry_the_deployed_layout(tmp_path):
    packaging.copy_sources(tmp_path, {"config/policy.yaml": packaging.REPO_ROOT / "pyproject.toml"})
    assert (tmp_path / "blueprint" / "__init__.py").is_file()
    assert (tmp_path / "config" / "policy.yaml").is_file()
    assert not list(tmp_path.rglob("__pycache__"))


def test_the_size_report_names_each_package_and_its_functions(synthesized):
    from cdk.package_report import packages

    found = packages(synthesized.outdir)
    groups = {group: sorted(names) for group, names, _ in found}
    assert len(found) == 3
    assert groups == {
        "control": ["ingest", "notify", "resume_review"],
        "engine": ["combine", "evaluate", "split", "validate"],
        "documents": ["assemble", "plan_documents", "render_batch"],
    }
    assert all(size > 0 for _, _, size in found)
