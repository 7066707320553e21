"""Action and resource glob matching (docs/notes/iam-evaluation.md §1.2, §1.3; §6 cases 3-7)."""

from __future__ import annotations

import pytest

from scanner.iam import action_matches, resource_matches
from scanner.iam.matching import compile_glob

ACTION_CASES = [
    # §6.7 action wildcards
    ("service-wildcard", "ecr:*", "ecr:GetAuthorizationToken", True),
    ("prefix-wildcard-matches-get", "ecr:Get*", "ecr:GetDownloadUrlForLayer", True),
    ("prefix-wildcard-matches-token", "ecr:Get*", "ecr:GetAuthorizationToken", True),
    ("prefix-wildcard-not-batch-get", "ecr:Get*", "ecr:BatchGetImage", False),
    ("everything", "*", "secretsmanager:GetSecretValue", True),
    ("infix-wildcard-layer-availability", "ecr:*Layer*", "ecr:BatchCheckLayerAvailability", True),
    ("infix-wildcard-download-url", "ecr:*Layer*", "ecr:GetDownloadUrlForLayer", True),
    ("infix-wildcard-not-batch-get-image", "ecr:*Layer*", "ecr:BatchGetImage", False),
    ("question-mark-one-character", "ecr:BatchGet?mage", "ecr:BatchGetImage", True),
    ("question-mark-not-zero-characters", "ecr:BatchGetI?mage", "ecr:BatchGetImage", False),
    ("misspelt-action-matches-nothing", "ecr:GetDownloadUrlForLayers", "ecr:GetDownloadUrlForLayer", False),
    ("service-prefix-is-not-a-prefix-match", "ecr:*", "ecr-public:GetAuthorizationToken", False),
    ("other-service", "logs:*", "ssm:GetParameters", False),
    # §6.4 actions are case-insensitive
    ("doc-case-insensitive-action", "IAM:listaccesskeys", "iam:ListAccessKeys", True),
    ("case-insensitive-request", "iam:ListAccessKeys", "IAM:LISTACCESSKEYS", True),
    ("case-insensitive-wildcard", "iam:*report", "iam:GetOrganizationsAccessReport", True),
    # regex metacharacters are literal
    ("dot-is-literal", "ecr:Get.*", "ecr:GetImage", False),
]


