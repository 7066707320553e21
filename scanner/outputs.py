"""Report and inventory files: checked before any work is done, then written whole or not at all.

A scan can take an hour; finding only afterwards that `--output` names a missing directory loses it. And a
report cut short (a full disk, a file size limit) must not pass for a whole one: it is removed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from scanner.errors import UsageError
from scanner.report.escape import terminal


def check_writable(output: Path, flag: str = "--output") -> None:
    """A UsageError naming `flag` and the path unless `output` can be created or overwritten."""
    shown = terminal(str(output))
    if output.is_dir():
        raise UsageError(f"{flag} {shown}: is a directory; give a file name")
    parent = output.parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {shown}: directory {terminal(str(parent))} does not exist; create it first")
    if output.exists():
        if not os.access(output, os.W_OK):
            raise UsageError(f"{flag} {shown}: file is not writable (permission denied)")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {shown}: cannot create a file in {terminal(str(parent))} (permission denied)")


def check_outputs(outputs: Iterable[Path | None]) -> None:
    """Every `--output` writable, and none given twice (the second report would replace the first)."""
    seen: set[Path] = set()
    for output in outputs:
        if output is None:
            continue
        check_writable(output)
        if output.exists() and not output.is_file():
            continue  # /dev/null or a pipe may take several reports
        resolved = output.resolve()
        if resolved in seen:
            raise UsageError(f"--output {terminal(str(output))} is given twice; each report needs its own file")
        seen.add(resolved)


def write_output(text: str, output: Path | None) -> None:
    """Write to `output` (stdout if None); raise OSError on failure, leaving no half-written file."""
    if output is None:
        sys.stdout.write(text)
        return
    handle = output.open("w", encoding="utf-8")  # an error here leaves an existing file untouched
    try:
        with handle:
            handle.write(text)
    except OSError:
        if output.is_file():
            output.unlink(missing_ok=True)
        raise
