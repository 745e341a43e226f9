"""How the Lambda functions' code is packaged, without Docker.

Every function runs the same source (`blueprint/`, `functions/`, `templates/`) with the third-party
libraries its group needs, installed at synth time by pip from manylinux wheels for the Lambda
runtime (``--platform manylinux_2_28_x86_64 --only-binary=:all:``): nothing is compiled, so no Docker
is needed. Three groups keep each package under Lambda's 250 MiB unzipped limit:

* ``control``: ingest, notify, resume-review. Powertools and pydantic only; they never touch pandas.
* ``engine``: validate, split, evaluate, combine. pandas, pyarrow and the workbook writers.
* ``documents``: plan, render, assemble. The engine's libraries plus reportlab for the filings.

The runtime is Python 3.12 because its Lambda image is Amazon Linux 2023 (glibc 2.34), which runs the
same manylinux_2_28 wheels of pyarrow and numpy the project is tested with; the python3.11 image is
Amazon Linux 2 (glibc 2.26) and cannot load them.

Versions are pinned to the ones installed where `cdk synth` runs (the environment the tests ran in),
so a deployment carries what was tested. Parts of the wheels a Lambda never uses (test suites, C
headers, Arrow Flight) are removed; the result is
checked against the size limit and synthesis stops with a clear message if it is exceeded.

For tests and offline synthesis, the context flag ``clearance:lambdaBundling=source`` packages only
the source folders (no pip, no network); such a stack synthesizes but must not be deployed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from .settings import REPO_ROOT, DeploymentSettings

RUNTIME = lambda_.Runtime.PYTHON_3_12
PYTHON_VERSION = "3.12"
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")

#: Lambda's limit on a function's unzipped code (all layers included): 262,144,000 bytes.
LAMBDA_UNZIPPED_LIMIT = 262_144_000

#: The source folders every package carries.
SOURCE_FOLDERS = ("blueprint", "functions", "templates")

_CONTROL = ("aws-lambda-powertools[tracer]", "pydantic", "tzdata")  # tzdata: California dates via zoneinfo
_ENGINE = _CONTROL + ("pandas", "numpy", "pyarrow", "pyyaml", "jinja2", "xlsxwriter", "openpyxl", "tqdm")
_DOCUMENTS = _ENGINE + ("reportlab",)

REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "control": _CONTROL,
    "engine": _ENGINE,
    "documents": _DOCUMENTS,
}

#: Paths (relative to the package root, glob patterns) removed after installation. Each one is code
#: a Lambda never runs; shared libraries other libraries link against (libarrow_substrait, for one)
#: must never appear here.
TRIM_PATTERNS: tuple[str, ...] = (
    "boto3",  # the Lambda runtime provides boto3 and botocore
    "boto3-*.dist-info",
    "botocore",
    "botocore-*.dist-info",
    "s3transfer",
    "s3transfer-*.dist-info",
    "pandas/tests",
    "numpy/tests",
    "numpy/*/tests",
    "numpy/_core/include",
    "pyarrow/tests",
    "pyarrow/include",
    "pyarrow/src",
    "pyarrow/*flight*",
    "pyarrow/libarrow_s3*",  # Arrow's own S3 client; the functions use boto3 (pyarrow.fs tolerates its absence)
    "pyarrow/_s3fs*",
    "pyarrow/_pyarrow_cpp_tests*",
    "**/__pycache__",
    "**/*.pyx",
    "**/*.pxd",
    "**/*.pxi",
    "bin",
)


def pinned(requirements: tuple[str, ...]) -> list[str]:
    """Each requirement pinned to the version installed here, when it is installed."""
    out = []
    for requirement in requirements:
        name = requirement.split("[")[0]
        try:
            out.append(f"{requirement}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(requirement)
    return out


def trim(package_dir: Path) -> int:
    """Remove what a Lambda never runs; return the package's size in bytes.

    Shared libraries are deliberately not stripped: the wheels' bundled libraries (``numpy.libs``
    and the like) were rewritten by auditwheel, and stripping them makes them unloadable.
    """
    for pattern in TRIM_PATTERNS:
        for path in sorted(package_dir.glob(pattern), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
    return package_size(package_dir)


def package_size(package_dir: Path) -> int:
    return sum(p.stat().st_size for p in package_dir.rglob("*") if p.is_file() and not p.is_symlink())


def copy_sources(output_dir: Path, extra_files: dict[str, Path]) -> None:
    """Copy the source folders (without caches) and the county's configuration files."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for folder in SOURCE_FOLDERS:
        source = REPO_ROOT / folder
        if source.is_dir():
            shutil.copytree(source, output_dir / folder, ignore=ignore, dirs_exist_ok=True)
    for relative, source in extra_files.items():
        target = output_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@jsii.implements(cdk.ILocalBundling)
