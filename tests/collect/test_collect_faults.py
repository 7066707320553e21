"""Collector faults (issue 7): incomplete listings stay visibly incomplete, ListParents follows its pages,
odd Organizations answers are recorded instead of raised, and every failed call says why it failed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner.causes import Cause, cause_of
from scanner.collect import ec2, organizations
from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.inventory.root import Inventory
from scanner.results import CollectionErrorRecord

REGION = "eu-west-1"
ACCOUNT = "111122223333"
MANAGEMENT = "999988887777"
PREFIX_LIST = "pl-6da54004"
DENY_SECRETS = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}]}'
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


@pytest.fixture(autouse=True)
def _env(aws_env: None) -> None:
    """Fake credentials for the stubbed clients (no request leaves the process)."""


def client(service: str) -> Any:
    return boto3.Session(region_name=REGION).client(service, region_name=REGION, config=CLIENT_CONFIG)  # type: ignore[call-overload]


# ---- a partly read listing is incomplete -----------------------------------------------------------------


def _prefix_list_and_first_page(stub: Stubber) -> None:
    """The S3 prefix list, and page 1 of its entries with a token for page 2."""
    stub.add_response(
        "describe_managed_prefix_lists",
        {"PrefixLists": [{"PrefixListId": PREFIX_LIST, "PrefixListName": f"com.amazonaws.{REGION}.s3"}]},
        {"Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}], "MaxResults": 100},
    )
    stub.add_response(
        "get_managed_prefix_list_entries",
        {"Entries": [{"Cidr": "52.218.0.0/17"}], "NextToken": "page-2"},
        {"PrefixListId": PREFIX_LIST, "MaxResults": 100},
    )


def test_a_prefix_list_whose_second_page_failed_keeps_no_cidrs_and_names_itself() -> None:
    c = client("ec2")
    ctx = CallContext(ACCOUNT, REGION)
    with Stubber(c) as stub:
        _prefix_list_and_first_page(stub)
        stub.add_client_error(
            "get_managed_prefix_list_entries",
            "RequestLimitExceeded",
            http_status_code=503,
            expected_params={"PrefixListId": PREFIX_LIST, "MaxResults": 100, "NextToken": "page-2"},
        )
        (prefix_list,) = ec2.collect_s3_prefix_list(ctx, c)
        stub.assert_no_pending_responses()
    # Page 1's CIDRs are not the list: kept, they would make a partial egress rule look complete.
    assert (prefix_list.prefix_list_id, prefix_list.cidrs) == (PREFIX_LIST, [])
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("GetManagedPrefixListEntries", "RequestLimitExceeded", PREFIX_LIST)
    ]


def test_a_prefix_list_read_to_the_end_keeps_every_page() -> None:
    c = client("ec2")
    ctx = CallContext(ACCOUNT, REGION)
    with Stubber(c) as stub:
        _prefix_list_and_first_page(stub)
        stub.add_response(
            "get_managed_prefix_list_entries",
            {"Entries": [{"Cidr": "3.5.64.0/21"}]},
            {"PrefixListId": PREFIX_LIST, "MaxResults": 100, "NextToken": "page-2"},
        )
        (prefix_list,) = ec2.collect_s3_prefix_list(ctx, c)
    assert [str(c) for c in prefix_list.cidrs] == ["52.218.0.0/17", "3.5.64.0/21"] and ctx.errors == []


def test_task_interfaces_left_unread_by_a_failed_page_are_each_recorded() -> None:
    c = client("ec2")
    ctx = CallContext(ACCOUNT, REGION)
    params = {"Filters": [{"Name": "network-interface-id", "Values": ["eni-1", "eni-2"]}], "MaxResults": 1000}
    with Stubber(c) as stub:
        stub.add_response(
            "describe_network_interfaces",
            {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "SubnetId": "subnet-a"}], "NextToken": "p2"},
            params,
        )
        stub.add_client_error(
            "describe_network_interfaces",
            "UnauthorizedOperation",
            http_status_code=403,
            expected_params={**params, "NextToken": "p2"},
        )
        found = ec2.collect_network_interfaces(ctx, c, ["eni-1", "eni-2"])
    assert [eni.network_interface_id for eni in found] == ["eni-1"]
    # eni-2 is unknown, not deleted: its own record lets the engine scope the ERROR to its task.
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("DescribeNetworkInterfaces", "UnauthorizedOperation", "eni-2")
    ]


# ---- Organizations: ListParents pages, odd answers -----------------------------------------------------------


def _organization() -> dict[str, Any]:
    return {"Organization": {"Id": "o-exampleorgid", "MasterAccountId": MANAGEMENT}}


def _summary(policy_id: str) -> dict[str, Any]:
    return {"Id": policy_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:policy/{policy_id}", "Name": policy_id}


def test_list_parents_follows_an_empty_first_page_to_the_ou_and_its_scp() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    ou = "ou-ab12-workloads"
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        # AWS documents empty pages with a NextToken: the parent is on the next page.
        stub.add_response("list_parents", {"Parents": [], "NextToken": "more"}, {"ChildId": ACCOUNT})
        stub.add_response(
            "list_parents",
            {"Parents": [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]},
            {"ChildId": ACCOUNT, "NextToken": "more"},
        )
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ou})
        for target, policy_id in (("r-ab12", "p-full"), (ou, "p-nosecrets"), (ACCOUNT, None)):
            ids = [policy_id] if policy_id else []
            stub.add_response(
                "list_policies_for_target",
                {"Policies": [_summary(i) for i in ids]},
                {"TargetId": target, "Filter": "SERVICE_CONTROL_POLICY"},
            )
            for i in ids:
                content = DENY_SECRETS if i == "p-nosecrets" else ALLOW_ALL
                stub.add_response(
                    "describe_policy", {"Policy": {"PolicySummary": _summary(i), "Content": content}}, {"PolicyId": i}
                )
        # RCPs are read along the same path; this organization has not enabled them.
        stub.add_client_error(
            "list_policies_for_target",
            "PolicyTypeNotEnabledException",
            expected_params={"TargetId": "r-ab12", "Filter": "RESOURCE_CONTROL_POLICY"},
        )
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
        stub.assert_no_pending_responses()
    assert scps.status == "collected" and ctx.errors == []
    assert [(level.target_id, [p.id for p in level.policies]) for level in scps.levels] == [
        ("r-ab12", ["p-full"]),
        (ou, ["p-nosecrets"]),
        (ACCOUNT, []),
    ]


@pytest.mark.parametrize(
    "parent",
    [{"Id": "ou-ab12-workloads"}, {"Type": "ORGANIZATIONAL_UNIT"}, {"Id": "ou-1", "Type": "SOMETHING_NEW"}],
    ids=["no-type", "no-id", "unknown-type"],
)
def test_a_parent_without_id_or_type_makes_the_scps_unreadable_not_a_crash(parent: dict[str, str]) -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        # The service model requires neither field; Stubber validates the shape, so this is a legal answer.
        stub.add_response("list_parents", {"Parents": [parent]}, {"ChildId": ACCOUNT})
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert scps.status == "unreadable" and scps.levels == []
    (error,) = ctx.errors
    assert (error.operation, error.error_code) == ("ListParents", "InvalidResponse")
    assert "grant" not in error.describe()


def test_a_policy_without_id_or_content_makes_the_scps_unreadable_not_a_crash() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", _organization(), {})
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ACCOUNT})
        stub.add_response(
            "list_policies_for_target",
            {"Policies": [_summary("p-1")]},
            {"TargetId": "r-ab12", "Filter": "SERVICE_CONTROL_POLICY"},
        )
        stub.add_response("describe_policy", {"Policy": {"PolicySummary": _summary("p-1")}}, {"PolicyId": "p-1"})
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert scps.status == "unreadable"
    assert [(e.operation, e.error_code) for e in ctx.errors] == [("DescribePolicy", "InvalidResponse")]


# ---- say why, correctly ------------------------------------------------------------------------------------


def _record(code: str, message: str = "") -> CollectionErrorRecord:
    return CollectionErrorRecord(
        account=ACCOUNT,
        region=REGION,
        service="ec2",
        operation="DescribeVpcAttribute",
        error_code=code,
        message=message,
        resource_id="vpc-1",
    )


@pytest.mark.parametrize(
    ("code", "cause", "says"),
    [
        ("AccessDenied", Cause.PERMISSION, "grant ec2:DescribeVpcAttribute"),
        ("AccessDeniedException", Cause.PERMISSION, "grant ec2:DescribeVpcAttribute"),
        ("UnauthorizedOperation", Cause.PERMISSION, "grant ec2:DescribeVpcAttribute"),
        ("Throttling", Cause.THROTTLED, "retry the scan"),
        ("ThrottlingException", Cause.THROTTLED, "retry the scan"),
        ("RequestLimitExceeded", Cause.THROTTLED, "retry the scan"),
        ("TooManyRequestsException", Cause.THROTTLED, "retry the scan"),
        ("InternalError", Cause.SERVER, "retry the scan"),
        ("ServiceUnavailable", Cause.SERVER, "retry the scan"),
        ("HTTP502", Cause.SERVER, "retry the scan"),
        # botocore's code for a 5xx whose body is no AWS error (a proxy's or load balancer's HTML page)
        ("503", Cause.SERVER, "retry the scan"),
        ("500", Cause.SERVER, "retry the scan"),
        ("ClusterNotFoundException", Cause.CHANGED, "deleted or replaced while the scan ran"),
        ("ReadTimeoutError", Cause.NETWORK, "retry the scan"),
        ("ConnectTimeoutError", Cause.NETWORK, "retry the scan"),
        ("EndpointConnectionError", Cause.NETWORK, "retry the scan"),
        ("ConnectionClosedError", Cause.NETWORK, "retry the scan"),
        ("RequestTimeout", Cause.NETWORK, "retry the scan"),
        ("DeadlineExceeded", Cause.DEADLINE, "retry with a longer --timeout"),
        ("ExpiredToken", Cause.CREDENTIALS, "renew them"),
        ("InvalidVpcID.NotFound", Cause.OTHER, "(The vpc ID 'vpc-1' does not exist)"),
        ("InvalidResponse", Cause.INVALID_RESPONSE, "(Vpc not understood at CidrBlock)"),
        ("CrossAccountRole", Cause.OUT_OF_SCOPE, "scan that account too"),
        ("ACCESS_DENIED", Cause.PERMISSION, "grant ec2:DescribeVpcAttribute"),
    ],
)
def test_each_error_says_why_and_what_to_do(code: str, cause: Cause, says: str) -> None:
    messages = {
        "InvalidVpcID.NotFound": "The vpc ID 'vpc-1' does not exist",
        "InvalidResponse": "Vpc not understood at CidrBlock",
    }
    record = _record(code, messages.get(code, "some message"))
    described = record.describe()
    assert cause_of(code) is cause
    assert described.startswith(f"{REGION} ec2:DescribeVpcAttribute on vpc-1: {code}")
    assert says in described
    assert ("grant" in described) == (cause is Cause.PERMISSION)
    assert cause.transient == (cause in {Cause.THROTTLED, Cause.SERVER, Cause.NETWORK, Cause.DEADLINE, Cause.CHANGED})


def test_an_unclassified_message_is_shown_on_one_line_and_bounded() -> None:
    described = _record("ValidationError", "line one\nline two " + "x" * 500).describe()
    assert "\n" not in described and "(line one line two x" in described and len(described) < 400


def test_a_record_written_before_the_classification_still_loads_and_describes() -> None:
    from tests.builders import incomplete

    text = incomplete().dump_json()
    loaded = Inventory.model_validate_json(text)
    descriptions = [e.describe() for e in loaded.errors]
    assert any("RequestLimitExceeded; throttled" in d for d in descriptions)
    assert any("AccessDenied; grant ec2:DescribeVpcAttribute" in d for d in descriptions)
