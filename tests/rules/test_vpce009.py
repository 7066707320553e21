"""VPCE009 nacl-allows-endpoint-traffic: network ACLs pass tcp/443 to the endpoints and the ephemeral return."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from scanner.results import Result
from tests.builders import (
    DEFAULT_ACL,
    ENDPOINT,
    NEEDED,
    S3_PREFIX_LIST,
    SERVICE,
    SUBNET_A,
    SUBNET_B,
    SUBNET_C,
    Json,
    Scenario,
    acl_entry,
)
from tests.rules.ruletable import ERROR, FAIL, PASS, SKIPPED, Case, check_case, run, table

REGION = "eu-west-1"
ALL_PASS = {f"api/{s}": PASS for s in NEEDED}
ALL_FAIL = {f"api/{s}": FAIL for s in NEEDED}
INTERFACE_KEYS = [f"api/{s}" for s in NEEDED if s != "s3"]
EPHEMERAL = (32768, 65535)


def allow_entry(acl: str, direction: str, number: int, cidr: str, ports: tuple[int, int]) -> str:
    return (
        f"aws ec2 create-network-acl-entry --region {REGION} --network-acl-id {acl} --{direction} "
        f"--rule-number {number} --protocol tcp --port-range From={ports[0]},To={ports[1]} "
        f"--cidr-block {cidr} --rule-action allow"
    )


def replace_with_allow(acl: str, direction: str, number: int, cidr: str, ports: tuple[int, int]) -> str:
    return (
        f"aws ec2 replace-network-acl-entry --region {REGION} --network-acl-id {acl} --{direction} "
        f"--rule-number {number} --protocol tcp --port-range From={ports[0]},To={ports[1]} "
        f"--cidr-block {cidr} --rule-action allow"
    )


def moved_deny(acl: str, direction: str, number: int, protocol: str, ports: tuple[int, int], cidr: str) -> str:
    return (
        f"aws ec2 create-network-acl-entry --region {REGION} --network-acl-id {acl} --{direction} "
        f"--rule-number {number} --protocol {protocol} --port-range From={ports[0]},To={ports[1]} "
        f"--cidr-block {cidr} --rule-action deny"
    )


def task_acl(entries: Sequence[Json], subnets: Sequence[str] = (SUBNET_A, SUBNET_B)) -> Scenario:
    s = Scenario.compliant()
    s.nacl("acl-task", subnets, entries)
    return s


def both_ways_all(number: int = 100) -> list[Json]:
    return [acl_entry(number, "allow", egress=e, protocol="-1") for e in (True, False)]


IMPLICIT = [acl_entry(32767, "deny", egress=e, protocol="-1") for e in (True, False)]


def ephemeral_return_denied(deny: int, allow: int) -> Scenario:
    return task_acl(
        [
            acl_entry(100, "allow", egress=True, protocol="-1"),
            acl_entry(deny, "deny", egress=False, ports=EPHEMERAL),
            acl_entry(allow, "allow", egress=False, protocol="-1"),
            *IMPLICIT,
        ]
    )


def s3_return_partly_allowed() -> Scenario:
    return task_acl(
        [
            acl_entry(100, "allow", egress=True, protocol="-1"),
            acl_entry(100, "allow", egress=False, cidr="10.0.0.0/16", protocol="-1"),
            acl_entry(110, "allow", egress=False, cidr="52.218.0.0/18", ports=EPHEMERAL),  # half of 52.218.0.0/17
            acl_entry(120, "allow", egress=False, cidr="3.5.64.0/21", ports=EPHEMERAL),
            *IMPLICIT,
        ]
    )


def https_out_not_allowed() -> Scenario:
    return task_acl(
        [
            acl_entry(100, "allow", egress=True, ports=(80, 80)),
            acl_entry(110, "allow", egress=True, ports=EPHEMERAL),
            acl_entry(100, "allow", egress=False, protocol="-1"),
            *IMPLICIT,
        ]
    )


def one_s3_cidr_denied() -> Scenario:
    s = Scenario.compliant()
    s.get("network_acls", DEFAULT_ACL)["Entries"].append(
        acl_entry(90, "deny", egress=True, cidr="3.5.64.0/21", ports=(443, 443))
    )
    return s


def udp_deny_first() -> Scenario:
    return task_acl(
        [acl_entry(50, "deny", egress=e, protocol="17") for e in (True, False)] + both_ways_all() + IMPLICIT
    )


def same_subnet() -> Scenario:
    """Service and every Interface endpoint in subnet-a, whose ACL denies everything: only S3 crosses it."""
    s = task_acl(IMPLICIT, subnets=[SUBNET_A])
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A]
    for service in NEEDED:
        if service != "s3":
            s.get("vpc_endpoints", ENDPOINT[service])["SubnetIds"] = [SUBNET_A]
    return s


def endpoints_in_own_subnet(entries: Sequence[Json]) -> Scenario:
    s = Scenario.compliant()
    s.subnet(SUBNET_C)
    for service in NEEDED:
        if service != "s3":
            s.get("vpc_endpoints", ENDPOINT[service])["SubnetIds"] = [SUBNET_C]
    s.nacl("acl-endpoints", [SUBNET_C], entries)
    return s


def one_leg_denied(first_entries: Sequence[Json], deny_at: int) -> Scenario:
    """The service in subnet-a only, every Interface endpoint in subnet-b only: the one leg that crosses
    subnet-a's ACL outbound is tcp/443 to 10.0.2.0/24, denied at `deny_at` (tcp, any port, to the VPC)
    after `first_entries`; everything else is allowed."""
    s = task_acl(
        [
            *first_entries,
            acl_entry(deny_at, "deny", egress=True, cidr="10.0.0.0/16", ports=(0, 65535)),
            *both_ways_all(),
            *IMPLICIT,
        ],
        subnets=[SUBNET_A],
    )
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A]
    for service in NEEDED:
        if service != "s3":
            s.get("vpc_endpoints", ENDPOINT[service])["SubnetIds"] = [SUBNET_B]
    return s


# Rule numbers 1-3 taken by entries that do not decide tcp (udp allows).
UDP_1_TO_3 = [acl_entry(n, "allow", egress=True, protocol="17") for n in (1, 2, 3)]


def renumber_fix(deny_at: int, moved_to: int) -> list[str]:
    # The deny is copied after the allow first, so it is never absent while the fix runs.
    return [
        moved_deny("acl-task", "egress", moved_to, "6", (0, 65535), "10.0.0.0/16"),
        replace_with_allow("acl-task", "egress", deny_at, "10.0.2.0/24", (443, 443)),
    ]


def prefix_list(cidrs: Sequence[str] | None) -> Scenario:
    s = Scenario.compliant()
    if cidrs is None:
        s.remove("prefix_lists", S3_PREFIX_LIST)
    else:
        s.get("prefix_lists", S3_PREFIX_LIST)["Cidrs"] = list(cidrs)
    return s


def subnet_without_acl() -> Scenario:
    s = Scenario.compliant()
    s.get("network_acls", DEFAULT_ACL)["Associations"] = [{"SubnetId": SUBNET_B}]
    return s


def acls_denied() -> Scenario:
    s = Scenario.compliant()
    s.error("ec2", "DescribeNetworkAcls")
    return s


def missing_logs() -> Scenario:
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    return s


def missing_logs_acls_denied() -> Scenario:
    s = missing_logs()
    s.error("ec2", "DescribeNetworkAcls")
    return s


def endpoints_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["vpc_endpoints"] = []
    s.error("ec2", "DescribeVpcEndpoints")
    return s


def endpoint_subnet_unknown() -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"].append("subnet-gone")
    return s


CASES = [
    Case(
        "compliant: the default ACL",
        Scenario.compliant,
        ALL_PASS,
        message={
            "api/logs": [
                "Network ACLs pass tcp/443 between api and vpce-logs (com.amazonaws.eu-west-1.logs) both ways."
            ]
        },
    ),
    Case(
        "deny on the ephemeral return traffic",
        lambda: ephemeral_return_denied(90, 100),
        ALL_FAIL,
        message={
            "api/logs": [
                "Network ACL acl-task of subnet-a blocks inbound tcp 32768-65535 with 10.0.2.0/24 at "
                "rule 90 (deny); api needs it for com.amazonaws.eu-west-1.logs.",
                "(and 1 more)",
            ]
        },
        remediation={
            "api/logs": [
                allow_entry("acl-task", "ingress", 89, "10.0.2.0/24", EPHEMERAL),
                allow_entry("acl-task", "ingress", 88, "10.0.1.0/24", EPHEMERAL),
            ],
            "api/s3": [
                allow_entry("acl-task", "ingress", 89, "52.218.0.0/17", EPHEMERAL),
                allow_entry("acl-task", "ingress", 88, "3.5.64.0/21", EPHEMERAL),
            ],
        },
    ),
    Case(
        "deny before allow (rule order)",
        lambda: ephemeral_return_denied(100, 200),
        ALL_FAIL,
        message={"api/sts": ["at rule 100 (deny)"]},
        remediation={
            "api/sts": [
                allow_entry("acl-task", "ingress", 99, "10.0.2.0/24", EPHEMERAL),
                allow_entry("acl-task", "ingress", 98, "10.0.1.0/24", EPHEMERAL),
            ]
        },
    ),
    Case("allow before deny passes", lambda: ephemeral_return_denied(200, 100), ALL_PASS),
    Case(
        "partial CIDR coverage of the S3 prefix list",
        s3_return_partly_allowed,
        {**ALL_PASS, "api/s3": FAIL},
        message={
            "api/s3": [
                "Network ACL acl-task of subnet-a blocks inbound tcp 32768-65535 with 52.218.0.0/17 at "
                "the implicit deny"
            ]
        },
        remediation={"api/s3": [allow_entry("acl-task", "ingress", 130, "52.218.0.0/17", EPHEMERAL)]},
    ),
    Case(
        "port range not covering 443",
        https_out_not_allowed,
        ALL_FAIL,
        message={"api/logs": ["blocks outbound tcp 443-443 with 10.0.2.0/24 at the implicit deny"]},
        remediation={
            "api/logs": [
                allow_entry("acl-task", "egress", 120, "10.0.2.0/24", (443, 443)),
                allow_entry("acl-task", "egress", 130, "10.0.1.0/24", (443, 443)),
            ],
            "api/s3": [
                allow_entry("acl-task", "egress", 120, "52.218.0.0/17", (443, 443)),
                allow_entry("acl-task", "egress", 130, "3.5.64.0/21", (443, 443)),
            ],
        },
    ),
    Case(
        "S3 gateway legs use the prefix list CIDRs",
        one_s3_cidr_denied,
        {**ALL_PASS, "api/s3": FAIL},
        message={
            "api/s3": [
                "Network ACL acl-default of subnet-a blocks outbound tcp 443-443 with 3.5.64.0/21 at rule 90 (deny)"
            ]
        },
        remediation={"api/s3": [allow_entry("acl-default", "egress", 89, "3.5.64.0/21", (443, 443))]},
    ),
    Case("non-tcp denies do not block", udp_deny_first, ALL_PASS),
    Case("same-subnet endpoint: traffic never crosses the ACL", same_subnet, {**ALL_PASS, "api/s3": FAIL}),
    Case(
        "endpoint subnet ACL admits 443 and returns the traffic",
        lambda: endpoints_in_own_subnet(
            [
                acl_entry(100, "allow", egress=False, cidr="10.0.0.0/16", ports=(443, 443)),
                acl_entry(100, "allow", egress=True, cidr="10.0.0.0/16", ports=EPHEMERAL),
            ]
        ),
        ALL_PASS,
    ),
    Case(
        "endpoint subnet ACL without the return rule",
        lambda: endpoints_in_own_subnet([acl_entry(100, "allow", egress=False, cidr="10.0.0.0/16", ports=(443, 443))]),
        {**ALL_PASS, **{k: FAIL for k in INTERFACE_KEYS}},
        message={
            "api/logs": [
                "Network ACL acl-endpoints of subnet-c blocks outbound tcp 32768-65535 with "
                "10.0.1.0/24 at the implicit deny"
            ]
        },
        remediation={
            "api/logs": [
                allow_entry("acl-endpoints", "egress", 10, "10.0.1.0/24", EPHEMERAL),
                allow_entry("acl-endpoints", "egress", 20, "10.0.2.0/24", EPHEMERAL),
            ]
        },
    ),
    Case(
        "endpoint subnet ACL not admitting 443",
        lambda: endpoints_in_own_subnet([acl_entry(100, "allow", egress=True, cidr="10.0.0.0/16", ports=EPHEMERAL)]),
        {**ALL_PASS, **{k: FAIL for k in INTERFACE_KEYS}},
        message={"api/ecr.api": ["Network ACL acl-endpoints of subnet-c blocks inbound tcp 443-443 with 10.0.1.0/24"]},
        remediation={
            "api/ecr.api": [
                allow_entry("acl-endpoints", "ingress", 10, "10.0.1.0/24", (443, 443)),
                allow_entry("acl-endpoints", "ingress", 20, "10.0.2.0/24", (443, 443)),
            ]
        },
    ),
    Case(
        "S3 prefix list not in the inventory",
        lambda: prefix_list(None),
        {**ALL_PASS, "api/s3": ERROR},
        message={"api/s3": ["the addresses of prefix list com.amazonaws.eu-west-1.s3 are not in the inventory"]},
    ),
    Case("S3 prefix list without its CIDRs", lambda: prefix_list([]), {**ALL_PASS, "api/s3": ERROR}),
    Case(
        "a subnet without a known ACL",
        subnet_without_acl,
        {k: ERROR for k in ALL_PASS},
        message={"api/logs": ["no network ACL known for subnet-a"]},
    ),
    Case(
        "an endpoint subnet not in the inventory",
        endpoint_subnet_unknown,
        {**ALL_PASS, "api/logs": ERROR},
        message={"api/logs": ["subnets of vpce-logs are not all in the inventory"]},
    ),
    Case(
        "network ACLs could not be described",
        acls_denied,
        {k: ERROR for k in ALL_PASS},
        message={"api/logs": ["ec2:DescribeNetworkAcls: AccessDenied; grant ec2:DescribeNetworkAcls"]},
    ),
    # No free number before the deny: the deny becomes the allow, and moves to the first free number after it.
    Case(
        "deny at rule 1: replace it with the allow and move it after",
        lambda: one_leg_denied([], 1),
        {**ALL_PASS, **{k: FAIL for k in INTERFACE_KEYS}},
        message={
            "api/logs": [
                "Network ACL acl-task of subnet-a blocks outbound tcp 443-443 with 10.0.2.0/24 at rule 1 (deny), "
                "and no rule number before it is free; api needs it for com.amazonaws.eu-west-1.logs."
            ]
        },
        remediation={k: renumber_fix(1, 2) for k in INTERFACE_KEYS},
    ),
    Case(
        "every number below the deny taken: replace it with the allow and move it after",
        lambda: one_leg_denied(UDP_1_TO_3, 4),
        {**ALL_PASS, **{k: FAIL for k in INTERFACE_KEYS}},
        message={"api/sts": ["at rule 4 (deny), and no rule number before it is free"]},
        remediation={k: renumber_fix(4, 5) for k in INTERFACE_KEYS},
    ),
    Case(
        "a free number below the deny: a new allow just before it",
        lambda: one_leg_denied(UDP_1_TO_3[:2], 4),
        {**ALL_PASS, **{k: FAIL for k in INTERFACE_KEYS}},
        message={"api/sts": ["at rule 4 (deny); api needs it"]},
        remediation={k: [allow_entry("acl-task", "egress", 3, "10.0.2.0/24", (443, 443))] for k in INTERFACE_KEYS},
    ),
    Case(
        "the built-in catch-all 32767 is the implicit deny",
        lambda: task_acl([acl_entry(100, "allow", egress=False, protocol="-1"), *IMPLICIT]),
        {k: FAIL for k in ALL_PASS},
        message={"api/logs": ["blocks outbound tcp 443-443 with 10.0.2.0/24 at the implicit deny;"]},
        remediation={
            "api/logs": [
                allow_entry("acl-task", "egress", 10, "10.0.2.0/24", (443, 443)),
                allow_entry("acl-task", "egress", 20, "10.0.1.0/24", EPHEMERAL),
                allow_entry("acl-task", "egress", 30, "10.0.1.0/24", (443, 443)),
                allow_entry("acl-task", "egress", 40, "10.0.2.0/24", EPHEMERAL),
            ]
        },
    ),
    Case(
        "missing endpoint: skipped, VPCE001 reports it",
        missing_logs,
        {**ALL_PASS, "api/logs": SKIPPED},
        message={"api/logs": ["No usable com.amazonaws.eu-west-1.logs endpoint in vpc-app; VPCE001 reports it."]},
    ),
    # Incomplete data is decided before skip_when: without the endpoint list, "VPCE001 reports it" is a guess.
    Case(
        "endpoints could not be listed: ERROR, not skipped",
        endpoints_not_listed,
        {"ec2:DescribeVpcEndpoints": ERROR, **{k: ERROR for k in ALL_PASS}},
        message={
            "ec2:DescribeVpcEndpoints": [
                "VPCE009 could not list its subjects in region/eu-west-1: eu-west-1 ec2:DescribeVpcEndpoints: "
                "AccessDenied; grant ec2:DescribeVpcEndpoints."
            ],
            "api/logs": ["Incomplete data: eu-west-1 ec2:DescribeVpcEndpoints: AccessDenied"],
        },
    ),
    Case(
        # The endpoint list is complete, so the logs endpoint is surely missing (VPCE001's finding); the
        # ACLs matter only to the needs that have an endpoint.
        "a missing endpoint and network ACLs not described: the missing one skipped, the others ERROR",
        missing_logs_acls_denied,
        {k: ERROR for k in ALL_PASS} | {"api/logs": SKIPPED},
        message={"api/s3": ["eu-west-1 ec2:DescribeNetworkAcls: AccessDenied"]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce009(case: Case) -> None:
    check_case("VPCE009", case)


_ENTRY = re.compile(
    r"aws ec2 (create|replace)-network-acl-entry .*--network-acl-id (\S+) --(egress|ingress) --rule-number (\d+) "
)


def proposed_numbers(result: Result) -> list[tuple[str, str, bool, int]]:
    """(create or replace, acl, egress, rule number) of every command of a result."""
    found = []
    for command in result.remediation:
        match = _ENTRY.search(command)
        assert match, command
        found.append((match[1], match[2], match[3] == "egress", int(match[4])))
    return found


def assert_numbers_distinct_and_free(scenario: Scenario) -> None:
    """Within one result every proposed number is distinct; a new entry takes a free number, a replaced one is
    the blocking deny itself."""
    entries = {
        (a["NetworkAclId"], e["Egress"], e["RuleNumber"]): e["RuleAction"]
        for a in scenario.data["network_acls"]
        for e in a["Entries"]
    }
    failed = [r for r in run("VPCE009", scenario) if r.status is FAIL]
    assert failed
    for result in failed:
        numbers = proposed_numbers(result)
        slots = [(acl, egress, n) for _, acl, egress, n in numbers]
        assert len(set(slots)) == len(slots), f"{result.qualifier}: {numbers}"
        assert all(1 <= n <= 32766 for *_, n in numbers), numbers
        taken = [slot for (verb, *_), slot in zip(numbers, slots, strict=True) if verb == "create" and slot in entries]
        assert not taken, f"{result.qualifier}: proposes rule numbers already used: {taken}"
        replaced = [slot for (verb, *_), slot in zip(numbers, slots, strict=True) if verb == "replace"]
        assert all(entries.get(slot) == "deny" for slot in replaced), f"{result.qualifier}: replaces {replaced}"


@pytest.mark.parametrize(
    "arrange",
    [
        pytest.param(lambda: ephemeral_return_denied(90, 100), id="below a deny"),
        pytest.param(https_out_not_allowed, id="after the last entry"),
        pytest.param(
            lambda: task_acl(
                [acl_entry(n, "deny", egress=False, cidr=f"192.0.2.{n}/32", ports=EPHEMERAL) for n in (97, 98, 99)]
                + [acl_entry(100, "deny", egress=False, ports=EPHEMERAL)]
                + both_ways_all(200)
            ),
            id="below a deny with used numbers just under it",
        ),
        pytest.param(lambda: one_leg_denied([], 1), id="deny at rule 1, one leg"),
        pytest.param(lambda: one_leg_denied(UDP_1_TO_3, 4), id="every number below taken, one leg"),
        pytest.param(
            lambda: task_acl([acl_entry(1, "deny", egress=True, protocol="-1"), *both_ways_all(), *IMPLICIT]),
            id="deny at rule 1, several legs",
        ),
        pytest.param(
            lambda: task_acl([*UDP_1_TO_3, acl_entry(4, "deny", egress=True, protocol="-1"), *both_ways_all()]),
            id="every number below taken, several legs",
        ),
    ],
)
def test_fix_rule_numbers_are_distinct_and_free(arrange: object) -> None:
    assert callable(arrange)
    assert_numbers_distinct_and_free(arrange())