@pytest.mark.parametrize(
    ("case", "pattern", "action", "expected"), ACTION_CASES, ids=[case for case, *_ in ACTION_CASES]
)
def test_action_matching(case: str, pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


DOC_BUCKET_PATTERN = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*"
DOC_BUCKET_MATCHING_KEYS = [
    "DOC-EXAMPLE-BUCKET/1/test/object.jpg",
    "DOC-EXAMPLE-BUCKET/1/2/test/object.jpg",
    "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
    "DOC-EXAMPLE-BUCKET/1/2/3/test/4/object.jpg",
    "DOC-EXAMPLE-BUCKET/1///test///object.jpg",
    "DOC-EXAMPLE-BUCKET/1/test/.jpg",
    "DOC-EXAMPLE-BUCKET//test/object.jpg",
    "DOC-EXAMPLE-BUCKET/1/test/",
]
DOC_BUCKET_NON_MATCHING_KEYS = [
    "DOC-EXAMPLE-BUCKET/1-test/object.jpg",
    "DOC-EXAMPLE-BUCKET/test/object.jpg",
    "DOC-EXAMPLE-BUCKET/1/2/test.jpg",
]


@pytest.mark.parametrize("key", DOC_BUCKET_MATCHING_KEYS, ids=DOC_BUCKET_MATCHING_KEYS)
def test_doc_resource_wildcard_matches(key: str) -> None:
    assert resource_matches(DOC_BUCKET_PATTERN, f"arn:aws:s3:::{key}")


@pytest.mark.parametrize("key", DOC_BUCKET_NON_MATCHING_KEYS, ids=DOC_BUCKET_NON_MATCHING_KEYS)
def test_doc_resource_wildcard_does_not_match(key: str) -> None:
    assert not resource_matches(DOC_BUCKET_PATTERN, f"arn:aws:s3:::{key}")


SECRET_NAME = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db"
RESOURCE_CASES = [
    # §6.4 resources are case-sensitive
    ("resource-case-sensitive", "arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/object", False),
    ("resource-same-case", "arn:aws:s3:::Bucket/*", "arn:aws:s3:::Bucket/object", True),
    # §6.5 regex metacharacters are literal; a wildcard in a prefix segment stops at ':'
    ("plus-is-literal-not-repetition", "arn:aws:s3:::a+b/*", "arn:aws:s3:::aab/x", False),
    ("plus-matches-itself", "arn:aws:s3:::a+b/*", "arn:aws:s3:::a+b/x", True),
    ("dot-is-literal", "arn:aws:s3:::a.b", "arn:aws:s3:::axb", False),
    ("brackets-and-dollar-are-literal", "arn:aws:s3:::x[1]$(y)", "arn:aws:s3:::x[1]$(y)", True),
    ("brackets-are-not-a-class", "arn:aws:s3:::x[1]", "arn:aws:s3:::x1", False),
    # A `*` ending a segment may match across colons (IAM User Guide, Resource element, "If the * wildcard
    # is the last character of a resource ARN segment, it can expand to match beyond the colon boundaries");
    # any other `*` in the first five segments stays within its segment.
    (
        "segment-final-region-star-spans-the-account",
        "arn:aws:secretsmanager:*:secret:prod-*",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod-db",
        True,
    ),
    (
        "mid-segment-region-star-does-not-swallow-account",
        "arn:aws:secretsmanager:us-*1:secret:prod-*",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod-db",
        False,
    ),
    (
        "mid-segment-star-stays-in-its-segment",
        "arn:aws:ecr:us-*-1:1:repository/app",
        "arn:aws:ecr:us-east:2-1:1:repository/app",
        False,
    ),
    (
        "segment-final-star-still-needs-the-rest",
        "arn:aws:secretsmanager:*:secret:prod-*",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:staging-db",
        False,
    ),
    (
        "account-star-one-segment",
        "arn:aws:ecr:us-east-1:*:repository/app",
        "arn:aws:ecr:us-east-1:444455556666:repository/app",
        True,
    ),
    (
        "region-question-marks",
        "arn:aws:ecr:us-east-?:*:repository/app",
        "arn:aws:ecr:us-east-1:1:repository/app",
        True,
    ),
    (
        "resource-star-spans-colons",
        "arn:aws:logs:us-east-1:1:log-group:app:*",
        "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x/y",
        True,
    ),
    # Fewer than six segments: a trailing `*` ends its segment and spans the rest; without one, no match.
    ("short-trailing-star-spans-the-rest", "arn:aws:s3:*", "arn:aws:s3:::bucket", True),
    ("short-trailing-star-spans-the-resource", "arn:aws:secretsmanager:*", SECRET_NAME, True),
    ("short-trailing-star-other-service", "arn:aws:s3:*", SECRET_NAME, False),
    ("short-trailing-star-after-text", "arn:aws:secretsmanager:us-*", SECRET_NAME, True),
    ("short-trailing-star-region-mismatch", "arn:aws:secretsmanager:eu-*", SECRET_NAME, False),
    ("arn-star-matches-every-arn", "arn:*", "arn:aws:s3:::bucket", True),
    ("short-without-star-never-matches", "arn:aws:s3", "arn:aws:s3:::bucket", False),
    ("short-trailing-star-not-request-star", "arn:*", "*", False),
    ("lone-star-matches-everything", "*", "arn:aws:s3:::bucket", True),
    ("service-mismatch", "arn:aws:ssm:*:*:*", "arn:aws:secretsmanager:us-east-1:1:secret:x", False),
    # §6.6 the secret suffix: "-" and six random characters
    ("secret-six-question-marks", f"{SECRET_NAME}-??????", f"{SECRET_NAME}-AbC123", True),
    ("secret-five-question-marks", f"{SECRET_NAME}-?????", f"{SECRET_NAME}-AbC123", False),
    ("secret-without-suffix", SECRET_NAME, f"{SECRET_NAME}-AbC123", False),
    ("secret-dash-star", f"{SECRET_NAME}-*", f"{SECRET_NAME}-AbC123", True),
    ("secret-dash-star-also-matches-longer-name", f"{SECRET_NAME}-*", f"{SECRET_NAME}-admin-Q1w2E3", True),
    (
        "secret-six-question-marks-not-longer-name",
        f"{SECRET_NAME}-??????",
        f"{SECRET_NAME}-admin-Q1w2E3",
        False,
    ),
    (
        "secret-any-region-account-prod",
        "arn:aws:secretsmanager:*:*:secret:prod/*",
        f"{SECRET_NAME}-AbC123",
        True,
    ),
    (
        "secret-any-region-account-staging",
        "arn:aws:secretsmanager:*:*:secret:staging/*",
        f"{SECRET_NAME}-AbC123",
        False,
    ),
    # §6.11 wildcard-only actions: the request resource is "*"
    ("wildcard-request-needs-star", "*", "*", True),
    ("wildcard-request-double-star", "**", "*", True),
    ("wildcard-request-not-covered-by-arn-glob", "arn:aws:ecr:*:*:*", "*", False),
    ("wildcard-request-not-covered-by-arn", "arn:aws:ecr:us-east-1:1:repository/app", "*", False),
]


@pytest.mark.parametrize(
    ("case", "pattern", "resource", "expected"), RESOURCE_CASES, ids=[case for case, *_ in RESOURCE_CASES]
)
def test_resource_matching(case: str, pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource) is expected


# The cached matchers take shortcuts (equality, prefix test, `?`-only comparison) for common shapes;
# each must agree with the plain segment-aware regex on every value.
SHORTCUT_PATTERNS = [
    "arn:aws:s3:::bucket/key",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::*",
    "arn:aws:logs:us-east-1:1:log-group:a?b",
    "arn:aws:secretsmanager:us-east-1:1:secret:db-??????",
    "arn:aws:ecr:us-east-?:1:repository/app",
    "arn:aws:ecr:us-east-1:*",
    "arn:aws:ecr:*:1:repository/*",
    "arn:aws:s3:*",
    "arn:aws:ecr:us-*",
    "arn:*",
    "bucket",
]
SHORTCUT_VALUES = [
    "*",
    "bucket",
    "arn:aws:s3:::bucket/key",
    "arn:aws:s3:::bucket/",
    "arn:aws:s3:::bucket/a/b:c",
    "arn:aws:s3:::other",
    "arn:aws:logs:us-east-1:1:log-group:a:b",
    "arn:aws:logs:us-east-1:1:log-group:axb",
    "arn:aws:logs:us-east-1:1:log-group:ab",
    "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC123",
    "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC12",
    "arn:aws:ecr:us-east-1:1:repository/app",
    "arn:aws:ecr:us-east-:1:repository/app",
    "arn:aws:ecr:eu-west-1:1:repository/app/nested",
]


def reference_match(pattern: str, value: str) -> bool:
    if pattern.strip("*") == "":
        return True
    regex = compile_glob(((pattern, True),), arn=True, resource_element=True)
    return regex is not None and regex.fullmatch(value) is not None


@pytest.mark.parametrize("pattern", SHORTCUT_PATTERNS, ids=SHORTCUT_PATTERNS)
def test_cached_matchers_agree_with_the_reference_regex(pattern: str) -> None:
    assert [resource_matches(pattern, value) for value in SHORTCUT_VALUES] == [
        reference_match(pattern, value) for value in SHORTCUT_VALUES
    ]
