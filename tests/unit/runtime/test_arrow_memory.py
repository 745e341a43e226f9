"""The local run's choice of Arrow allocator (blueprint.runtime.arrow_memory)."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa

CHOICE = "from blueprint.runtime.arrow_memory import use_jemalloc_if_available as u; print(u())"


def run_python(code: str, **env) -> str:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout.strip()


def test_jemalloc_becomes_the_default_where_pyarrow_has_it():
    try:
        pa.jemalloc_memory_pool()
        expected = "jemalloc"
    except NotImplementedError:  # e.g. a platform whose wheel has no jemalloc: the default stays
        expected = run_python("import pyarrow as pa; print(pa.default_memory_pool().backend_name)")
    out = run_python(CHOICE + "; import pyarrow as pa; print(pa.default_memory_pool().backend_name)")
    assert out.splitlines() == [expected, expected]


def test_a_county_setting_is_left_alone():
    out = run_python(CHOICE, ARROW_DEFAULT_MEMORY_POOL="system")
    assert out == "system"
