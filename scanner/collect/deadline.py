"""The whole-scan deadline (`--timeout`): once it has passed, no further AWS request is sent.

`Deadline.install(session)` hooks the boto3 session's events before any client is made (clients copy the
session's handlers when they are created), so every client of the scan obeys it, whoever creates it.
A request refused by the deadline raises `DeadlineExceeded`, a `BotoCoreError`: the collectors record it
like any failed call (code `DeadlineExceeded`, transient, "retry with a longer --timeout"), so the subjects
that needed the data are ERROR and the scan still ends with a verdict.

Two events: `before-call` refuses calls not yet made; `before-send` fires on every attempt, so the client's
retries of a call that timed out stop at the deadline too. One request in flight when the deadline
passes still runs to its read timeout (`calls.READ_TIMEOUT`): that bounds how far a scan can overrun it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError

if TYPE_CHECKING:
    import boto3

# The events fired before a call (once) and before each attempt, for every service and operation. Spelled
# with both wildcards and registered first: a handler that answers a call (botocore's Stubber registers
# `before-call.*.*`) would otherwise run first and end the event before the deadline is checked.
_EVENTS = ("before-call.*.*", "before-send.*.*")


class DeadlineExceeded(BotoCoreError):
    # Recorded by its class name (scanner.collect.calls.error_code), which is causes.DEADLINE_CODE.
    fmt = "not called: the scan's --timeout of {seconds:g} s had passed"


@dataclass(frozen=True)
class Deadline:
    """A point in time (time.monotonic) after which the scan makes no more requests."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def check(self, **_: Any) -> None:
        """A botocore event handler: refuse the request once the deadline has passed."""
        if self.passed:
            raise DeadlineExceeded(seconds=self.seconds)

    def install(self, session: boto3.session.Session) -> None:
        """Make every client created from `session` from now on obey the deadline."""
        for event in _EVENTS:
            session.events.register_first(event, self.check, unique_id=f"vpce-scan-deadline-{event}")
