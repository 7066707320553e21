"""VPCE011 image-privately-pullable: every image comes from this region's ECR."""

from __future__ import annotations

import pytest

from scanner.inventory.images import parse_image
from tests.builders import ACCOUNT, ECR, IMAGE, TASK_DEFINITION_ARN, Scenario, container
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, run, table

REGION = "eu-west-1"
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER_REGION_ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def sidecar(image: str) -> Scenario:
    """The compliant service plus a container `sidecar` running `image`."""
    return Scenario.compliant(containers=[container(), container("sidecar", image, logs=False)])


DOCKER_HUB_FIX = [
    f"aws secretsmanager create-secret --region {REGION} --name ecr-pullthroughcache/docker-hub --secret-string "
    """'{"username":"<docker hub user>","accessToken":"<docker hub access token>"}'""",
    f"aws ecr create-pull-through-cache-rule --region {REGION} --ecr-repository-prefix docker-hub "
    "--upstream-registry-url registry-1.docker.io --credential-arn "
    f'"$(aws secretsmanager describe-secret --region {REGION} --secret-id '
    'ecr-pullthroughcache/docker-hub --query ARN --output text)"',
]


def docker_hub(private_image: str) -> list[str]:
    return [*DOCKER_HUB_FIX, f"# register a task definition revision that uses {ECR}/docker-hub/{private_image}"]


def replicate(repository: str, private_image: str) -> list[str]:
    return [
        "aws ecr put-replication-configuration --region us-east-1 --replication-configuration "
        f"""'{{"rules":[{{"destinations":[{{"region":"{REGION}","registryId":"{ACCOUNT}"}}],"repositoryFilters":"""
        f"""[{{"filter":"{repository}","filterType":"PREFIX_MATCH"}}]}}]}}'""",
        f"# push the image again so it replicates, then register a task definition revision that uses {private_image}",
    ]


def mirror(image: str, repository: str, reference: str) -> list[str]:
    return [
        f"aws ecr create-repository --region {REGION} --repository-name mirror/{repository}",
        f"# copy {image} to {ECR}/mirror/{repository}{reference} (docker pull, docker tag, docker push), then register "
        "a task definition revision that uses it",
    ]


def unreadable_task_definition() -> Scenario:
    s = Scenario.compliant()
    s.remove("task_definitions", "api")
    s.error("ecs", "DescribeTaskDefinition", resource_id=TASK_DEFINITION_ARN)
    return s


def services_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["services"] = []
    s.error("ecs", "ListServices")
    return s


