"""Which endpoint serves a need (DESIGN.md, "Which endpoint serves"): per service and VPC the Interface
endpoint with private DNS is the one the tasks' DNS resolves to, so every rule judges that one; another
endpoint of the same service without private DNS is not the workload's, however healthy it is."""

from __future__ import annotations

import pytest

from scanner.config import DEFAULT_PARAMS
from scanner.engine.evaluate import evaluate
from scanner.engine.loader import load_rules
from scanner.results import Result
from tests.builders import ENDPOINT, SUBNET_A, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, RULES_DIR

RULES = load_rules([RULES_DIR])
HEALTHY_NO_DNS = "vpce-x-nodns"
BROKEN_WITH_DNS = "vpce-y-dns"


def scan(s: Scenario) -> list[Result]:
    return evaluate(RULES, s.build(), dict(DEFAULT_PARAMS))


def two_ecr_api_endpoints(dns_endpoint_first: bool) -> Scenario:
    """X: private DNS off, in both AZs, behind the endpoint group; Y: private DNS on, in one AZ, behind a
    group that admits nothing."""
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["ecr.api"])
    s.group("sg-closed", ingress=[])

    def healthy() -> None:
        s.endpoint("ecr.api", endpoint_id=HEALTHY_NO_DNS, private_dns=False)

    def broken() -> None:
        s.endpoint("ecr.api", endpoint_id=BROKEN_WITH_DNS, private_dns=True, subnets=[SUBNET_A], groups=["sg-closed"])

    for add in (broken, healthy) if dns_endpoint_first else (healthy, broken):
        add()
    return s


def ecr_api_results(results: list[Result]) -> dict[str, tuple[str, object]]:
    """Rule id -> (the endpoint judged, status), for the ecr.api need of api and the endpoints in use."""
    found: dict[str, tuple[str, object]] = {}
    for r in results:
        if r.qualifier == "api/ecr.api" or r.resource_id in (HEALTHY_NO_DNS, BROKEN_WITH_DNS):
            assert r.rule_id not in found, r.rule_id
            found[r.rule_id] = (r.resource_id, r.status)
    return found


@pytest.mark.parametrize("dns_endpoint_first", [False, True], ids=["listed second", "listed first"])
def test_the_endpoint_with_private_dns_is_judged_not_a_healthy_one_without(dns_endpoint_first: bool) -> None:
    """Before: the healthy X was bound (it sorted first among available endpoints) and VPCE003/004/005
    passed while the tasks' traffic goes to the broken Y."""
    found = ecr_api_results(scan(two_ecr_api_endpoints(dns_endpoint_first)))
    assert found["VPCE001"] == (BROKEN_WITH_DNS, PASS)
    assert found["VPCE002"] == (BROKEN_WITH_DNS, PASS)
    for rule_id in ("VPCE003", "VPCE004", "VPCE005"):
        assert found[rule_id] == (BROKEN_WITH_DNS, FAIL), rule_id
    assert all(endpoint == BROKEN_WITH_DNS for endpoint, _ in found.values())


def test_without_an_endpoint_with_private_dns_the_one_without_is_judged() -> None:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["ecr.api"])["PrivateDnsEnabled"] = False
    [vpce002] = [r for r in scan(s) if r.rule_id == "VPCE002" and r.resource_id == ENDPOINT["ecr.api"]]
    assert vpce002.status is FAIL


def test_s3_keeps_preferring_the_gateway_over_an_interface_with_private_dns() -> None:
    s = Scenario.compliant()
    s.endpoint("s3", endpoint_id="vpce-s3-interface", endpoint_type="Interface", private_dns=True)
    [vpce001] = [r for r in scan(s) if r.rule_id == "VPCE001" and r.qualifier == "api/s3"]
    assert (vpce001.resource_id, vpce001.status) == (ENDPOINT["s3"], PASS)


def test_a_partial_endpoint_listing_leaves_the_serving_endpoint_unknown() -> None:
    """Only X (no private DNS) arrived; Y may be on the page that failed. Before: X was judged (PASS)."""
    s = two_ecr_api_endpoints(dns_endpoint_first=False)
    s.remove("vpc_endpoints", BROKEN_WITH_DNS)
    s.error("ec2", "DescribeVpcEndpoints", "RequestLimitExceeded")
    need = [r for r in scan(s) if r.qualifier == "api/ecr.api"]
    assert {r.rule_id for r in need} >= {"VPCE001", "VPCE005", "VPCE009"}
    assert {r.status for r in need} == {ERROR}
    assert all("eu-west-1 ec2:DescribeVpcEndpoints: RequestLimitExceeded" in r.message for r in need)


def test_a_partial_endpoint_listing_that_has_the_private_dns_endpoint_decides() -> None:
    s = two_ecr_api_endpoints(dns_endpoint_first=False)
    s.remove("vpc_endpoints", HEALTHY_NO_DNS)
    s.error("ec2", "DescribeVpcEndpoints", "RequestLimitExceeded")
    found = ecr_api_results(scan(s))
    assert found["VPCE001"] == (BROKEN_WITH_DNS, PASS)
    assert found["VPCE005"] == (BROKEN_WITH_DNS, FAIL)
