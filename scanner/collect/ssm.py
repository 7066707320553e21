"""SSM Parameter Store: the metadata (never the value) of each parameter a task definition references,
for its type and KMS key: a SecureString under a customer managed key also needs kms:Decrypt.

DescribeParameters with a `Name Equals` filter of up to 50 names per request; a name it does not return
does not exist (a missing parameter is data). `/aws/reference/secretsmanager/...` names are not real
parameters and are not described (their secret is). Parameters of other accounts are not listed by
DescribeParameters and are left out (the rules report them undetermined).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from scanner.collect.calls import CallContext, chunks, counted
from scanner.inventory.iam import SsmParameter
from scanner.inventory.references import parameter_arn

if TYPE_CHECKING:
    from types_boto3_ssm import SSMClient

SERVICE = "ssm"

ACTIONS = ["ssm:DescribeParameters"]

NAMES_PER_FILTER = 50  # ParameterStringFilter Values and MaxResults both stop at 50


@dataclass
class Parameters:
    parameters: list[SsmParameter] = field(default_factory=list)
    # ARNs of referenced parameters that do not exist.
    missing: list[str] = field(default_factory=list)


def collect_parameters(ctx: CallContext, ssm: SSMClient, names: Sequence[str], partition: str = "aws") -> Parameters:
    """`names` as SSM knows them (`/prod/db`, `db`), all in the context's account and region."""
    result = Parameters()
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return result
    ctx.stage(SERVICE, "DescribeParameters", counted(wanted, "parameter"))
    paginator = ssm.get_paginator("describe_parameters")
    for batch in chunks(wanted, NAMES_PER_FILTER):
        pages: list[Any] = []
        failure: Exception | None = None
        try:
            for page in paginator.paginate(
                ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}],
                PaginationConfig={"PageSize": NAMES_PER_FILTER},
            ):
                pages.append(page)
        except (ClientError, BotoCoreError) as exc:
            failure = exc
        items: list[dict[str, Any]] = [
            {**item, "ARN": item.get("ARN") or parameter_arn(item["Name"], ctx.region, ctx.account, partition)}
            for page in pages
            for item in page.get("Parameters", [])
            if isinstance(item.get("Name"), str)
        ]
        # A parameter that was listed but not understood exists: its recorded InvalidResponse (by ARN)
        # leaves it unknown, and it must not also be reported as missing.
        answered = {item["Name"] for item in items}
        found = ctx.parse(SsmParameter, items, service=SERVICE, operation="DescribeParameters", id_key="ARN")
        result.parameters += found
        for name in batch:
            if name in answered:
                continue
            arn = parameter_arn(name, ctx.region, ctx.account, partition)
            if failure is None:
                result.missing.append(arn)
            else:
                # One record per parameter left unknown, so each rule result names its own.
                ctx.record_exception(SERVICE, "DescribeParameters", failure, arn)
    return result
