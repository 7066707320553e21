"""Why an AWS call failed, and what the user should do about it: the one place that classifies error codes.

A collection error record keeps only the error code (a ClientError's `Error.Code`, or the class name of a
botocore exception such as `ReadTimeoutError`), so the classification works from the code alone and also
for inventories written by older versions. Throttling and transient codes are botocore's own lists (the
codes its retry handlers retry), so a code the SDK treats as retryable is never told to "grant" anything.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

# Codes AWS services answer when the caller lacks a permission (EC2 says UnauthorizedOperation, most JSON
# services AccessDeniedException, query services AccessDenied).
PERMISSION_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "UnauthorizedException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "NotAuthorized",
        "Forbidden",
        "ACCESS_DENIED",  # ECS per-ARN failures in a Describe* body
    }
)
# Not a failed call: the resource is in another account, which this scan does not read
# (scanner.collect.iam records an execution role of another account so).
OUT_OF_SCOPE_CODES = frozenset({"CrossAccountRole"})
# The credentials themselves were refused: no permission would help.
CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "RequestExpired",
    }
)
# Throttling as every service spells it; botocore's list (below) adds the rarer spellings.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
)
# Server-side failures (HTTP 5xx) by the codes services give them; botocore retries them by status code,
# which the record does not keep.
SERVER_ERROR_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "InternalServiceError",
        "InternalServiceException",
        "ServerException",
        "ServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "BadGateway",
        "GatewayTimeout",
    }
)
# A resource listed a moment earlier and gone when described (deleted or replaced while the scan ran):
# ECS answers these for a cluster or service between ListClusters/ListServices and the describe calls.
CHANGED_CODES = frozenset({"ClusterNotFoundException", "ServiceNotFoundException", "ServiceNotActiveException"})
# The code of a call refused because the scan's --timeout had passed (scanner.collect.deadline).
DEADLINE_CODE = "DeadlineExceeded"
# A ClientError without a code is recorded by its HTTP status: `HTTP503`.
HTTP_CODE_PREFIX = "HTTP"
# Items that do not fit their inventory model (scanner.collect.calls).
INVALID_RESPONSE = "InvalidResponse"


class Cause(StrEnum):
    PERMISSION = "permission"
    CREDENTIALS = "credentials"
    THROTTLED = "throttled"
    SERVER = "server"
    NETWORK = "network"
    DEADLINE = "deadline"
    CHANGED = "changed"
    INVALID_RESPONSE = "invalid_response"
    OUT_OF_SCOPE = "out_of_scope"
    OTHER = "other"

    @property
    def transient(self) -> bool:
        """A retry of the same scan may succeed."""
        return self in _TRANSIENT


_TRANSIENT = frozenset({Cause.THROTTLED, Cause.SERVER, Cause.NETWORK, Cause.DEADLINE, Cause.CHANGED})


@cache
def _botocore_lists() -> tuple[frozenset[str], frozenset[str], tuple[type[Exception], ...]]:
    """(throttling codes, transient codes, transient exception classes) as the retry handlers of the
    installed botocore know them (private class attributes, so read defensively and joined with our own
    minimum); imported late so that reading a saved result does not load botocore's retry machinery."""
    from botocore.exceptions import ConnectionError as BotocoreConnectionError
    from botocore.exceptions import HTTPClientError
    from botocore.retries import standard

    throttled = getattr(standard.ThrottledRetryableChecker, "_THROTTLED_ERROR_CODES", ())
    transient = getattr(standard.TransientRetryableChecker, "_TRANSIENT_ERROR_CODES", ())
    classes = getattr(standard.TransientRetryableChecker, "_TRANSIENT_EXCEPTION_CLS", ())
    return (
        frozenset(throttled) | THROTTLING_CODES,
        frozenset(transient) | {"RequestTimeout", "RequestTimeoutException"},
        (*classes, BotocoreConnectionError, HTTPClientError),
    )


def _is_server_status(code: str) -> bool:
    """`HTTP503`, or botocore's bare `503` for a 5xx answer whose body is no AWS error (a proxy's or a load
    balancer's HTML page): a server error either way."""
    status = code.removeprefix(HTTP_CODE_PREFIX)
    return len(status) == 3 and status.isdigit() and status.startswith("5")


def _is_network_exception(code: str) -> bool:
    """`ReadTimeoutError`, `EndpointConnectionError`...: the class name of a botocore connection error."""
    import botocore.exceptions

    _, _, classes = _botocore_lists()
    found = getattr(botocore.exceptions, code, None)
    return isinstance(found, type) and issubclass(found, classes)


def cause_of(code: str) -> Cause:
    """The cause behind an error code, for the advice an ERROR gives."""
    throttled, transient, _ = _botocore_lists()
    if code in PERMISSION_CODES:
        return Cause.PERMISSION
    if code in CREDENTIAL_CODES:
        return Cause.CREDENTIALS
    if code == DEADLINE_CODE:
        return Cause.DEADLINE
    if code in throttled:
        return Cause.THROTTLED
    if code in SERVER_ERROR_CODES or _is_server_status(code):
        return Cause.SERVER
    if code in transient or _is_network_exception(code):
        return Cause.NETWORK
    if code in CHANGED_CODES:
        return Cause.CHANGED
    if code == INVALID_RESPONSE:
        return Cause.INVALID_RESPONSE
    if code in OUT_OF_SCOPE_CODES:
        return Cause.OUT_OF_SCOPE
    return Cause.OTHER


def shows_message(code: str) -> bool:
    """Whether the advice alone does not say what went wrong, so the error message must be shown too."""
    return cause_of(code) in {Cause.INVALID_RESPONSE, Cause.OUT_OF_SCOPE, Cause.OTHER}


def advice(code: str, action: str) -> str:
    """What to do about a failed call of `action` (`ec2:DescribeSubnets`) that answered `code`."""
    match cause_of(code):
        case Cause.PERMISSION:
            return f"grant {action}"
        case Cause.CREDENTIALS:
            return "AWS refused the credentials; renew them and scan again"
        case Cause.THROTTLED:
            return "throttled by AWS (transient); retry the scan, later or with fewer regions at once"
        case Cause.SERVER:
            return "AWS server error (transient); retry the scan"
        case Cause.NETWORK:
            return "network failure or timeout reaching AWS (transient); check connectivity and retry the scan"
        case Cause.DEADLINE:
            return "stopped by the scan's --timeout (transient); retry with a longer --timeout"
        case Cause.CHANGED:
            return "it was deleted or replaced while the scan ran (transient); retry the scan"
        case Cause.INVALID_RESPONSE:
            return "AWS answered with data vpce-scan does not understand, so the item was skipped"
        case Cause.OUT_OF_SCOPE:
            return "it is in another account, which this scan does not read; scan that account too"
        case Cause.OTHER:
            return "the call failed for a reason that is neither a missing permission nor transient"
