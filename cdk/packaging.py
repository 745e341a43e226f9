"""How the Lambda functions' code is packaged, without Docker.

Every function runs the same source (`blueprint/`, `functions/`, `templates/`) with the third-party
libraries its group needs, installed at synth time by pip from manylinux wheels for the Lambda
runtime (``--platform manylinux_2_28_x86_64 --only-binary=:all:``): nothing is compiled, so no Docker
is needed. Three groups keep each package under Lambda's 250 MiB unzipped limit:

* ``control``: ingest, notify, resume-review. Powertools and pydantic only; they never touch pandas.
* ``engine``: validate, split, evaluate, combine. pandas, pyarrow and the workbook writers.
* ``documents``: plan, render, assemble. The engine's libraries plus reportlab for the filings and
  python-calamine, the fast reader of the office's reviewed workbook (openpyxl is its fallback).

The runtime is Python 3.12 because its Lambda image is Amazon Linux 2023 (glibc 2.34), which runs the
same manylinux_2_28 wheels of pyarrow and numpy the project is tested with; the python3.11 image is
Amazon Linux 2 (glibc 2.26) and cannot load them.

Versions are pinned to the ones installed where `cdk synth` runs (the environment the tests ran in),
so a deployment carries what was tested. Parts of the wheels a Lambda never uses (test suites, C
headers, Arrow Flight, image codecs reportlab does not draw with) are removed, and the symbol tables
of the compiled libraries the wheels built themselves are stripped (``strip --strip-unneeded``, from
binutils; libraries that auditwheel grafted or patched are left alone). Each package must stay below
``SIZE_BUDGET`` (75 % of Lambda's limit, room for the next library versions): synthesis reports each
package's size and stops with a clear message above it. tests/infra/test_lambda_packages.py builds
the packages this way for the interpreter at hand and imports every handler from them.

For tests and offline synthesis, the context flag ``clearance:lambdaBundling=source`` packages only
the source folders (no pip, no network); such a stack synthesizes but must not be deployed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
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

#: What a package may use of that limit, so that newer library versions still fit.
SIZE_BUDGET = int(LAMBDA_UNZIPPED_LIMIT * 0.75)

#: The source folders every package carries.
SOURCE_FOLDERS = ("blueprint", "functions", "templates")

_CONTROL = ("aws-lambda-powertools[tracer]", "pydantic", "tzdata")  # tzdata: the county time zone via zoneinfo
_ENGINE = _CONTROL + ("pandas", "numpy", "pyarrow", "pyyaml", "jinja2", "xlsxwriter", "openpyxl", "tqdm")
_DOCUMENTS = _ENGINE + ("reportlab", "python-calamine")

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
    # Arrow's ORC, HDFS, Google Cloud and Azure modules (pyarrow.fs imports each only if present)
    "pyarrow/_orc*",
    "pyarrow/_dataset_orc*",
    "pyarrow/_hdfs*",
    "pyarrow/_gcsfs*",
    "pyarrow/_azurefs*",
    # copies of one library under its development and full-version names; the loader asks for .so.<N>
    "pyarrow/libarrow_python.so",
    "pyarrow/libarrow_python.so.*.*.*",
    "pyarrow/libarrow_python_parquet_encryption.so",
    "pyarrow/libarrow_python_parquet_encryption.so.*.*.*",
    # Pillow (reportlab imports PIL.Image) without the codecs and font engines reportlab's PDF
    # canvas never loads: AVIF, WebP, FreeType/HarfBuzz, colour management, Tk
    "PIL/_avif*",
    "PIL/_webp*",
    "PIL/_imagingft*",
    "PIL/_imagingcms*",
    "PIL/_imagingtk*",
    "pillow.libs/libavif*",
    "pillow.libs/libwebp*",
    "pillow.libs/libsharpyuv*",
    "pillow.libs/libfreetype*",
    "pillow.libs/libharfbuzz*",
    "pillow.libs/libbrotli*",
    "pillow.libs/libpng*",
    "pillow.libs/liblcms2*",
    "aws_lambda_powertools/event_handler",  # HTTP routing; the functions are invoked by S3 and Step Functions
    "numpy/f2py",
    "numpy/_pyinstaller",
    "numpy/_core/_*_tests*",
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
    """Remove what a Lambda never runs; return the package's size in bytes."""
    for pattern in TRIM_PATTERNS:
        for path in sorted(package_dir.glob(pattern), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
    return package_size(package_dir)


#: A compiled library whose run path points into a ``*.libs`` folder was patched by auditwheel;
#: stripping such a file can make it unloadable, so it is left as it is.
_AUDITWHEEL_RUNPATH = re.compile(rb"\$ORIGIN[^\x00]*\.libs")


def strip_libraries(package_dir: Path) -> int:
    """Remove the symbol tables of the wheels' own compiled libraries; return the bytes saved.

    Only ``strip --strip-unneeded``: the dynamic symbols the loader needs stay. Libraries under a
    ``*.libs`` folder, and any whose run path auditwheel rewrote, are not touched.
    """
    strip = os.environ.get("STRIP") or shutil.which("strip")
    if strip is None:
        raise RuntimeError(
            "building the Lambda packages needs 'strip' from binutils (apt-get install binutils), "
            "or STRIP naming a GNU strip that reads x86-64 ELF"
        )
    before = package_size(package_dir)
    libraries = [
        p
        for p in package_dir.rglob("*.so*")
        if p.is_file()
        and not p.is_symlink()
        and not any(part.endswith(".libs") for part in p.relative_to(package_dir).parts)
    ]
    unpatched = [
        p for p in libraries if p.read_bytes()[:4] == b"\x7fELF" and not _AUDITWHEEL_RUNPATH.search(p.read_bytes())
    ]
    for start in range(0, len(unpatched), 200):
        subprocess.run([strip, "--strip-unneeded", *map(str, unpatched[start : start + 200])], check=True)
    return before - package_size(package_dir)


def size_report(group: str, size: int) -> str:
    return (
        f"Lambda package '{group}': {size:,} bytes unzipped, {size / LAMBDA_UNZIPPED_LIMIT:.1%} of Lambda's "
        f"limit ({LAMBDA_UNZIPPED_LIMIT:,}); budget {SIZE_BUDGET / LAMBDA_UNZIPPED_LIMIT:.0%}"
    )


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


def build_package(
    group: str,
    output_dir: Path,
    extra_files: dict[str, Path],
    *,
    python_version: str = PYTHON_VERSION,
    quiet: bool = True,
) -> int:
    """Install a group's wheels for ``python_version`` on Linux x86_64, trim, strip, add the sources;
    return the package's size. Refuses a package above ``SIZE_BUDGET``."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(output_dir),
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
    ]
    if quiet:
        command.append("--quiet")
    for platform in PLATFORMS:
        command += ["--platform", platform]
    command += pinned(REQUIREMENTS[group])
    subprocess.run(command, check=True)
    trim(output_dir)
    strip_libraries(output_dir)
    copy_sources(output_dir, extra_files)
    size = package_size(output_dir)
    if size > SIZE_BUDGET:
        raise RuntimeError(
            f"the '{group}' Lambda package is {size:,} bytes unzipped, over the kit's budget of {SIZE_BUDGET:,} "
            f"(75 % of Lambda's limit of {LAMBDA_UNZIPPED_LIMIT:,}); trim it or remove a dependency in cdk/packaging.py"
        )
    return size


@jsii.implements(cdk.ILocalBundling)
class PipBundling:
    """CDK local bundling: pip-install a group's wheels for the Lambda runtime, add the sources."""

    def __init__(self, group: str, extra_files: dict[str, Path]):
        self.group = group
        self.extra_files = extra_files

    def try_bundle(self, output_dir: str, *, image=None, **_ignored) -> bool:
        size = build_package(self.group, Path(output_dir), self.extra_files)
        print(size_report(self.group, size), file=sys.stderr)
        return True


def _fingerprint(group: str, extra_files: dict[str, Path]) -> str:
    """A hash of everything that goes into a package, so unchanged packages are not rebuilt."""
    digest = hashlib.sha256()
    digest.update(group.encode())
    digest.update("\n".join(pinned(REQUIREMENTS[group])).encode())
    digest.update("\n".join(TRIM_PATTERNS).encode())
    digest.update(Path(__file__).read_bytes())  # how packages are built is part of what they are
    files = [
        p
        for folder in SOURCE_FOLDERS
        for p in sorted((REPO_ROOT / folder).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
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
