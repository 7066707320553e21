"""Exceptions of vpce-scan.

    VpceScanError                 base; carries an exit code and a one-line message
    ├── UsageError                bad flags or configuration                    (exit 2)
    ├── RuleFileError             a rule file is invalid: file:line: what        (exit 2)
    ├── InventoryFileError        an inventory/result file cannot be read        (exit 2)
    ├── CredentialsError          no AWS credentials or region                   (exit 2)
    ├── CollectionError           the scan could not start against AWS           (exit 2)
    ├── RenderError               a report could not be rendered                 (exit 2; exit 5 once
    │                             the scan has finished: the CLI writes the other reports first)
    └── InternalError             an unexpected exception in a stage (a bug)     (exit 4)

`stage("collect")` turns any other exception raised inside it into an `InternalError` naming the stage
(the original is chained: `--debug` shows its traceback).

Failed AWS calls during collection are not exceptions: they are data (`CollectionErrorRecord`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4
# The scan finished but at least one --output could not be written (each named on stderr); every other
# report was written in full. Distinct from 2 ("nothing ran") so a pipeline knows a result exists.
EXIT_REPORT_NOT_WRITTEN = 5


class VpceScanError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(VpceScanError):
    pass


class RuleFileError(VpceScanError):
    def __init__(self, path: str, line: int | None, detail: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {detail}")
        self.path = path
        self.line = line
        self.detail = detail


class InventoryFileError(VpceScanError):
    pass


class CredentialsError(VpceScanError):
    pass


class CollectionError(VpceScanError):
    pass


class RenderError(VpceScanError):
    pass


class InternalError(VpceScanError):
    """Not the user's input and not AWS data the scan records: vpce-scan itself failed."""

    exit_code = EXIT_INTERNAL

    def __init__(self, stage: str, exc: BaseException) -> None:
        # The text may carry AWS data: control and bidi characters are shown escaped, never sent raw.
        detail = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in " ".join(str(exc).split()))[:200]
        super().__init__(
            f"internal error while {stage}: {type(exc).__name__}{': ' + detail if detail else ''} "
            "(a bug in vpce-scan; rerun with --debug for the traceback and report it)"
        )
        self.stage = stage


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Name the stage (`collecting`, `evaluating`, `rendering`...) of any unexpected exception in it."""
    try:
        yield
    except (VpceScanError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise InternalError(name, exc) from exc
