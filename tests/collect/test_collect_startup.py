"""`import scanner.collect` stays light: the CLI's start-up cost (no moto, no stubs, no renderers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# boto3/botocore with their dependencies, pydantic with its own, and our package.
ALLOWED = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "six",
    "urllib3",
    "certifi",
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "typing_inspection",
    "annotated_types",
    "scanner",
}
PROBE = """
import sys
import scanner.collect
for name in sorted(sys.modules):
    print(name)
"""


def test_import_loads_only_boto3_botocore_and_our_models() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    top_level = {name.split(".")[0] for name in out}
    foreign = {
        name
        for name in top_level - set(sys.stdlib_module_names) - ALLOWED
        if not name.startswith("_")  # interpreter internals: __main__, _distutils_hack, _sysconfigdata...
    }
    assert foreign == set()
    ours = {name for name in out if name.startswith("scanner.")}
    assert all(
        name.startswith(
            (
                "scanner.collect",
                "scanner.inventory.",
                "scanner.results",
                "scanner.causes",
                "scanner.errors",
                "scanner.versioned",
            )
        )
        or name == "scanner.inventory"
        for name in ours
    ), ours
