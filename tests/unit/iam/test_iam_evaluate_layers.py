"""Decisions across layers: boundaries, SCP/RCP levels, resource and key policies, endpoint policies
(docs/notes/iam-evaluation.md §1.1, §1.6; §6 cases 14-18), and what an Evaluation reports."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from iam_builders import (
    ACCOUNT,
    KEY,
    LOG_STREAM,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_SECRET,
    OTHER_ROLE,
    REGION,
    ROLE,
    ROOT,
    SECRET,
    allow,
    deny,
    policy,
    request,
)

from scanner.iam import (
    Decision,
    Effect,
    EndpointPolicy,
    EndpointType,
    Gap,
    Layer,
    NamedPolicy,
    PolicySet,
    Request,
    ResourcePolicy,
    ResourcePolicyKind,
    StatementRef,
    Truth,
    evaluate_request,
)

ALLOWED = Decision.ALLOWED
EXPLICIT = Decision.EXPLICIT_DENY
IMPLICIT = Decision.IMPLICIT_DENY
UNDETERMINED = Decision.UNDETERMINED
GET_SECRET = "secretsmanager:GetSecretValue"
DECRYPT = "kms:Decrypt"
ORG_ID = "aws:PrincipalOrgID"


@dataclass(frozen=True)
class Case:
    name: str
    policies: PolicySet
    request: Request
    expected: Decision


def run(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])


def named(name: str, *statements: dict[str, object]) -> NamedPolicy:
    return policy(*statements, name=name)


SECRET_GRANT = named("secret-grant", allow(GET_SECRET, SECRET, sid="ReadDb"))
LOGS_GRANT = named("logs-grant", allow(["logs:CreateLogStream", "logs:PutLogEvents"], "*"))
LOGS_ONLY_BOUNDARY = named("logs-boundary", allow("logs:*", "*"))
SECRETS_BOUNDARY = named("secrets-boundary", allow("secretsmanager:*", "*"))


def same_account_secret_policy(*statements: dict[str, object]) -> ResourcePolicy:
    return ResourcePolicy(owner_account=ACCOUNT, policy=named("secret-resource-policy", *statements))


# §6.14 Permissions boundaries and same-account resource policies.
BOUNDARY_CASES = [
    Case(
        "boundary-intersection-denies-outside",
        PolicySet([SECRET_GRANT, LOGS_GRANT], permissions_boundary=LOGS_ONLY_BOUNDARY),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "boundary-intersection-allows-inside",
        PolicySet([SECRET_GRANT, LOGS_GRANT], permissions_boundary=LOGS_ONLY_BOUNDARY),
        request("logs:PutLogEvents", LOG_STREAM),
        ALLOWED,
    ),
    Case(
        "boundary-never-grants",
        PolicySet([LOGS_GRANT], permissions_boundary=SECRETS_BOUNDARY),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "boundary-deny-is-explicit",
        PolicySet(
            [SECRET_GRANT],
            permissions_boundary=named("deny-boundary", allow("*", "*"), deny("secretsmanager:*", "*")),
        ),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "resource-policy-naming-role-grants-alone",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROLE}))),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "resource-policy-naming-role-capped-by-boundary",
        PolicySet(
            permissions_boundary=LOGS_ONLY_BOUNDARY,
            resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROLE})),
        ),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "resource-policy-naming-role-within-boundary",
        PolicySet(
            permissions_boundary=SECRETS_BOUNDARY,
            resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROLE})),
        ),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "resource-policy-naming-anyone-grants-alone",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal="*"))),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "resource-policy-naming-account-root-needs-identity",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROOT}))),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "resource-policy-naming-account-id-needs-identity",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ACCOUNT}))),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "resource-policy-naming-account-root-with-identity",
        PolicySet(
            [SECRET_GRANT], resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROOT}))
        ),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "resource-policy-naming-other-role",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": OTHER_ROLE}))),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "resource-policy-deny-wins",
        PolicySet([SECRET_GRANT], resource_policy=same_account_secret_policy(deny(GET_SECRET, "*", principal="*"))),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "resource-policy-deny-not-principal-spares-role",
        PolicySet(
            [SECRET_GRANT],
            resource_policy=same_account_secret_policy(deny(GET_SECRET, "*", not_principal={"AWS": [ROLE, ROOT]})),
        ),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "resource-policy-deny-not-principal-always-denies-a-role-with-a-boundary",
        PolicySet(
            [SECRET_GRANT],
            permissions_boundary=SECRETS_BOUNDARY,
            resource_policy=same_account_secret_policy(deny(GET_SECRET, "*", not_principal={"AWS": [ROLE, ROOT]})),
        ),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "resource-policy-deny-not-principal-hits-others",
        PolicySet(
            [SECRET_GRANT],
            resource_policy=same_account_secret_policy(deny(GET_SECRET, "*", not_principal={"AWS": OTHER_ROLE})),
        ),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "resource-policy-allow-not-principal-includes-role",
        PolicySet(
            resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", not_principal={"AWS": OTHER_ROLE}))
        ),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
]

# §6.15 SCPs: every level from the root to the account must allow.
FULL_ACCESS = named("FullAWSAccess", allow("*", "*"))
S3_ONLY = named("s3-only", allow("s3:*", "*"))
NO_SECRETS = named("deny-secrets", deny("secretsmanager:*", "*"))
ORG_ONLY = named("org-only", allow("*", "*", condition={"StringEquals": {ORG_ID: "o-abc123"}}))
SCP_CASES = [
    Case(
        "scp-every-level-allows",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [FULL_ACCESS], [FULL_ACCESS]]),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "scp-ou-level-without-allow",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [S3_ONLY], [FULL_ACCESS]]),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "scp-allow-at-one-level-of-several-policies",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [S3_ONLY, FULL_ACCESS]]),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "scp-deny-is-explicit",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS, NO_SECRETS], [FULL_ACCESS]]),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "scp-allow-org-id-unknown",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [ORG_ONLY]]),
        request(GET_SECRET, SECRET),
        UNDETERMINED,
    ),
    Case(
        "scp-allow-org-id-known",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [ORG_ONLY]]),
        request(GET_SECRET, SECRET, context={ORG_ID: "o-abc123"}),
        ALLOWED,
    ),
    Case(
        "scp-allow-org-id-other",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [ORG_ONLY]]),
        request(GET_SECRET, SECRET, context={ORG_ID: "o-zzz999"}),
        IMPLICIT,
    ),
    Case("scp-never-grants", PolicySet(scp_levels=[[FULL_ACCESS]]), request(GET_SECRET, SECRET), IMPLICIT),
    Case(
        "scp-empty-level-allows-nothing",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], []]),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case("scp-none-means-no-scps", PolicySet([SECRET_GRANT], scp_levels=None), request(GET_SECRET, SECRET), ALLOWED),
    Case(
        "rcp-full-access", PolicySet([SECRET_GRANT], rcp_levels=[[FULL_ACCESS]]), request(GET_SECRET, SECRET), ALLOWED
    ),
    Case(
        "rcp-level-without-allow",
        PolicySet([SECRET_GRANT], rcp_levels=[[FULL_ACCESS], [S3_ONLY]]),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "rcp-deny-outside-org-unknown",
        PolicySet(
            [SECRET_GRANT],
            rcp_levels=[
                [
                    FULL_ACCESS,
                    named(
                        "rcp-org",
                        deny(
                            "secretsmanager:*",
                            "*",
                            principal="*",
                            condition={"StringNotEqualsIfExists": {ORG_ID: "o-abc123"}},
                        ),
                    ),
                ]
            ],
        ),
        request(GET_SECRET, SECRET),
        UNDETERMINED,
    ),
]


# §6.16 A secret in another account: both accounts must allow.
def cross_account_secret(*statements: dict[str, object]) -> ResourcePolicy:
    return ResourcePolicy(
        owner_account=OTHER_ACCOUNT, policy=named("shared-secret-policy", *statements) if statements else None
    )


CROSS_GRANT = named("cross-grant", allow(GET_SECRET, OTHER_ACCOUNT_SECRET))
CROSS_ACCOUNT_CASES = [
    Case(
        "cross-account-identity-only",
        PolicySet([CROSS_GRANT], resource_policy=cross_account_secret()),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        IMPLICIT,
    ),
    Case(
        "cross-account-resource-policy-only",
        PolicySet(resource_policy=cross_account_secret(allow(GET_SECRET, "*", principal={"AWS": ROLE}))),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        IMPLICIT,
    ),
    Case(
        "cross-account-both-allow",
        PolicySet([CROSS_GRANT], resource_policy=cross_account_secret(allow(GET_SECRET, "*", principal={"AWS": ROLE}))),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        ALLOWED,
    ),
    Case(
        "cross-account-resource-policy-names-account",
        PolicySet([CROSS_GRANT], resource_policy=cross_account_secret(allow(GET_SECRET, "*", principal={"AWS": ROOT}))),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        ALLOWED,
    ),
    Case(
        "cross-account-resource-policy-names-owner-account-only",
        PolicySet(
            [CROSS_GRANT],
            resource_policy=cross_account_secret(
                allow(GET_SECRET, "*", principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})
            ),
        ),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        IMPLICIT,
    ),
    Case(
        "cross-account-resource-policy-deny",
        PolicySet(
            [CROSS_GRANT],
            resource_policy=cross_account_secret(
                allow(GET_SECRET, "*", principal={"AWS": ROLE}), deny(GET_SECRET, "*", principal={"AWS": ROOT})
            ),
        ),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        EXPLICIT,
    ),
    Case(
        "cross-account-anyone-in-org-unknown",
        PolicySet(
            [CROSS_GRANT],
            resource_policy=cross_account_secret(
                allow(GET_SECRET, "*", principal="*", condition={"StringEquals": {ORG_ID: "o-abc123"}})
            ),
        ),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        UNDETERMINED,
    ),
    Case(
        "cross-account-capped-by-boundary",
        PolicySet(
            [CROSS_GRANT],
            permissions_boundary=LOGS_ONLY_BOUNDARY,
            resource_policy=cross_account_secret(allow(GET_SECRET, "*", principal={"AWS": ROLE})),
        ),
        request(GET_SECRET, OTHER_ACCOUNT_SECRET),
        IMPLICIT,
    ),
]


# §6.17 KMS: the key policy must allow explicitly.
def key_policy(*statements: dict[str, object], owner: str = ACCOUNT) -> ResourcePolicy:
    return ResourcePolicy(
        owner_account=owner,
        policy=named("key-policy", *statements) if statements else None,
        kind=ResourcePolicyKind.KEY_POLICY,
    )


ROOT_DELEGATION = allow("kms:*", "*", principal={"AWS": ROOT}, sid="EnableIAMUserPermissions")
DECRYPT_GRANT = named("decrypt-grant", allow(DECRYPT, KEY))
VIA_SECRETS = {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
KMS_CASES = [
    Case(
        "kms-root-delegation-and-identity",
        PolicySet([DECRYPT_GRANT], resource_policy=key_policy(ROOT_DELEGATION)),
        request(DECRYPT, KEY),
        ALLOWED,
    ),
    Case(
        "kms-root-delegation-only",
        PolicySet(resource_policy=key_policy(ROOT_DELEGATION)),
        request(DECRYPT, KEY),
        IMPLICIT,
    ),
    Case(
        "kms-identity-only-key-names-someone-else",
        PolicySet([DECRYPT_GRANT], resource_policy=key_policy(allow("kms:*", "*", principal={"AWS": OTHER_ROLE}))),
        request(DECRYPT, KEY),
        IMPLICIT,
    ),
    Case(
        "kms-no-key-policy", PolicySet([DECRYPT_GRANT], resource_policy=key_policy()), request(DECRYPT, KEY), IMPLICIT
    ),
    Case(
        "kms-key-policy-names-role",
        PolicySet(resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE}))),
        request(DECRYPT, KEY),
        ALLOWED,
    ),
    Case(
        "kms-key-policy-names-role-capped-by-boundary",
        PolicySet(
            permissions_boundary=LOGS_ONLY_BOUNDARY,
            resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE})),
        ),
        request(DECRYPT, KEY),
        IMPLICIT,
    ),
    Case(
        "kms-via-service-unknown",
        PolicySet(resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE}, condition=VIA_SECRETS))),
        request(DECRYPT, KEY),
        UNDETERMINED,
    ),
    Case(
        "kms-via-service-known",
        PolicySet(resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE}, condition=VIA_SECRETS))),
        request(DECRYPT, KEY, context={"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}),
        ALLOWED,
    ),
    Case(
        "kms-via-service-other",
        PolicySet(resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE}, condition=VIA_SECRETS))),
        request(DECRYPT, KEY, context={"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}),
        IMPLICIT,
    ),
    Case(
        "kms-cross-account-key-names-role-without-identity",
        PolicySet(resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROLE}), owner=OTHER_ACCOUNT)),
        request(DECRYPT, KEY.replace(ACCOUNT, OTHER_ACCOUNT)),
        IMPLICIT,
    ),
    Case(
        "kms-cross-account-key-names-account-with-identity",
        PolicySet(
            [named("decrypt-any", allow(DECRYPT, "*"))],
            resource_policy=key_policy(allow(DECRYPT, "*", principal={"AWS": ROOT}), owner=OTHER_ACCOUNT),
        ),
        request(DECRYPT, KEY.replace(ACCOUNT, OTHER_ACCOUNT)),
        ALLOWED,
    ),
]


# §6.18 The VPC endpoint policy is an extra gate.
def through_endpoint(
    *statements: dict[str, object], version: str | None = "2012-10-17", gateway: bool = False
) -> PolicySet:
    endpoint_type = EndpointType.GATEWAY if gateway else EndpointType.INTERFACE
    return PolicySet(
        [SECRET_GRANT],
        vpc_endpoint_policy=EndpointPolicy(policy(*statements, name="vpce-policy", version=version), endpoint_type),
    )


DEFAULT_ENDPOINT = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
S3_OBJECT = "arn:aws:s3:::config-bucket/app.env"
ENDPOINT_CASES = [
    Case(
        "endpoint-default-policy-moto-2008",
        through_endpoint(DEFAULT_ENDPOINT, version="2008-10-17"),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "endpoint-resource-mismatch",
        through_endpoint(allow(GET_SECRET, f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:other-*", principal="*")),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "endpoint-other-principal",
        through_endpoint(allow("*", "*", principal={"AWS": OTHER_ROLE})),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "endpoint-role-principal",
        through_endpoint(allow(GET_SECRET, "*", principal={"AWS": ROLE})),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "endpoint-account-principal",
        through_endpoint(allow(GET_SECRET, "*", principal={"AWS": ACCOUNT})),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
    Case(
        "endpoint-deny",
        through_endpoint(DEFAULT_ENDPOINT, deny(GET_SECRET, SECRET, principal="*")),
        request(GET_SECRET, SECRET),
        EXPLICIT,
    ),
    Case(
        "endpoint-condition-unknown",
        through_endpoint(allow("*", "*", principal="*", condition={"StringEquals": {ORG_ID: "o-abc123"}})),
        request(GET_SECRET, SECRET),
        UNDETERMINED,
    ),
    Case(
        "endpoint-never-grants",
        PolicySet(vpc_endpoint_policy=EndpointPolicy(policy(DEFAULT_ENDPOINT, name="vpce-policy"))),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "gateway-endpoint-principal-arn-condition",
        through_endpoint(
            allow("s3:GetObject", "*", principal="*", condition={"ArnEquals": {"aws:PrincipalArn": ROLE}}), gateway=True
        ),
        request(GET_SECRET, SECRET),
        IMPLICIT,
    ),
    Case(
        "gateway-endpoint-principal-arn-condition-matches",
        PolicySet(
            [named("env-file", allow("s3:GetObject", S3_OBJECT))],
            vpc_endpoint_policy=EndpointPolicy(
                policy(allow("s3:GetObject", "*", principal="*", condition={"ArnEquals": {"aws:PrincipalArn": ROLE}})),
                EndpointType.GATEWAY,
            ),
        ),
        request("s3:GetObject", S3_OBJECT),
        ALLOWED,
    ),
    Case(
        "gateway-endpoint-ignores-role-principal",
        PolicySet(
            [named("env-file", allow("s3:GetObject", S3_OBJECT))],
            vpc_endpoint_policy=EndpointPolicy(
                policy(allow("s3:GetObject", "*", principal={"AWS": ROLE})), EndpointType.GATEWAY
            ),
        ),
        request("s3:GetObject", S3_OBJECT),
        IMPLICIT,
    ),
    Case(
        "gateway-endpoint-account-principal-means-root-only",
        PolicySet(
            [named("env-file", allow("s3:GetObject", S3_OBJECT))],
            vpc_endpoint_policy=EndpointPolicy(
                policy(allow("s3:GetObject", "*", principal={"AWS": ACCOUNT})), EndpointType.GATEWAY
            ),
        ),
        request("s3:GetObject", S3_OBJECT),
        IMPLICIT,
    ),
]


@run(BOUNDARY_CASES)
def test_boundaries_and_same_account_resource_policies(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(SCP_CASES)
def test_scp_and_rcp_levels(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(CROSS_ACCOUNT_CASES)
def test_cross_account_secret(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(KMS_CASES)
def test_kms_key_policy_required(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(ENDPOINT_CASES)
def test_vpc_endpoint_gate(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


# What an Evaluation says besides the decision: which statements, which layers, which keys.
def test_explicit_deny_cites_the_denying_statement() -> None:
    policies = PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS, NO_SECRETS]])
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert evaluation.statements == (StatementRef(Layer.SCP, "deny-secrets", "#0", Effect.DENY, Truth.TRUE, level=0),)


def test_allowed_cites_the_allowing_statements() -> None:
    evaluation = evaluate_request(
        request(GET_SECRET, SECRET), PolicySet([SECRET_GRANT], permissions_boundary=SECRETS_BOUNDARY)
    )
    assert [(ref.layer, ref.policy, ref.statement) for ref in evaluation.statements] == [
        (Layer.IDENTITY, "secret-grant", "ReadDb"),
        (Layer.PERMISSIONS_BOUNDARY, "secrets-boundary", "#0"),
    ]


GAP_CASES = [
    ("gap-identity", PolicySet([LOGS_GRANT]), (Gap((Layer.IDENTITY,)),), "identity policies"),
    (
        "gap-boundary",
        PolicySet([SECRET_GRANT], permissions_boundary=LOGS_ONLY_BOUNDARY),
        (Gap((Layer.PERMISSIONS_BOUNDARY,)),),
        "permissions boundary",
    ),
    (
        "gap-scp-level",
        PolicySet([SECRET_GRANT], scp_levels=[[FULL_ACCESS], [S3_ONLY]]),
        (Gap((Layer.SCP,), 1),),
        "SCPs level 1",
    ),
    (
        "gap-same-account-alternatives",
        PolicySet(resource_policy=same_account_secret_policy(allow(GET_SECRET, "*", principal={"AWS": ROOT}))),
        (Gap((Layer.IDENTITY, Layer.RESOURCE_POLICY)),),
        "identity policies or resource policy",
    ),
    (
        "gap-key-policy",
        PolicySet([DECRYPT_GRANT], resource_policy=key_policy()),
        (Gap((Layer.KEY_POLICY,)),),
        "key policy",
    ),
]


@pytest.mark.parametrize(("case", "policies", "gaps", "text"), GAP_CASES, ids=[case for case, *_ in GAP_CASES])
def test_implicit_deny_names_the_layers_without_allow(
    case: str, policies: PolicySet, gaps: tuple[Gap, ...], text: str
) -> None:
    action, resource = (DECRYPT, KEY) if case == "gap-key-policy" else (GET_SECRET, SECRET)
    evaluation = evaluate_request(request(action, resource), policies)
    assert (evaluation.decision, evaluation.gaps, str(evaluation.gaps[0])) == (IMPLICIT, gaps, text)
    assert evaluation.statements == ()


def test_undetermined_reports_unknown_keys_and_conditional_statements() -> None:
    policies = PolicySet(
        [
            named(
                "vpce-only",
                allow(GET_SECRET, SECRET, condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}, sid="ViaEndpoint"),
            )
        ],
        scp_levels=[[ORG_ONLY]],
    )
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert evaluation.decision is UNDETERMINED
    assert evaluation.unknown_keys == frozenset({"aws:SourceVpce", ORG_ID})
    assert [(ref.policy, ref.statement, ref.truth) for ref in evaluation.statements] == [
        ("vpce-only", "ViaEndpoint", Truth.UNKNOWN),
        ("org-only", "#0", Truth.UNKNOWN),
    ]
    assert evaluation.gaps == (Gap((Layer.IDENTITY,)), Gap((Layer.SCP,), 0))


def test_undetermined_by_a_conditional_deny_cites_only_the_deny() -> None:
    policies = PolicySet(
        [SECRET_GRANT, named("guard", deny(GET_SECRET, "*", condition={"StringNotEquals": {ORG_ID: "o-abc123"}}))]
    )
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert (evaluation.decision, evaluation.gaps, evaluation.unknown_keys) == (UNDETERMINED, (), frozenset({ORG_ID}))
    assert [(ref.policy, ref.effect) for ref in evaluation.statements] == [("guard", Effect.DENY)]


def test_irrelevant_unknown_keys_are_not_reported() -> None:
    policies = PolicySet(
        [
            SECRET_GRANT,
            named("also", allow(GET_SECRET, SECRET, condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})),
        ]
    )
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert (evaluation.decision, evaluation.unknown_keys) == (ALLOWED, frozenset())


def test_unsupported_operator_is_reported() -> None:
    policies = PolicySet(
        [named("odd", allow(GET_SECRET, SECRET, condition={"StringMatchesRegex": {"aws:SourceVpce": "vpce-.*"}}))]
    )
    evaluation = evaluate_request(request(GET_SECRET, SECRET, context={"aws:SourceVpce": "vpce-1"}), policies)
    assert (evaluation.decision, evaluation.unsupported_operators) == (UNDETERMINED, frozenset({"StringMatchesRegex"}))


def test_account_principal_statement_is_not_cited_in_the_same_account() -> None:
    """Naming the account delegates to IAM, so its unknown condition cannot be what leaves it open."""
    policies = PolicySet(
        [named("vpce-only", allow(GET_SECRET, SECRET, condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}))],
        resource_policy=same_account_secret_policy(
            allow(GET_SECRET, "*", principal={"AWS": ROOT}, condition={"StringEquals": {ORG_ID: "o-abc123"}})
        ),
    )
    evaluation = evaluate_request(request(GET_SECRET, SECRET), policies)
    assert (evaluation.decision, evaluation.unknown_keys) == (UNDETERMINED, frozenset({"aws:SourceVpce"}))
    assert [ref.policy for ref in evaluation.statements] == ["vpce-only"]


KEY_GAP_CASES = [
    ("key-policy-names-nobody", PolicySet([DECRYPT_GRANT], resource_policy=key_policy()), Layer.KEY_POLICY),
    ("key-policy-delegates-identity-missing", PolicySet(resource_policy=key_policy(ROOT_DELEGATION)), Layer.IDENTITY),
]


@pytest.mark.parametrize(("case", "policies", "layer"), KEY_GAP_CASES, ids=[case for case, _, _ in KEY_GAP_CASES])
def test_key_policy_gap_names_the_missing_side(case: str, policies: PolicySet, layer: Layer) -> None:
    evaluation = evaluate_request(request(DECRYPT, KEY), policies)
    assert (evaluation.decision, evaluation.gaps) == (IMPLICIT, (Gap((layer,)),))
