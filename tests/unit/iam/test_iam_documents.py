"""Policy documents in every shape AWS, snapshots and moto hand them over, and clear errors otherwise."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from iam_builders import ROLE, SECRET, request

from scanner.iam import (
    ECS_TASK_EXECUTION_ROLE_POLICY_ARN,
    Decision,
    Effect,
    NamedPolicy,
    PolicyDocumentError,
    PolicySet,
    Principals,
    aws_managed_policy,
    evaluate_request,
    parse_policy_document,
)

GRANT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadDbSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-??????",
        }
    ],
}

DOCUMENT_FORMS = [
    ("dict", GRANT),
    ("json-string", json.dumps(GRANT)),
    ("json-string-with-whitespace", "\n  " + json.dumps(GRANT, indent=2) + "\n"),
    ("url-encoded-json", quote(json.dumps(GRANT))),
    ("url-encoded-json-lowercase-escape", quote(json.dumps(GRANT)).replace("%7B", "%7b", 1)),
    ("python-repr-from-moto-cloudformation", repr(GRANT)),
    ("statement-as-single-object", {**GRANT, "Statement": GRANT["Statement"][0]}),
]


@pytest.mark.parametrize(("form", "raw"), DOCUMENT_FORMS, ids=[form for form, _ in DOCUMENT_FORMS])
def test_every_document_form_parses_to_the_same_document(form: str, raw: object) -> None:
    assert parse_policy_document(raw) == parse_policy_document(GRANT)  # type: ignore[arg-type]


@pytest.mark.parametrize(("form", "raw"), DOCUMENT_FORMS, ids=[form for form, _ in DOCUMENT_FORMS])
def test_every_document_form_grants_the_same_request(form: str, raw: object) -> None:
    policies = PolicySet(identity_policies=[NamedPolicy.parse("inline", raw)])  # type: ignore[arg-type]
    assert evaluate_request(request("secretsmanager:GetSecretValue", SECRET), policies).decision is Decision.ALLOWED


def test_statement_fields_are_normalised_to_tuples() -> None:
    document = parse_policy_document(
        {
            "Version": "2012-10-17",
            "Id": "key-policy",
            "Statement": [
                {
                    "Effect": "Deny",
                    "NotAction": "iam:*",
                    "NotResource": ["arn:aws:s3:::a", "arn:aws:s3:::b"],
                    "Principal": {"AWS": ROLE, "Service": ["ecs-tasks.amazonaws.com"]},
                    "Condition": {
                        "BoolIfExists": {"aws:MultiFactorAuthPresent": False},
                        "NumericLessThan": {"s3:max-keys": 10},
                    },
                }
            ],
        }
    )
    only = document.statements[0]
    assert (document.version, document.id, document.resolves_variables) == ("2012-10-17", "key-policy", True)
    assert (only.effect, only.label, only.actions, only.not_actions) == (Effect.DENY, "#0", None, ("iam:*",))
    assert (only.resources, only.not_resources) == (None, ("arn:aws:s3:::a", "arn:aws:s3:::b"))
    assert only.principals == Principals(aws=(ROLE,), service=("ecs-tasks.amazonaws.com",))
    assert [(c.operator, c.key, c.values) for c in only.conditions] == [
        ("BoolIfExists", "aws:MultiFactorAuthPresent", ("false",)),
        ("NumericLessThan", "s3:max-keys", ("10",)),
    ]


PRINCIPAL_FORMS = [
    ("star", "*", Principals(is_anyone=True)),
    ("aws-star", {"AWS": "*"}, Principals(is_anyone=True, aws=("*",))),
    ("aws-single-arn", {"AWS": ROLE}, Principals(aws=(ROLE,))),
    ("aws-list", {"AWS": [ROLE, "111122223333"]}, Principals(aws=(ROLE, "111122223333"))),
    ("service", {"Service": "ecs-tasks.amazonaws.com"}, Principals(service=("ecs-tasks.amazonaws.com",))),
]


@pytest.mark.parametrize(("form", "raw", "expected"), PRINCIPAL_FORMS, ids=[form for form, _, _ in PRINCIPAL_FORMS])
def test_principal_forms(form: str, raw: object, expected: Principals) -> None:
    document = parse_policy_document({"Statement": {"Effect": "Allow", "Principal": raw, "Action": "*"}})
    assert document.statements[0].principals == expected


def test_version_other_than_2012_does_not_resolve_variables() -> None:
    for version in (None, "2008-10-17"):
        raw: dict[str, object] = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        if version:
            raw["Version"] = version
        assert parse_policy_document(raw).resolves_variables is False


def test_missing_resource_means_the_attached_resource() -> None:
    trust = parse_policy_document(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        }
    )
    assert trust.statements[0].resources == ("*",)


INVALID_DOCUMENTS = [
    ("not-json", "{'Statement': [", r"not valid JSON"),
    ("top-level-list", "[]", r"must be a JSON object, got list"),
    ("no-statement", {"Version": "2012-10-17"}, r"has no Statement"),
    ("statement-is-a-string", {"Statement": "Allow"}, r"Statement: expected an object or a list"),
    ("statement-item-not-object", {"Statement": ["Allow"]}, r"Statement\[0\]: expected an object"),
    (
        "lowercase-effect",
        {"Statement": {"Effect": "allow", "Action": "*"}},
        r"Statement\[0\]\.Effect: expected 'Allow' or 'Deny', got 'allow'",
    ),
    (
        "no-action",
        {"Statement": {"Effect": "Allow", "Resource": "*"}},
        r"Statement\[0\]: needs Action or NotAction",
    ),
    (
        "action-and-notaction",
        {"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "iam:*"}},
        r"has both Action and NotAction",
    ),
    (
        "resource-and-notresource",
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}},
        r"has both Resource and NotResource",
    ),
    (
        "resource-not-string",
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": 7}},
        r"Statement\[0\]\.Resource: expected a string",
    ),
    (
        "unknown-principal-type",
        {"Statement": {"Effect": "Allow", "Action": "*", "Principal": {"Aws": ROLE}}},
        r"unknown principal type 'Aws'",
    ),
    (
        "principal-and-notprincipal",
        {"Statement": {"Effect": "Deny", "Action": "*", "Principal": "*", "NotPrincipal": {"AWS": ROLE}}},
        r"has both Principal and NotPrincipal",
    ),
    (
        "condition-not-object",
        {"Statement": {"Effect": "Allow", "Action": "*", "Condition": []}},
        r"Condition: expected an object",
    ),
    (
        "condition-value-object",
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Condition": {"StringEquals": {"aws:SourceVpce": {"x": 1}}},
            }
        },
        r"Condition\.StringEquals\.aws:SourceVpce: expected strings, numbers or booleans",
    ),
    ("version-not-string", {"Version": 2012, "Statement": []}, r"Version: expected a string"),
]


@pytest.mark.parametrize(("case", "raw", "message"), INVALID_DOCUMENTS, ids=[case for case, _, _ in INVALID_DOCUMENTS])
def test_invalid_documents_raise_a_clear_error(case: str, raw: object, message: str) -> None:
    with pytest.raises(PolicyDocumentError, match=message) as raised:
        parse_policy_document(raw)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)


def test_python_repr_fallback_never_executes_code() -> None:
    with pytest.raises(PolicyDocumentError, match="not valid JSON"):
        parse_policy_document("__import__('os').system('true')")


def test_ecs_task_execution_role_policy_is_shipped() -> None:
    managed = aws_managed_policy(ECS_TASK_EXECUTION_ROLE_POLICY_ARN)
    assert managed is not None
    assert managed.name == ECS_TASK_EXECUTION_ROLE_POLICY_ARN
    (only,) = managed.document.statements
    assert only.actions == (
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    )
    assert only.resources == ("*",)


MANAGED_LOOKUPS = [
    ("commercial-partition", ECS_TASK_EXECUTION_ROLE_POLICY_ARN, True),
    ("china-partition", "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", True),
    ("without-service-role-path", "arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy", False),
    ("unknown-policy", "arn:aws:iam::aws:policy/ReadOnlyAccess", False),
    ("not-an-arn", "AmazonECSTaskExecutionRolePolicy", False),
]


@pytest.mark.parametrize(("case", "arn", "known"), MANAGED_LOOKUPS, ids=[case for case, _, _ in MANAGED_LOOKUPS])
def test_managed_policy_lookup_by_arn(case: str, arn: str, known: bool) -> None:
    assert (aws_managed_policy(arn) is not None) is known


def test_named_policy_errors_name_the_policy() -> None:
    with pytest.raises(PolicyDocumentError, match=r"^role/exec/inline-secrets: Statement\[0\]\.Effect: expected"):
        NamedPolicy.parse("role/exec/inline-secrets", {"Statement": [{"Effect": "Permit", "Action": "*"}]})
