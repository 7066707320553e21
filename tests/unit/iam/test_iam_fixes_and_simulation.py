"""The remediation documents (scanner.iam.fixes), the live-simulation comparison (scanner.iam.simulation)
and the account view of collected policies (scanner.iam.account_policies)."""

from __future__ import annotations

import json

import pytest
from iam_builders import ACCOUNT, ROLE, SECRET, allow, deny, policy, request

from scanner.iam import Decision, PolicySet, evaluate_request
from scanner.iam.account_policies import Unknown, account_policies
from scanner.iam.fixes import extend_document, grant_statements
from scanner.iam.simulation import agrees, compare, identity_layers, simulation_context
from scanner.inventory.iam import SimulationResult
from scanner.inventory.references import SecretId
from tests.builders import ECS_EXECUTION_POLICY, Scenario

GET_SECRET = "secretsmanager:GetSecretValue"


# ---- fixes -----------------------------------------------------------------------------------------------


def test_grant_statements_group_actions_that_share_resources() -> None:
    statements = grant_statements(
        [("ecr:BatchGetImage", "repo"), ("ecr:GetDownloadUrlForLayer", "repo"), ("logs:PutLogEvents", "group:*")],
        sid="Fix",
    )
    assert statements == [
        {
            "Sid": "Fix1",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "repo",
        },
        {"Sid": "Fix2", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "group:*"},
    ]


def test_grant_statements_name_the_principal_of_resource_policies() -> None:
    (statement,) = grant_statements([(GET_SECRET, "*")], principal={"AWS": ROLE})
    assert statement["Principal"] == {"AWS": ROLE}


@pytest.mark.parametrize(
    "existing",
    [
        {"Version": "2008-10-17", "Id": "k", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
        '{"Version":"2008-10-17","Id":"k","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        "%7B%22Version%22%3A%222008-10-17%22%2C%22Id%22%3A%22k%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow"
        "%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D",
    ],
    ids=["dict with a single statement", "json", "url-encoded json"],
)
def test_extend_document_keeps_what_is_there(existing: object) -> None:
    extended = json.loads(extend_document(existing, [{"Effect": "Allow", "Action": "x:Y", "Resource": "z"}]))
    assert extended == {
        "Version": "2008-10-17",
        "Id": "k",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": "x:Y", "Resource": "z"},
        ],
    }


def test_extend_document_starts_a_new_policy() -> None:
    assert json.loads(extend_document(None, [{"Effect": "Allow"}])) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow"}],
    }


def test_extend_document_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a policy document"):
        extend_document("[1, 2]", [])


# ---- simulation ------------------------------------------------------------------------------------------


def live(decision: str, missing: list[str] | None = None, **context: list[str]) -> SimulationResult:
    return SimulationResult(
        role_arn=ROLE,
        action=GET_SECRET,
        resource=SECRET,
        decision=decision,  # type: ignore[arg-type]
        context=context,
        missing_context=missing or [],
    )


CONDITIONAL = PolicySet([policy(allow(GET_SECRET, SECRET, condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}))])
GRANT = PolicySet([policy(allow(GET_SECRET, SECRET))])


@pytest.mark.parametrize(
    ("name", "policies", "answer", "expected"),
    [
        ("both allow", GRANT, live("allowed"), True),
        ("offline allows, live denies", GRANT, live("implicitDeny"), False),
        (
            "offline undetermined, live reports the missing key",
            CONDITIONAL,
            live("implicitDeny", ["aws:SourceVpce"]),
            True,
        ),
        ("offline undetermined, live decided without missing keys", CONDITIONAL, live("allowed"), False),
        ("the key sent decides both", CONDITIONAL, live("allowed", **{"aws:sourcevpce": ["vpce-1"]}), True),
        (
            "an explicit deny",
            PolicySet([policy(allow(GET_SECRET, SECRET), deny("secretsmanager:*"))]),
            live("explicitDeny"),
            True,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_compare_with_live_answers(name: str, policies: PolicySet, answer: SimulationResult, expected: bool) -> None:
    result = compare(ROLE, [(request(GET_SECRET, SECRET), policies)], [answer])
    assert result.compared == 1
    assert (not result.disagreements) is expected, [str(d) for d in result.disagreements]


def test_comparison_uses_only_the_layers_the_simulator_covers() -> None:
    with_resource = PolicySet(
        [policy(allow(GET_SECRET, SECRET))],
        resource_policy=None,
        vpc_endpoint_policy=None,
    )
    layers = identity_layers(with_resource)
    assert layers.resource_policy is None and layers.vpc_endpoint_policy is None
    decision = evaluate_request(request(GET_SECRET, SECRET), layers).decision
    assert agrees(evaluate_request(request(GET_SECRET, SECRET), layers), live("allowed"))
    assert decision is Decision.ALLOWED


def test_simulation_context_keeps_only_shared_values() -> None:
    first = request(GET_SECRET, SECRET, context={"aws:SourceVpce": "vpce-1", "aws:SecureTransport": True})
    second = request(
        "logs:PutLogEvents", "arn:aws:logs:x", context={"aws:SourceVpce": "vpce-2", "aws:SecureTransport": True}
    )
    shared = simulation_context([first, second])
    assert "aws:sourcevpce" not in shared
    assert shared["aws:securetransport"] == ["true"]
    assert shared["aws:principalarn"] == [ROLE]


def test_requests_not_simulated_are_counted_not_compared() -> None:
    result = compare(ROLE, [(request("ecr:BatchGetImage", "arn:aws:ecr:r:1:repository/x"), GRANT)], [live("allowed")])
    assert (result.compared, result.not_simulated) == (0, 1)


# ---- account view --------------------------------------------------------------------------------------


def test_the_account_view_is_parsed_once_and_shared() -> None:
    s = Scenario.compliant()
    s.role(attached=[ECS_EXECUTION_POLICY])
    account = s.build().accounts[0]
    view = account_policies(account)
    assert account_policies(account) is view
    role = account.roles[0]
    assert view.role_policies(role) is view.role_policies(role)


def test_managed_policy_fallback_only_for_known_aws_policies() -> None:
    s = Scenario.compliant()
    account = s.build().accounts[0]
    view = account_policies(account)
    assert not isinstance(view.managed_policy(ECS_EXECUTION_POLICY), Unknown)
    unknown = view.managed_policy("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert isinstance(unknown, Unknown) and "was not collected" in str(unknown)


def test_collected_document_wins_over_the_shipped_copy() -> None:
    s = Scenario.compliant()
    s.managed_policy(ECS_EXECUTION_POLICY, {"Version": "2012-10-17", "Statement": [allow("ecr:*")]})
    found = account_policies(s.build().accounts[0]).managed_policy(ECS_EXECUTION_POLICY)
    assert not isinstance(found, Unknown)
    assert found.document.statements[0].actions == ("ecr:*",)


@pytest.mark.parametrize(
    ("reference", "found"),
    [
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-AbC123", True),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db", True),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/d", False),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-admin", False),
        ("prod/db", True),
    ],
    ids=["full", "partial", "shorter name", "longer name", "name"],
)
def test_secret_lookup(reference: str, found: bool) -> None:
    s = Scenario(account=ACCOUNT, region="us-east-1")
    s.secret("prod/db", suffix="AbC123")
    s.secret("prod/db-admin", suffix="Q1w2E3")
    view = account_policies(s.build().accounts[0])
    secret = view.find_secret(SecretId(reference, "us-east-1", ACCOUNT))
    assert (secret is not None and secret.name == "prod/db") is found