CASES = [
    Case(
        "same-region ECR",
        Scenario.compliant,
        {"api/app": PASS},
        message={"api/app": [f"Container app of api pulls {IMAGE} from this region's ECR."]},
    ),
    Case("same-region ECR by digest", lambda: sidecar(f"{ECR}/app@{DIGEST}"), {"api/app": PASS, "api/sidecar": PASS}),
    Case(
        "same-region ECR of another account",
        lambda: sidecar(f"444455556666.dkr.ecr.{REGION}.amazonaws.com/base:1"),
        {"api/app": PASS, "api/sidecar": PASS},
    ),
    Case(
        "another region's ECR: replicate",
        lambda: sidecar(f"{OTHER_REGION_ECR}/team/app:2.0"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={
            "api/sidecar": [
                f"Container sidecar of api uses {OTHER_REGION_ECR}/team/app:2.0 from ECR in "
                "us-east-1; expected ECR in eu-west-1."
            ]
        },
        remediation={"api/sidecar": replicate("team/app", f"{ECR}/team/app:2.0")},
    ),
    Case(
        "Docker Hub official image, bare name",
        lambda: sidecar("nginx"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={"api/sidecar": ["Container sidecar of api uses nginx from Docker Hub; expected ECR in eu-west-1."]},
        remediation={"api/sidecar": docker_hub("library/nginx:latest")},
    ),
    Case(
        "Docker Hub library/ name with a tag",
        lambda: sidecar("library/nginx:1.27"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": docker_hub("library/nginx:1.27")},
    ),
    Case(
        "Docker Hub docker.io/x/y",
        lambda: sidecar("docker.io/grafana/loki:3.2.1"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={"api/sidecar": ["uses docker.io/grafana/loki:3.2.1 from Docker Hub"]},
        remediation={"api/sidecar": docker_hub("grafana/loki:3.2.1")},
    ),
    Case(
        "Docker Hub user image without registry",
        lambda: sidecar("grafana/loki"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": docker_hub("grafana/loki:latest")},
    ),
    Case(
        "Docker Hub by digest",
        lambda: sidecar(f"nginx@{DIGEST}"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": docker_hub(f"library/nginx@{DIGEST}")},
    ),
    Case(
        "public.ecr.aws: pull-through cache",
        lambda: sidecar("public.ecr.aws/nginx/nginx:1.27"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={
            "api/sidecar": ["uses public.ecr.aws/nginx/nginx:1.27 from public.ecr.aws; expected ECR in eu-west-1."]
        },
        remediation={
            "api/sidecar": [
                f"aws ecr create-pull-through-cache-rule --region {REGION} --ecr-repository-prefix ecr-public "
                "--upstream-registry-url public.ecr.aws",
                f"# register a task definition revision that uses {ECR}/ecr-public/nginx/nginx:1.27",
            ]
        },
    ),
    Case(
        "ghcr.io: mirror",
        lambda: sidecar("ghcr.io/org/app:1.2"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={"api/sidecar": ["uses ghcr.io/org/app:1.2 from ghcr.io; expected ECR in eu-west-1."]},
        remediation={"api/sidecar": mirror("ghcr.io/org/app:1.2", "org/app", ":1.2")},
    ),
    Case(
        "registry with a port",
        lambda: sidecar("registry.example.com:5000/team/app:1.0"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={"api/sidecar": ["from registry.example.com:5000;"]},
        remediation={"api/sidecar": mirror("registry.example.com:5000/team/app:1.0", "team/app", ":1.0")},
    ),
    Case(
        "a look-alike host is not ECR",
        lambda: sidecar(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com.evil.io/app:1"),
        {"api/app": PASS, "api/sidecar": FAIL},
        message={"api/sidecar": ["amazonaws.com.evil.io;"]},
    ),
    Case(
        "services could not be listed in the region",
        services_not_listed,
        {"ecs:ListServices": ERROR},
        message={
            "ecs:ListServices": [
                "VPCE011 could not list its subjects in region/eu-west-1: eu-west-1 ecs:ListServices: "
                "AccessDenied; grant ecs:ListServices."
            ]
        },
    ),
    # The reference (":tag", "@sha256:...", ":latest") stays on the private image, never in a repository name.
    Case(
        "ghcr.io by digest: the mirror repository name has no digest",
        lambda: sidecar(f"ghcr.io/org/app@{DIGEST}"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": mirror(f"ghcr.io/org/app@{DIGEST}", "org/app", f"@{DIGEST}")},
    ),
    Case(
        "ghcr.io without a tag: :latest",
        lambda: sidecar("ghcr.io/org/app"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": mirror("ghcr.io/org/app", "org/app", ":latest")},
    ),
    Case(
        "a registry with a port, by digest",
        lambda: sidecar(f"registry.example.com:5000/team/app@{DIGEST}"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": mirror(f"registry.example.com:5000/team/app@{DIGEST}", "team/app", f"@{DIGEST}")},
    ),
    Case(
        "another region's ECR by digest: the private image keeps the digest, no prefix",
        lambda: sidecar(f"{OTHER_REGION_ECR}/team/app@{DIGEST}"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": replicate("team/app", f"{ECR}/team/app@{DIGEST}")},
    ),
    Case(
        "another region's ECR without a tag: :latest",
        lambda: sidecar(f"{OTHER_REGION_ECR}/team/app"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={"api/sidecar": replicate("team/app", f"{ECR}/team/app:latest")},
    ),
    Case(
        "public.ecr.aws by digest",
        lambda: sidecar(f"public.ecr.aws/nginx/nginx@{DIGEST}"),
        {"api/app": PASS, "api/sidecar": FAIL},
        remediation={
            "api/sidecar": [
                f"aws ecr create-pull-through-cache-rule --region {REGION} --ecr-repository-prefix ecr-public "
                "--upstream-registry-url public.ecr.aws",
                f"# register a task definition revision that uses {ECR}/ecr-public/nginx/nginx@{DIGEST}",
            ]
        },
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce011(case: Case) -> None:
    check_case("VPCE011", case)


@pytest.mark.parametrize(
    ("image", "source", "repository", "reference"),
    [
        pytest.param("nginx", "docker_hub", "nginx", ":latest", id="bare name"),
        pytest.param(f"nginx@{DIGEST}", "docker_hub", "nginx", f"@{DIGEST}", id="Docker Hub digest"),
        pytest.param("docker.io/grafana/loki:3.2.1", "docker_hub", "grafana/loki", ":3.2.1", id="docker.io tag"),
        pytest.param("ghcr.io/org/app:1.2", "other_registry", "org/app", ":1.2", id="tag"),
        pytest.param(f"ghcr.io/org/app@{DIGEST}", "other_registry", "org/app", f"@{DIGEST}", id="digest"),
        pytest.param("localhost:5000/app", "other_registry", "app", ":latest", id="port, no tag"),
        pytest.param(f"{ECR}/app:1.0", "ecr_same_region", "app", ":1.0", id="ECR tag"),
        pytest.param(f"{OTHER_REGION_ECR}/team/app@{DIGEST}", "ecr_other_region", "team/app", f"@{DIGEST}", id="ECR"),
    ],
)
def test_image_reference_keeps_its_digest(image: str, source: str, repository: str, reference: str) -> None:
    ref = parse_image(image, REGION)
    assert (ref.source, ref.repository, ref.reference) == (source, repository, reference)


@pytest.mark.parametrize("denied", [True, False], ids=["DescribeTaskDefinition denied", "not collected"])
def test_unreadable_task_definition_is_an_error_not_silence(denied: bool) -> None:
    scenario = unreadable_task_definition()
    if not denied:
        scenario.errors.clear()
    [result] = run("VPCE011", scenario)
    assert (result.qualifier, result.status, result.resource_id, result.resource_type) == (
        "api/images",
        ERROR,
        "api",
        "ecs_service",
    )
    # A denied call is named once, with its remedy; a definition that is simply gone is said so.
    assert (f"task definition {TASK_DEFINITION_ARN} not in inventory" in result.message) is not denied
    assert result.message.count("ecs:DescribeTaskDefinition on") == (1 if denied else 0)