class PipBundling:
    """CDK local bundling: pip-install a group's wheels for the Lambda runtime, add the sources."""

    def __init__(self, group: str, extra_files: dict[str, Path]):
        self.group = group
        self.extra_files = extra_files

    def try_bundle(self, output_dir: str, *, image=None, **_ignored) -> bool:
        out = Path(output_dir)
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--target", str(out), "--implementation", "cp",
            "--python-version", PYTHON_VERSION, "--only-binary=:all:",
        ]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        command += pinned(REQUIREMENTS[self.group])
        subprocess.run(command, check=True)
        size = trim(out)
        copy_sources(out, self.extra_files)
        size = package_size(out)
        if size > LAMBDA_UNZIPPED_LIMIT:
            raise RuntimeError(
                f"the '{self.group}' Lambda package is {size:,} bytes unzipped, over Lambda's limit of "
                f"{LAMBDA_UNZIPPED_LIMIT:,}; remove a dependency from cdk/packaging.py REQUIREMENTS"
            )
        return True


def _fingerprint(group: str, extra_files: dict[str, Path]) -> str:
    """A hash of everything that goes into a package, so unchanged packages are not rebuilt."""
    digest = hashlib.sha256()
    digest.update(group.encode())
    digest.update("\n".join(pinned(REQUIREMENTS[group])).encode())
    digest.update("\n".join(TRIM_PATTERNS).encode())
    files = [p for folder in SOURCE_FOLDERS for p in sorted((REPO_ROOT / folder).rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    files += [extra_files[k] for k in sorted(extra_files)]
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name).encode())
        digest.update(path.read_bytes())
    for relative in sorted(extra_files):
        digest.update(relative.encode())
    return digest.hexdigest()


class FunctionCode:
    """The three code packages of a stack, built once each and shared by the functions of a group."""

    #: Where the county's configuration files are placed inside every package.
    POLICY_PATH = "config/policy"
    PROFILE_PATH = "config/office_profile"

    def __init__(self, settings: DeploymentSettings):
        self.settings = settings
        self.extra_files: dict[str, Path] = {}
        if settings.policy_file:
            self.extra_files[self.POLICY_PATH + settings.policy_file.suffix] = settings.policy_file
        if settings.office_profile_file:
            self.extra_files[self.PROFILE_PATH + settings.office_profile_file.suffix] = settings.office_profile_file
        self._codes: dict[str, lambda_.Code] = {}

    @property
    def policy_in_package(self) -> str:
        """The policy as the functions see it: a preset name, or the packaged file's path."""
        if self.settings.policy_file:
            return "/var/task/" + self.POLICY_PATH + self.settings.policy_file.suffix
        return self.settings.policy

    @property
    def profile_in_package(self) -> str:
        if self.settings.office_profile_file:
            return "/var/task/" + self.PROFILE_PATH + self.settings.office_profile_file.suffix
        return ""

    def code(self, group: str) -> lambda_.Code:
        if group not in REQUIREMENTS:
            raise ValueError(f"unknown code group {group!r}")
        if group not in self._codes:
            self._codes[group] = self._build(group)
        return self._codes[group]

    def _build(self, group: str) -> lambda_.Code:
        if self.settings.lambda_bundling == "source":
            # Offline and fast: the source folders in the deployed layout, without third-party
            # libraries. Synthesizes in seconds; such a package must not be deployed.
            staging = Path(tempfile.mkdtemp(prefix="clearance-source-"))
            copy_sources(staging, self.extra_files)
            return lambda_.Code.from_asset(str(staging))
        return lambda_.Code.from_asset(
            str(REPO_ROOT / "functions"),
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            asset_hash=_fingerprint(group, self.extra_files),
            bundling=cdk.BundlingOptions(
                image=RUNTIME.bundling_image,  # used only if local bundling were unavailable
                local=PipBundling(group, self.extra_files),
                command=["false"],
            ),
        )

