"""Answers that do not fit what the collector expects are recorded (InvalidResponse, with the resource they
concern), never raised and never taken for data: an SCP path that does not reach the root, a parameter that
was listed but not understood, a DescribeKey, GetRole, GetRolePolicy, GetPolicy or GetPolicyVersion answer
without its main member. Stubber where the service model allows the odd answer, else a fake client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner.collect import iam, kms, organizations, ssm
from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.inventory.iam import Role

REGION = "eu-west-1"
ACCOUNT = "111122223333"
MANAGEMENT = "999988887777"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


@pytest.fixture(autouse=True)
def _env(aws_env: None) -> None:
    """Fake credentials for the stubbed clients (no request leaves the process)."""


def client(service: str) -> Any:
    return boto3.Session(region_name=REGION).client(service, region_name=REGION, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def _codes(ctx: CallContext) -> list[tuple[str, str, str | None]]:
    return [(e.operation, e.error_code, e.resource_id) for e in ctx.errors]


# ---- Organizations: a path that does not end at a root ---------------------------------------------------


def _organization() -> dict[str, Any]:
    return {"Organization": {"Id": "o-exampleorgid", "MasterAccountId": MANAGEMENT}}


def test_a_complete_list_parents_answer_without_parent_makes_the_scps_unreadable() -> None:
    """The reviewer's case: the account's only level was kept and every root SCP silently dropped."""
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        stub.add_response("list_parents", {"Parents": []}, {"ChildId": ACCOUNT})
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
        stub.assert_no_pending_responses()  # no policy was read for a path that is not known
    assert (scps.status, scps.levels) == ("unreadable", [])
    assert _codes(ctx) == [("ListParents", "InvalidResponse", None)]
    assert scps.reason.startswith("organizations:ListParents: InvalidResponse")
    assert ACCOUNT in scps.reason and "grant" not in ctx.errors[0].describe()


def test_an_ou_without_parent_makes_the_scps_unreadable() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    ou = "ou-ab12-workloads"
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        stub.add_response(
            "list_parents", {"Parents": [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]}, {"ChildId": ACCOUNT}
        )
        stub.add_response("list_parents", {"Parents": []}, {"ChildId": ou})
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert (scps.status, scps.levels) == ("unreadable", [])
    assert [(e.operation, e.error_code) for e in ctx.errors] == [("ListParents", "InvalidResponse")]
    assert ou in scps.reason


def test_a_walk_that_never_reaches_the_root_makes_the_scps_unreadable() -> None:
    """OUs answering each other as parents: MAX_DEPTH ends the walk, and the path is not taken for whole."""
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        child = ACCOUNT
        for depth in range(organizations.MAX_DEPTH):
            parent = f"ou-ab12-level{depth}"
            stub.add_response(
                "list_parents", {"Parents": [{"Id": parent, "Type": "ORGANIZATIONAL_UNIT"}]}, {"ChildId": child}
            )
            child = parent
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
        stub.assert_no_pending_responses()
    assert (scps.status, scps.levels) == ("unreadable", [])
    assert [(e.operation, e.error_code) for e in ctx.errors] == [("ListParents", "InvalidResponse")]
    assert f"no root within {organizations.MAX_DEPTH} levels" in scps.reason


def test_a_path_that_reaches_the_root_is_still_collected() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    summary = {"Id": "p-full", "Arn": f"arn:aws:organizations::{MANAGEMENT}:policy/p-full", "Name": "Full"}
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ACCOUNT})
        stub.add_response(
            "list_policies_for_target",
            {"Policies": [summary]},
            {"TargetId": "r-ab12", "Filter": "SERVICE_CONTROL_POLICY"},
        )
        stub.add_response("describe_policy", {"Policy": {"Content": ALLOW_ALL}}, {"PolicyId": "p-full"})
        stub.add_response(
            "list_policies_for_target", {"Policies": []}, {"TargetId": ACCOUNT, "Filter": "SERVICE_CONTROL_POLICY"}
        )
        stub.add_client_error(
            "list_policies_for_target",
            "PolicyTypeNotEnabledException",
            expected_params={"TargetId": "r-ab12", "Filter": "RESOURCE_CONTROL_POLICY"},
        )
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert scps.status == "collected" and ctx.errors == []
    assert [(level.target_id, level.target_type) for level in scps.levels] == [("r-ab12", "ROOT"), (ACCOUNT, "ACCOUNT")]


# ---- SSM: listed but not understood is not missing ----------------------------------------------------------


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def paginate(self, **_: object) -> Iterator[dict[str, Any]]:
        yield from self._pages


class _FakeSsm:
    """DescribeParameters answering an item whose Type is not a string: the model rejects it. Stubber
    validates answers against the service model, so this shape needs a fake client."""

    def get_paginator(self, name: str) -> _Pages:
        assert name == "describe_parameters"
        return _Pages([{"Parameters": [{"Name": "/prod/db", "Type": 7}, {"Name": "/prod/ok", "Type": "String"}]}])


def test_a_parameter_that_fails_validation_is_an_error_not_missing() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    found = ssm.collect_parameters(ctx, _FakeSsm(), ["/prod/db", "/prod/ok", "/gone"])  # type: ignore[arg-type]
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
    assert [p.name for p in found.parameters] == ["/prod/ok"]
    assert found.missing == [f"{arn}/gone"]  # and not /prod/db: it exists, it was not understood
    assert _codes(ctx) == [("DescribeParameters", "InvalidResponse", f"{arn}/prod/db")]


# ---- KMS and IAM: an answer without its main member ---------------------------------------------------------


def test_describe_key_without_metadata_is_recorded_for_the_key() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("kms")
    metadata = {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Arn": KEY_ARN, "KeyManager": "AWS"}
    with Stubber(c) as stub:
        stub.add_response("describe_key", {}, {"KeyId": "alias/app"})
        stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": KEY_ARN})
        found = kms.collect_keys(ctx, c, ["alias/app", KEY_ARN])
        stub.assert_no_pending_responses()
    assert list(found) == [KEY_ARN]  # the other key is still read
    assert _codes(ctx) == [("DescribeKey", "InvalidResponse", "alias/app")]


def test_describe_key_without_arn_is_recorded_for_the_key() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("kms")
    with Stubber(c) as stub:
        stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "k-1", "KeyManager": "CUSTOMER"}}, {"KeyId": "k-1"})
        found = kms.collect_keys(ctx, c, ["k-1"])
        stub.assert_no_pending_responses()  # no GetKeyPolicy on an empty ARN
    assert found == {}
    assert _codes(ctx) == [("DescribeKey", "InvalidResponse", "k-1")]


class _FakeIam:
    """IAM answers the model requires members of (GetRole's Role, GetRolePolicy's PolicyDocument), so
    Stubber would refuse to give them without: a fake client."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers

    def get_role(self, **_: object) -> dict[str, Any]:
        return self.answers["get_role"]

    def get_role_policy(self, **_: object) -> dict[str, Any]:
        return self.answers["get_role_policy"]

    def get_paginator(self, name: str) -> _Pages:
        return _Pages([self.answers[name]])


