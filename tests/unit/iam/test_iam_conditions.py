"""Condition operators in three-valued logic (docs/notes/iam-evaluation.md §1.5).

Each case gives a Condition block, what is known of the context, and the expected truth:
`known` holds key values, `absent` the keys known to be missing; every other key is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from scanner.iam import RequestContext, Truth, parse_policy_document
from scanner.iam.conditions import evaluate_conditions
from scanner.iam.request import ContextValue

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
VPCE = "aws:SourceVpce"
ORG = "aws:PrincipalOrgID"
TAGS = "aws:TagKeys"


@dataclass(frozen=True)
class Case:
    name: str
    condition: Mapping[str, Mapping[str, object]]
    expected: Truth
    known: Mapping[str, ContextValue] = field(default_factory=dict)
    absent: Sequence[str] = ()
    version: str = "2012-10-17"


def truth_of_condition(case: Case) -> tuple[Truth, tuple[str, ...], tuple[str, ...]]:
    document = parse_policy_document(
        {
            "Version": case.version,
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": case.condition},
        }
    )
    result = evaluate_conditions(
        document.statements[0].conditions,
        RequestContext(case.known, case.absent),
        resolve_variables=document.resolves_variables,
    )
    return result.truth, result.unknown_keys, result.unsupported_operators


CASES = [
    # String operators; the missing-key rule; unknown never read as missing
    Case("string-equals-match", {"StringEquals": {VPCE: "vpce-1"}}, T, known={VPCE: "vpce-1"}),
    Case("string-equals-mismatch", {"StringEquals": {VPCE: "vpce-1"}}, F, known={VPCE: "vpce-2"}),
    Case("string-equals-absent-is-false", {"StringEquals": {VPCE: "vpce-1"}}, F, absent=[VPCE]),
    Case("string-equals-unknown", {"StringEquals": {VPCE: "vpce-1"}}, U),
    Case("string-equals-case-sensitive-value", {"StringEquals": {VPCE: "VPCE-1"}}, F, known={VPCE: "vpce-1"}),
    Case("string-equals-values-ored", {"StringEquals": {VPCE: ["vpce-1", "vpce-2"]}}, T, known={VPCE: "vpce-2"}),
    Case("string-not-equals-match-is-false", {"StringNotEquals": {VPCE: "vpce-1"}}, F, known={VPCE: "vpce-1"}),
    Case("string-not-equals-mismatch-is-true", {"StringNotEquals": {VPCE: "vpce-1"}}, T, known={VPCE: "vpce-2"}),
    Case("string-not-equals-absent-is-true", {"StringNotEquals": {VPCE: "vpce-1"}}, T, absent=[VPCE]),
    Case("string-not-equals-unknown", {"StringNotEquals": {VPCE: "vpce-1"}}, U),
    Case(
        "string-not-equals-must-match-none",
        {"StringNotEquals": {VPCE: ["vpce-1", "vpce-2"]}},
        F,
        known={VPCE: "vpce-2"},
    ),
    Case("string-equals-ignore-case", {"StringEqualsIgnoreCase": {VPCE: "VPCE-1"}}, T, known={VPCE: "vpce-1"}),
    Case(
        "string-not-equals-ignore-case",
        {"StringNotEqualsIgnoreCase": {VPCE: "VPCE-1"}},
        F,
        known={VPCE: "vpce-1"},
    ),
    Case(
        "string-like-wildcard",
        {"StringLike": {"s3:prefix": "home/*"}},
        T,
        known={"s3:prefix": "home/carlos/x"},
    ),
    Case(
        "string-like-question-mark",
        {"StringLike": {"s3:prefix": "home/?"}},
        F,
        known={"s3:prefix": "home/ab"},
    ),
    Case(
        "string-like-case-sensitive",
        {"StringLike": {"s3:prefix": "Home/*"}},
        F,
        known={"s3:prefix": "home/x"},
    ),
    Case("string-not-like", {"StringNotLike": {"s3:prefix": "home/*"}}, F, known={"s3:prefix": "home/x"}),
    Case(
        "key-names-case-insensitive",
        {"StringEquals": {"AWS:SOURCEVPCE": "vpce-1"}},
        T,
        known={"aws:sourcevpce": "vpce-1"},
    ),
    # Blocks: operators ANDed, keys ANDed; FALSE beats UNKNOWN
    Case(
        "keys-anded-one-false",
        {"StringEquals": {VPCE: "vpce-1", "aws:SourceVpc": "vpc-1"}},
        F,
        known={VPCE: "vpce-1", "aws:SourceVpc": "vpc-2"},
    ),
    Case(
        "operators-anded-unknown-and-false-is-false",
        {"StringEquals": {VPCE: "vpce-1"}, "Bool": {"aws:SecureTransport": "true"}},
        F,
        known={"aws:SecureTransport": False},
    ),
    Case(
        "operators-anded-unknown-and-true-is-unknown",
        {"StringEquals": {VPCE: "vpce-1"}, "Bool": {"aws:SecureTransport": "true"}},
        U,
        known={"aws:SecureTransport": True},
    ),
    # Bool, IfExists
    Case("bool-true", {"Bool": {"aws:SecureTransport": "true"}}, T, known={"aws:SecureTransport": True}),
    Case(
        "bool-json-boolean-value",
        {"Bool": {"aws:SecureTransport": True}},
        T,
        known={"aws:SecureTransport": "true"},
    ),
    Case("bool-false", {"Bool": {"aws:SecureTransport": "true"}}, F, known={"aws:SecureTransport": False}),
    Case(
        "bool-if-exists-absent-is-true",
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        T,
        absent=["aws:MultiFactorAuthPresent"],
    ),
    Case("bool-if-exists-unknown", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, U),
    Case(
        "string-equals-if-exists-present-mismatch",
        {"StringEqualsIfExists": {VPCE: "vpce-1"}},
        F,
        known={VPCE: "vpce-2"},
    ),
    Case(
        "string-not-equals-if-exists-absent-is-true",
        {"StringNotEqualsIfExists": {VPCE: "vpce-1"}},
        T,
        absent=[VPCE],
    ),
    # Numeric, Date
    Case(
        "numeric-less-than-equals",
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        T,
        known={"s3:max-keys": 10},
    ),
    Case("numeric-greater-than", {"NumericGreaterThan": {"s3:max-keys": "10"}}, F, known={"s3:max-keys": 10}),
    Case("numeric-not-equals", {"NumericNotEquals": {"s3:max-keys": "10"}}, T, known={"s3:max-keys": "11"}),
    Case(
        "numeric-not-a-number-never-matches",
        {"NumericEquals": {"s3:max-keys": "ten"}},
        F,
        known={"s3:max-keys": 10},
    ),
    Case(
        "date-greater-than-iso",
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        T,
        known={"aws:TokenIssueTime": "2024-05-01T12:00:00Z"},
    ),
    Case(
        "date-less-than-epoch",
        {"DateLessThan": {"aws:CurrentTime": "1577836800"}},
        F,
        known={"aws:CurrentTime": "2024-05-01T12:00:00Z"},
    ),
    # IP addresses
    Case(
        "ip-address-in-range",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        T,
        known={"aws:SourceIp": "203.0.113.7"},
    ),
    Case(
        "ip-address-out-of-range",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        F,
        known={"aws:SourceIp": "198.51.100.7"},
    ),
    Case(
        "ip-address-ipv6",
        {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
        T,
        known={"aws:SourceIp": "2001:db8:1234:5678::1"},
    ),
    Case(
        "ip-address-bare-address-is-32",
        {"IpAddress": {"aws:SourceIp": "203.0.113.7"}},
        F,
        known={"aws:SourceIp": "203.0.113.8"},
    ),
    Case(
        "not-ip-address",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        T,
        known={"aws:SourceIp": "198.51.100.7"},
    ),
    Case(
        "not-ip-address-absent-is-true",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        T,
        absent=["aws:SourceIp"],
    ),
    # Null
    Case("null-true-absent", {"Null": {"aws:TokenIssueTime": "true"}}, T, absent=["aws:TokenIssueTime"]),
    Case(
        "null-true-present",
        {"Null": {"aws:TokenIssueTime": "true"}},
        F,
        known={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"},
    ),
    Case(
        "null-false-present",
        {"Null": {"aws:TokenIssueTime": "false"}},
        T,
        known={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"},
    ),
    Case("null-unknown", {"Null": {"aws:TokenIssueTime": "false"}}, U),
    Case("empty-list-counts-as-absent", {"Null": {TAGS: "true"}}, T, known={TAGS: []}),
    # Multivalued keys
    Case(
        "for-all-values-all-listed",
        {"ForAllValues:StringEquals": {TAGS: ["env", "team"]}},
        T,
        known={TAGS: ["env", "team"]},
    ),
    Case(
        "for-all-values-one-unlisted",
        {"ForAllValues:StringEquals": {TAGS: ["env", "team"]}},
        F,
        known={TAGS: ["env", "cost"]},
    ),
    Case("for-all-values-absent-is-true", {"ForAllValues:StringEquals": {TAGS: ["env"]}}, T, absent=[TAGS]),
    Case(
        "for-any-value-one-listed",
        {"ForAnyValue:StringEquals": {TAGS: ["env"]}},
        T,
        known={TAGS: ["cost", "env"]},
    ),
    Case("for-any-value-none-listed", {"ForAnyValue:StringEquals": {TAGS: ["env"]}}, F, known={TAGS: ["cost"]}),
    Case("for-any-value-absent-is-false", {"ForAnyValue:StringEquals": {TAGS: ["env"]}}, F, absent=[TAGS]),
    Case(
        "for-any-value-if-exists-absent-is-true",
        {"ForAnyValue:StringEqualsIfExists": {TAGS: ["env"]}},
        T,
        absent=[TAGS],
    ),
    Case(
        "for-all-values-string-not-like",
        {"ForAllValues:StringNotLike": {TAGS: ["secret*"]}},
        F,
        known={TAGS: ["env", "secret-x"]},
    ),
    Case("for-any-value-unknown", {"ForAnyValue:StringLike": {"aws:CalledVia": "secretsmanager.*"}}, U),
    Case(
        "multivalued-without-qualifier-any-matches",
        {"StringEquals": {"aws:CalledVia": "secretsmanager.amazonaws.com"}},
        T,
        known={"aws:CalledVia": ["ssm.amazonaws.com", "secretsmanager.amazonaws.com"]},
    ),
    # ARN operators: segment-wise (doc example), versus StringLike over the whole value
    Case(
        "doc-string-like-star-crosses-colons",
        {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
        T,
        known={
            "aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        },
    ),
    Case(
        "doc-arn-like-matches-segment-by-segment",
        {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
        F,
        known={
            "aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        },
    ),
    Case(
        "arn-like-matches-its-own-segments",
        {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
        T,
        known={"aws:SourceArn": "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"},
    ),
    Case(
        "arn-equals-behaves-like-arn-like",
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:1:topic"}},
        T,
        known={"aws:SourceArn": "arn:aws:sns:eu-west-1:1:topic"},
    ),
    Case(
        "arn-not-like",
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/admin-*"}},
        T,
        known={"aws:PrincipalArn": "arn:aws:iam::1:role/app"},
    ),
    # Policy variables in condition values
    Case(
        "variable-resolved-equal",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        T,
        known={"aws:ResourceTag/team": "payments", "aws:PrincipalTag/team": "payments"},
    ),
    Case(
        "variable-unknown",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        U,
        known={"aws:ResourceTag/team": "payments"},
    ),
    Case(
        "variable-absent-statement-invalid",
        {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        F,
        known={"aws:ResourceTag/team": "payments"},
        absent=["aws:PrincipalTag/team"],
    ),
    Case(
        "variable-absent-uses-default",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team, 'shared'}"}},
        T,
        known={"aws:ResourceTag/team": "shared"},
        absent=["aws:PrincipalTag/team"],
    ),
    Case(
        "variable-literal-in-2008-version",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        T,
        known={"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
        version="2008-10-17",
    ),
    Case(
        "variable-escaped-star-is-literal",
        {"StringLike": {"s3:prefix": "home/${*}"}},
        F,
        known={"s3:prefix": "home/carlos"},
    ),
    # Operators we do not implement are UNKNOWN, never a silent match or mismatch
    Case("unsupported-operator", {"StringEqualsSomeday": {VPCE: "vpce-1"}}, U, known={VPCE: "vpce-1"}),
    Case("null-if-exists-is-not-iam", {"NullIfExists": {VPCE: "true"}}, U, absent=[VPCE]),
    Case("operator-name-case-insensitive", {"stringequals": {VPCE: "vpce-1"}}, T, known={VPCE: "vpce-1"}),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_condition_truth(case: Case) -> None:
    assert truth_of_condition(case)[0] is case.expected


UNKNOWN_REPORTS = [
    Case("unknown-key-is-reported", {"StringEquals": {VPCE: "vpce-1"}}, U),
    Case(
        "unknown-variable-key-is-reported",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        U,
        known={"aws:ResourceTag/team": "x"},
    ),
]


@pytest.mark.parametrize(
    ("case", "key"),
    [(UNKNOWN_REPORTS[0], VPCE), (UNKNOWN_REPORTS[1], "aws:PrincipalTag/team")],
    ids=[case.name for case in UNKNOWN_REPORTS],
)
def test_unknown_keys_are_reported(case: Case, key: str) -> None:
    assert truth_of_condition(case)[1] == (key,)


def test_unsupported_operators_are_reported() -> None:
    case = Case("unsupported", {"StringEqualsSomeday": {VPCE: "vpce-1"}}, U)
    assert truth_of_condition(case)[2] == ("StringEqualsSomeday",)
