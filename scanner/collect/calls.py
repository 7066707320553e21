"""Running AWS calls for the collectors: failures become `CollectionErrorRecord`s and the scan goes on.

Every collector gets a `CallContext` for its (account, region). It runs one call or one paginator at a
time; a `ClientError` (AccessDenied, throttling after the client's retries are spent) or a `BotoCoreError`
(EndpointConnectionError, a read timeout, a call refused by the scan's deadline: `deadline`) is recorded
with the service, the IAM-style operation name and the error code, and the caller gets whatever had
arrived before the failure. A listing that stopped part-way is incomplete: its failure is recorded with
the resource it was about, and callers that cannot use a partial answer take `try_pages` and drop it.
Items that do not fit their inventory model are recorded the same way (`error_code` "InvalidResponse")
and skipped. What each code means for the user (grant, retry...) is `scanner.causes`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError

from scanner.causes import HTTP_CODE_PREFIX
from scanner.results import CollectionErrorRecord

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Explicit per-request bounds (botocore's defaults are 60 s each, unbounded by anything else): an
# endpoint that accepts and never answers costs at most READ_TIMEOUT per attempt, the whole scan is
# bounded by its --timeout (scanner.collect.deadline).
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
# Adaptive mode adds client-side rate limiting on top of exponential backoff: a scan of a large
# account then slows down instead of failing on throttling.
CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "adaptive", "max_attempts": 10},
)

Progress = Callable[[str], None]


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive batches of at most `size` items, for the APIs that take id lists."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def counted(items: Sized, noun: str) -> str:
    """`1 cluster`, `3 clusters`: progress details."""
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def error_code(exc: Exception) -> str:
    """The AWS error code, else the HTTP status (`HTTP503`), else the botocore exception's class name."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code or (f"{HTTP_CODE_PREFIX}{status}" if status else "ClientError")
    return type(exc).__name__


def error_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Message") or str(exc)
    return str(exc)


@dataclass(frozen=True)
class Absent:
    """A call refused because what it asks about does not exist (its error code says which): data."""

    code: str


@dataclass
class CallContext:
    """Where the calls of one collector go (account, region) and where their failures are kept.

    A context belongs to one thread: regions collected in parallel each have their own.
    """

    account: str
    region: str
    progress: Progress | None = None
    errors: list[CollectionErrorRecord] = field(default_factory=list)

    def stage(self, service: str, operation: str, detail: str = "") -> None:
        """Report the start of a stage: `us-east-1: ec2 describe-vpc-endpoints`."""
        if self.progress is not None:
            suffix = f" ({detail})" if detail else ""
            self.progress(f"{self.region}: {service} {_kebab(operation)}{suffix}")

    def record(self, service: str, operation: str, code: str, message: str, resource_id: str | None = None) -> None:
        record = CollectionErrorRecord(
            account=self.account,
            region=self.region,
            service=service,
            operation=operation,
            error_code=code,
            message=message,
            resource_id=resource_id,
        )
        self.errors.append(record)

    def record_exception(self, service: str, operation: str, exc: Exception, resource_id: str | None = None) -> None:
        self.record(service, operation, error_code(exc), error_message(exc), resource_id)

    def call(self, service: str, operation: str, request: Callable[[], T], resource_id: str | None = None) -> T | None:
        """One request; None when it failed (and the failure is recorded)."""
        try:
            return request()
        except (ClientError, BotoCoreError) as exc:
            self.record_exception(service, operation, exc, resource_id)
            return None

    def call_or_absent(
        self,
        service: str,
        operation: str,
        request: Callable[[], T],
        resource_id: str,
        absent: Collection[str],
    ) -> T | Absent | None:
        """One request about one resource whose refusal with a code in `absent` (NoSuchEntity,
        ResourceNotFoundException, a policy that does not exist) is an answer, not a failure: `Absent`
        with that code. Any other failure is recorded on `resource_id`: None."""
        try:
            return request()
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc)
            if isinstance(exc, ClientError) and code in absent:
                return Absent(code)
            self.record_exception(service, operation, exc, resource_id)
            return None

    def pages(self, service: str, operation: str, pages: Iterable[T], resource_id: str | None = None) -> list[T]:
        """Every page of a paginator; on failure, the pages that arrived before it (an incomplete listing:
        the failure is recorded, with `resource_id` when the listing is about one resource)."""
        collected, failure = try_pages(pages)
        if failure is not None:
            self.record_exception(service, operation, failure, resource_id)
        return collected

    def parse(
        self,
        model: type[M],
        items: Iterable[Mapping[str, Any]],
        *,
        service: str,
        operation: str,
        id_key: str,
    ) -> list[M]:
        """Validate API items into inventory models; one odd item is recorded and skipped, not fatal."""
        parsed: list[M] = []
        for item in items:
            try:
                parsed.append(model.model_validate(item))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                self.record(
                    service,
                    operation,
                    "InvalidResponse",
                    f"{model.__name__} not understood at {where}: {first['msg']}",
                    str(item.get(id_key, "")) or None,
                )
        return parsed


def try_pages(pages: Iterable[T]) -> tuple[list[T], ClientError | BotoCoreError | None]:
    """The pages that arrived and the failure that stopped them (None: the listing is complete), for the
    callers that decide themselves what an incomplete listing leaves unknown."""
    collected: list[T] = []
    try:
        for page in pages:
            collected.append(page)
    except (ClientError, BotoCoreError) as exc:
        return collected, exc
    return collected, None


def _kebab(operation: str) -> str:
    """DescribeVpcEndpoints -> describe-vpc-endpoints (the AWS CLI spelling)."""
    out: list[str] = []
    for index, char in enumerate(operation):
        if char.isupper() and index and not operation[index - 1].isupper():
            out.append("-")
        out.append(char.lower())
    return "".join(out)
