"""Shared helpers of the collector tests (conftest holds only fixtures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.model import OperationModel

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Anything that could point boto3 at a real account, a real profile or a moto server.
CLEARED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_ECS",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_dir: Path) -> None:
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_dir / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_dir / "no-credentials"))


class _RawBody:
    """Just enough of urllib3's response for botocore's AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._body


def fail_call(session: boto3.Session, event: str, code: str = "AccessDenied", status: int = 403) -> list[str]:
    """Make every `event` call (e.g. "ec2.DescribeVpcEndpoints") of clients later created from `session`
    fail with `code`, as Stubber's add_client_error does, while the other calls still reach moto.
    Returns the list that records each failed call."""
    failed: list[str] = []

    def handler(model: OperationModel, **_: object) -> tuple[AWSResponse, dict[str, Any]]:
        failed.append(model.name)
        response = {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://injected.invalid", status, HTTPHeaders(), _RawBody(b"")), response

    # botocore-stubs type handlers as returning None; a before-call/before-send handler may answer.
    session.events.register(f"before-call.{event}", cast("Callable[..., None]", handler))
    return failed


def http_error_once(session: boto3.Session, event: str, status: int, headers: dict[str, str], body: bytes) -> list[str]:
    """Answer the first `event` request on the wire with this HTTP error, then let the requests through:
    it goes through botocore's retry handler, unlike a Stubber response. Returns the requests seen."""
    seen: list[str] = []

    def handler(request: AWSPreparedRequest, **_: object) -> AWSResponse | None:
        seen.append(request.url)
        if len(seen) == 1:
            return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), _RawBody(body))
        return None

    session.events.register_first(f"before-send.{event}", cast("Callable[..., None]", handler))
    return seen
