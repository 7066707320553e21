"""Exceptions of vpce-scan.

    VpceScanError                 base; carries an exit code and a one-line message
    ├── UsageError                bad flags or configuration                    (exit 2)
    ├── RuleFileError             a rule file is invalid: file:line: what        (exit 2)
    ├── InventoryFileError        an inventory/result file cannot be read        (exit 2)
    ├── CredentialsError          no AWS credentials or region                   (exit 2)
    ├── CollectionError           the scan could not start against AWS           (exit 2)
    └── RenderError               a report could not be rendered                 (exit 2; exit 4 once
                                  the scan has finished: the CLI writes the other reports first)

Failed AWS calls during collection are not exceptions: they are data (`CollectionErrorRecord`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
# The scan finished but at least one --output could not be written (each named on stderr); every other
# report was written in full. Distinct from 2 ("nothing ran") so a pipeline knows a result exists.
EXIT_REPORT_NOT_WRITTEN = 4


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
