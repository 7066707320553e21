"""endpoint_present: the needed endpoint exists in the workload's VPC, of the right type, available."""

from __future__ import annotations

from scanner.engine.checks.base import CheckContext, IncompleteData, Outcome, Problem, register
from scanner.engine.spec import EndpointPresentCheck
from scanner.inventory.endpoint_use import WorkloadNeed

_NEW_SG = ("endpoint_security_group_name",)


@register(
    "endpoint_present",
    problems={
        # An Interface endpoint is missing and another endpoint of this workload has a group to reuse.
        "missing_interface": ("reuse_security_group_id",),
        # An Interface endpoint is missing and no endpoint group exists yet: the fix creates one.
        "missing_interface_new_sg": _NEW_SG,
        "missing_gateway": (),
        "wrong_type": ("found",),
        "not_available": ("found", "state"),
        # The calls go to another region (awslogs-region, a secret or parameter ARN): no endpoint of
        # this VPC can carry them.
        "other_region": ("need_region",),
    },
    requires=("ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables"),
)
def check_endpoint_present(spec: EndpointPresentCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The needed endpoint exists in the workload's VPC, of an acceptable type and in an allowed state."""
    assert isinstance(subject, WorkloadNeed)
    workload, need = subject.workload, subject.need
    if workload.vpc_id is None:
        raise IncompleteData(f"the VPC of {workload.name} is unknown (subnets not in inventory)")
    if need.region and need.region != workload.region:
        return Outcome.failed([Problem("other_region", {"need_region": need.region})], service_name=need.service_name)
    # Calls whose region is in doubt (an environment file's bucket of unread region): a present endpoint
    # serves them only if they stay in this region, and a missing one is proven only by the other calls.
    in_doubt = "; ".join(need.region_unknown)
    if in_doubt and len(need.region_unknown) == len(need.reasons):
        raise IncompleteData(in_doubt)
    evidence = {
        "vpc_id": workload.vpc_id,
        "service_name": need.service_name,
        "acceptable_types": list(need.endpoint_types),
        "candidates": [
            {
                "id": c.vpc_endpoint_id,
                "type": c.vpc_endpoint_type,
                "state": c.state,
                "private_dns_enabled": c.private_dns_enabled,
            }
            for c in subject.candidates
        ],
    }
    endpoint = subject.endpoint
    if endpoint is not None and endpoint.state in spec.states:
        if in_doubt:
            raise IncompleteData(in_doubt)
        return Outcome.passed(endpoint_id=endpoint.vpc_endpoint_id, **evidence)
    # Short of a usable endpoint, the listing decides: a better one may be on a page never read.
    workload.gaps.require_listing("ec2:DescribeVpcEndpoints", f"the {need.service_name} endpoint of {workload.vpc_id}")
    if endpoint is not None:
        found = f"{endpoint.vpc_endpoint_id} ({endpoint.vpc_endpoint_type})"
        return Outcome.failed([Problem("not_available", {"found": found, "state": endpoint.state})], **evidence)
    if subject.candidates:
        found = ", ".join(
            f"{c.vpc_endpoint_id} ({c.vpc_endpoint_type}"
            + (", private DNS off" if c.is_interface and not c.private_dns_enabled else "")
            + ")"
            for c in subject.candidates
        )
        return Outcome.failed([Problem("wrong_type", {"found": found})], **evidence)
    if need.preferred_type == "Gateway":
        if not workload.route_table_ids:
            raise IncompleteData(f"no route table known for the subnets of {workload.name}")
        return Outcome.failed([Problem("missing_gateway")], **evidence)
    reusable = sorted(
        {
            g
            for other in workload.bound_needs
            if other.is_interface and other.endpoint
            for g in other.endpoint.security_group_ids
        }
    )
    if reusable:
        return Outcome.failed([Problem("missing_interface", {"reuse_security_group_id": reusable[0]})], **evidence)
    # One group per service: fixes of several results can run one after the other without a name clash.
    name = f"vpce-{need.service}-{workload.vpc_id}"
    return Outcome.failed([Problem("missing_interface_new_sg", {"endpoint_security_group_name": name})], **evidence)
