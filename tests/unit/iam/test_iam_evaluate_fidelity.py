"""Classes of request the evaluator once ALLOWED where AWS denies (issue 7, item 12): NotPrincipal Denies,
policy variables outside the resource part of an ARN or under non-string operators, segment-final `*` and
short Resource ARNs, and principals named by their assumed-role session ARN."""

from __future__ import annotations

import pytest
from iam_builders import ACCOUNT, OTHER_ROLE, REGION, ROLE, ROOT, SECRET, allow, deny, policy, request

from scanner.iam import (
    Decision,
    EndpointPolicy,
    NamedPolicy,
    PolicySet,
    Request,
    ResourcePolicy,
    evaluate_request,
)

GET_SECRET = "secretsmanager:GetSecretValue"
SECRET_GRANT = policy(allow(GET_SECRET, SECRET), name="secret-grant")
BOUNDARY = policy(allow("secretsmanager:*", "*"), name="boundary")
SESSION_PREFIX = f"arn:aws:sts::{ACCOUNT}:assumed-role/ecs-task-execution/"
TASK_SESSION = f"{SESSION_PREFIX}0123456789abcdef"
ROLE_ID = "AROAEXAMPLEROLEID"


def decide(policies: PolicySet, call: Request | None = None) -> Decision:
    return evaluate_request(call or request(GET_SECRET, SECRET), policies).decision


def secret_policy(*statements: dict[str, object]) -> ResourcePolicy:
    return ResourcePolicy(owner_account=ACCOUNT, policy=policy(*statements, name="secret-policy"))


def with_resource_policy(*statements: dict[str, object], boundary: NamedPolicy | None = None) -> PolicySet:
    return PolicySet([SECRET_GRANT], permissions_boundary=boundary, resource_policy=secret_policy(*statements))


# --- NotPrincipal with Deny --------------------------------------------------------------------------


def test_not_principal_deny_always_applies_to_a_principal_with_a_boundary() -> None:
    # IAM User Guide, permissions boundaries: a NotPrincipal Deny "will always deny any IAM principal that
    # has a permissions boundary policy attached, regardless of the values specified in the NotPrincipal".
    spare_role = deny(GET_SECRET, "*", not_principal={"AWS": [ROLE, ROOT]})
    assert decide(with_resource_policy(spare_role)) is Decision.ALLOWED
    assert decide(with_resource_policy(spare_role, boundary=BOUNDARY)) is Decision.EXPLICIT_DENY


def test_not_principal_deny_in_an_endpoint_policy_applies_to_a_principal_with_a_boundary() -> None:
    endpoint = EndpointPolicy(
        policy(allow("*", "*", principal="*"), deny(GET_SECRET, "*", not_principal={"AWS": [ROLE, ROOT]}))
    )
    policies = PolicySet([SECRET_GRANT], permissions_boundary=BOUNDARY, vpc_endpoint_policy=endpoint)
    assert decide(policies) is Decision.EXPLICIT_DENY


def test_not_principal_allow_is_not_affected_by_the_boundary() -> None:
    everyone_else = allow(GET_SECRET, "*", not_principal={"AWS": OTHER_ROLE})
    policies = PolicySet(permissions_boundary=BOUNDARY, resource_policy=secret_policy(everyone_else))
    assert decide(policies) is Decision.ALLOWED


@pytest.mark.parametrize(
    ("case", "not_principal", "expected"),
    [
        ("role-and-account-spare-the-caller", [ROLE, ROOT], Decision.ALLOWED),
        ("role-and-bare-account-id-spare-the-caller", [ROLE, ACCOUNT], Decision.ALLOWED),
        ("role-without-its-account-is-undetermined", [ROLE], Decision.UNDETERMINED),
        ("account-without-the-role-is-undetermined", [ROOT], Decision.UNDETERMINED),
        ("session-of-unknown-name-is-undetermined", [TASK_SESSION], Decision.UNDETERMINED),
        ("someone-else-denies-the-caller", [OTHER_ROLE], Decision.EXPLICIT_DENY),
        ("everyone-spared", "*", Decision.ALLOWED),
    ],
)
def test_not_principal_deny_spares_the_caller_only_when_named_with_its_account(
    case: str, not_principal: object, expected: Decision
) -> None:
    statement = deny(GET_SECRET, "*", not_principal=not_principal if not_principal == "*" else {"AWS": not_principal})
    assert decide(with_resource_policy(statement)) is expected


