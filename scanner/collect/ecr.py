"""ECR: the repository policy of each private image repository the task definitions pull from.

Pulling from another account's repository needs that repository's policy to allow the execution role
(or its account) as well as the role's own policies. In the scanned account the role's identity policies
can grant on their own, but an explicit Deny in the repository policy still denies the pull, so those
policies are read too. No policy (RepositoryPolicyNotFoundException) is data, and so is a repository that
does not exist (RepositoryNotFoundException: `exists=False`, which pull-through cache rules care about);
any other failure is recorded with the repository ARN.

The pull-through cache rules of the account's registry, per region, tell which of its repositories are
filled from an upstream registry on the first pull (DescribePullThroughCacheRules, all pages; a failure
is recorded for the region and the rules of that region stay unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from scanner.collect.calls import Absent, CallContext, counted
from scanner.inventory.iam import PullThroughCacheRule, RepositoryPolicy

# The ECR client is typed Any: types-boto3's `ecr` stubs are not among the project's test extras.
ECRClient = Any

SERVICE = "ecr"

ACTIONS = ["ecr:DescribePullThroughCacheRules", "ecr:GetRepositoryPolicy"]

NO_POLICY = "RepositoryPolicyNotFoundException"
NO_REPOSITORY = "RepositoryNotFoundException"


def collect_repository_policies(
    ctx: CallContext, ecr: ECRClient, repository_arns: Sequence[str]
) -> list[RepositoryPolicy]:
    """`repository_arns` (`arn:P:ecr:R:A:repository/NAME`) all in the context's region."""
    wanted = list(dict.fromkeys(repository_arns))
    if not wanted:
        return []
    ctx.stage(SERVICE, "GetRepositoryPolicy", counted(wanted, "repository"))
    policies: list[RepositoryPolicy] = []
    for arn in wanted:
        fields = arn.split(":", 5)
        registry, name = fields[4], fields[5].removeprefix("repository/")
        request = partial(ecr.get_repository_policy, registryId=registry, repositoryName=name)
        response = ctx.call_or_absent(SERVICE, "GetRepositoryPolicy", request, arn, {NO_POLICY, NO_REPOSITORY})
        if isinstance(response, Absent):
            exists = response.code != NO_REPOSITORY
            policies.append(RepositoryPolicy(repository_arn=arn, policy=None, exists=exists))
        elif response is not None:
            policies.append(RepositoryPolicy(repository_arn=arn, policy=response.get("policyText")))
    return policies


def collect_pull_through_cache_rules(ctx: CallContext, ecr: ECRClient) -> list[PullThroughCacheRule] | None:
    """The rules of the account's registry in the context's region; None when they could not all be read."""
    ctx.stage(SERVICE, "DescribePullThroughCacheRules")
    before = len(ctx.errors)
    pages = ctx.pages(
        SERVICE, "DescribePullThroughCacheRules", ecr.get_paginator("describe_pull_through_cache_rules").paginate()
    )
    if len(ctx.errors) > before:
        return None  # a listing that did not finish is unknown, not short
    return [
        PullThroughCacheRule(
            region=ctx.region,
            ecr_repository_prefix=item["ecrRepositoryPrefix"],
            upstream_registry_url=item.get("upstreamRegistryUrl", ""),
        )
        for page in pages
        for item in page.get("pullThroughCacheRules", [])
        if item.get("ecrRepositoryPrefix")
    ]