def test_get_role_without_role_is_recorded_for_the_role() -> None:
    ctx = CallContext(ACCOUNT, "global")
    fake = _FakeIam({"get_role": {"ResponseMetadata": {}}})
    found = iam.collect_roles(ctx, fake, [f"arn:aws:iam::{ACCOUNT}:role/api-execution"])  # type: ignore[arg-type]
    assert (found.roles, found.missing) == ([], [])
    assert _codes(ctx) == [("GetRole", "InvalidResponse", "api-execution")]


def test_get_role_policy_without_document_is_recorded_for_the_role() -> None:
    ctx = CallContext(ACCOUNT, "global")
    fake = _FakeIam(
        {
            "get_role_policy": {"RoleName": "api-execution", "PolicyName": "inline"},
            "list_role_policies": {"PolicyNames": ["inline"]},
            "list_attached_role_policies": {"AttachedPolicies": []},
        }
    )
    role = Role(role_name="api-execution", arn=f"arn:aws:iam::{ACCOUNT}:role/api-execution")
    (read,) = iam.collect_role_policies(ctx, fake, [role])  # type: ignore[arg-type]
    assert read.inline_policies == []
    assert _codes(ctx) == [("GetRolePolicy", "InvalidResponse", "api-execution")]


def test_get_policy_without_policy_is_recorded_for_the_policy() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        stub.add_response("get_policy", {}, {"PolicyArn": POLICY_ARN})
        policies = iam.collect_managed_policies(ctx, c, [POLICY_ARN])
    assert policies == []
    assert _codes(ctx) == [("GetPolicy", "InvalidResponse", POLICY_ARN)]


def test_get_policy_version_without_version_is_recorded_for_the_policy() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        stub.add_response(
            "get_policy", {"Policy": {"Arn": POLICY_ARN, "DefaultVersionId": "v2"}}, {"PolicyArn": POLICY_ARN}
        )
        stub.add_response("get_policy_version", {}, {"PolicyArn": POLICY_ARN, "VersionId": "v2"})
        (policy,) = iam.collect_managed_policies(ctx, c, [POLICY_ARN])
    assert (policy.arn, policy.document) == (POLICY_ARN, None)
    assert _codes(ctx) == [("GetPolicyVersion", "InvalidResponse", POLICY_ARN)]