def test_not_principal_naming_only_the_role_cites_the_deny_without_a_context_key() -> None:
    evaluation = evaluate_request(
        request(GET_SECRET, SECRET), with_resource_policy(deny(GET_SECRET, "*", not_principal={"AWS": ROLE}))
    )
    assert evaluation.decision is Decision.UNDETERMINED
    assert [ref.policy for ref in evaluation.statements] == ["secret-policy"]
    assert evaluation.unknown_keys == frozenset()


# --- Policy variables ----------------------------------------------------------------------------------

REGION_KEY = "aws:RequestedRegion"


def test_variable_before_the_fifth_colon_is_literal_text() -> None:
    # "You can't use a variable to replace parts of the ARN before the fifth colon" (IAM User Guide,
    # policy variables): the region placeholder is not substituted, so the grant covers no real secret.
    pattern = f"arn:aws:secretsmanager:${{{REGION_KEY}}}:{ACCOUNT}:secret:prod/*"
    policies = PolicySet([policy(allow(GET_SECRET, pattern))])
    assert decide(policies, request(GET_SECRET, SECRET, context={REGION_KEY: REGION})) is Decision.IMPLICIT_DENY


def test_variable_in_the_resource_part_is_substituted() -> None:
    pattern = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:${{aws:PrincipalTag/team}}/*"
    policies = PolicySet([policy(allow(GET_SECRET, pattern))])
    tagged = request(GET_SECRET, SECRET, context={"aws:PrincipalTag/team": "prod"})
    assert decide(policies, tagged) is Decision.ALLOWED
    assert decide(policies, request(GET_SECRET, SECRET)) is Decision.UNDETERMINED


def test_variable_in_the_resource_part_after_a_colon_in_the_prefix_placeholder_is_literal() -> None:
    # `${aws:PrincipalAccount}` in the account segment: its own colon is the fifth; nothing is substituted.
    pattern = f"arn:aws:secretsmanager:{REGION}:${{aws:PrincipalAccount}}:secret:prod/*"
    policies = PolicySet([policy(allow(GET_SECRET, pattern))])
    assert decide(policies) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("operator", "key", "known"),
    [
        ("Bool", "aws:SecureTransport", "true"),
        ("NumericEquals", "aws:MultiFactorAuthAge", "30"),
        ("IpAddress", "aws:SourceIp", "10.0.0.1"),
        ("DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z"),
    ],
)
def test_non_string_operators_do_not_substitute_variables(operator: str, key: str, known: str) -> None:
    # Variables are substituted "in string comparisons in the Condition element" only: under Bool,
    # Numeric, IP or Date operators `${...}` is the literal text, which equals no request value.
    condition = {operator: {key: "${aws:PrincipalTag/expected}"}}
    policies = PolicySet([policy(allow(GET_SECRET, SECRET, condition=condition))])
    call = request(GET_SECRET, SECRET, context={key: known, "aws:PrincipalTag/expected": known})
    assert decide(policies, call) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize("operator", ["StringEquals", "ArnLike"])
def test_string_and_arn_operators_substitute_variables(operator: str) -> None:
    condition = {operator: {"aws:SourceArn": "${aws:PrincipalTag/source}"}}
    policies = PolicySet([policy(allow(GET_SECRET, SECRET, condition=condition))])
    source = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/cluster/abc"
    call = request(GET_SECRET, SECRET, context={"aws:SourceArn": source, "aws:PrincipalTag/source": source})
    assert decide(policies, call) is Decision.ALLOWED


# --- Segment-final `*` and short Resource ARNs ---------------------------------------------------------


@pytest.mark.parametrize(
    "denied",
    [
        "arn:aws:secretsmanager:*",
        f"arn:aws:secretsmanager:{REGION}:*",
        "arn:aws:secretsmanager:*:secret:prod/*",
        "arn:*",
    ],
)
def test_deny_with_a_segment_final_star_covers_the_rest_of_the_arn(denied: str) -> None:
    policies = PolicySet([SECRET_GRANT, policy(deny(GET_SECRET, denied), name="guard")])
    assert decide(policies) is Decision.EXPLICIT_DENY


def test_deny_with_a_mid_segment_star_stays_in_its_segment() -> None:
    policies = PolicySet([SECRET_GRANT, policy(deny(GET_SECRET, "arn:aws:secretsmanager:us-*1:secret:*"))])
    assert decide(policies) is Decision.ALLOWED


def test_not_resource_with_a_short_arn_excludes_what_it_covers() -> None:
    guard = deny(GET_SECRET, not_resource="arn:aws:secretsmanager:*")
    policies = PolicySet([SECRET_GRANT, policy(guard, name="guard")])
    assert decide(policies) is Decision.ALLOWED
    assert decide(PolicySet([policy(allow("*", "*")), policy(guard)]), request(GET_SECRET, "*")) is (
        Decision.EXPLICIT_DENY
    )


# --- Assumed-role session ARNs -------------------------------------------------------------------------


def known_session(name: str) -> Request:
    return request(GET_SECRET, SECRET, context={"aws:userid": f"{ROLE_ID}:{name}"})


def test_deny_naming_a_session_of_the_role_is_undetermined_while_the_session_name_is_unknown() -> None:
    # An ECS task's session is named after the task id, which is not known offline.
    policies = with_resource_policy(deny(GET_SECRET, "*", principal={"AWS": TASK_SESSION}))
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert evaluation.decision is Decision.UNDETERMINED
    assert evaluation.unknown_keys == frozenset({"aws:userid"})


def test_deny_naming_the_session_applies_to_that_session_only() -> None:
    policies = with_resource_policy(deny(GET_SECRET, "*", principal={"AWS": TASK_SESSION}))
    assert decide(policies, known_session("0123456789abcdef")) is Decision.EXPLICIT_DENY
    assert decide(policies, known_session("another-task")) is Decision.ALLOWED


def test_session_arn_of_a_role_with_a_path_omits_the_path() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/service-role/ecs-task-execution"
    policies = with_resource_policy(deny(GET_SECRET, "*", principal={"AWS": TASK_SESSION}))
    call = Request(GET_SECRET, SECRET, role, ACCOUNT, known_session("0123456789abcdef").context)
    assert decide(policies, call) is Decision.EXPLICIT_DENY


def test_allow_naming_the_session_grants_it() -> None:
    policies = PolicySet(resource_policy=secret_policy(allow(GET_SECRET, "*", principal={"AWS": TASK_SESSION})))
    assert decide(policies, known_session("0123456789abcdef")) is Decision.ALLOWED
    assert decide(policies, known_session("another-task")) is Decision.IMPLICIT_DENY
    assert decide(policies) is Decision.UNDETERMINED


def test_session_of_another_role_or_account_is_not_the_caller() -> None:
    others = [
        f"arn:aws:sts::{ACCOUNT}:assumed-role/someone-else/0123456789abcdef",
        "arn:aws:sts::444455556666:assumed-role/ecs-task-execution/0123456789abcdef",
    ]
    policies = with_resource_policy(deny(GET_SECRET, "*", principal={"AWS": others}))
    assert decide(policies) is Decision.ALLOWED
