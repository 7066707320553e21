"""The rule vocabulary: importing this package registers every check kind."""

from scanner.engine.checks import endpoints, generic, iam, nacl, routes, security_groups
from scanner.engine.checks.base import KINDS, CheckContext, Kind, Outcome, Problem, Verdict, run_check

__all__ = [
    "KINDS",
    "CheckContext",
    "Kind",
    "Outcome",
    "Problem",
    "Verdict",
    "endpoints",
    "generic",
    "iam",
    "nacl",
    "routes",
    "run_check",
    "security_groups",
]
