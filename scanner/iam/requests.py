"""Request derivation: the calls a Fargate workload's execution role makes when a task starts, each with
the policies that govern it (ECS semantics, docs/notes/iam-evaluation.md §1.7). Pure: inventory in, requests out.

* Private ECR images: `ecr:GetAuthorizationToken` on `*` (once per registry region) and
  `ecr:BatchCheckLayerAvailability`, `ecr:GetDownloadUrlForLayer`, `ecr:BatchGetImage` on each
  repository ARN, under the repository policy (in the account, its Deny still denies; in another
  account, it must allow as well). The layers
  themselves come from S3 (`prod-REGION-starport-layer-bucket`) through presigned URLs signed by ECR,
  so that download is gated only by the S3 endpoint policy (`layer_downloads`), not by the role.
* awslogs: `logs:CreateLogStream` and `logs:PutLogEvents` on the log-stream ARN
  `...:log-group:GROUP:log-stream:PREFIX/CONTAINER/TASK_ID`; the task id is unknown, so two synthetic
  ids are tried and a policy that tells them apart leaves the request undetermined. `logs:CreateLogGroup`
  on `...:log-group:GROUP` when `awslogs-create-group` is true.
* Secrets (`secrets`, `logConfiguration.secretOptions`, `repositoryCredentials`): the full secret ARN
  (with its random suffix) looked up in the inventory from `valueFrom`, which may be partial or carry a
  JSON-key suffix; `secretsmanager:GetSecretValue` on it, under the secret's resource policy. With a
  customer managed key, `kms:Decrypt` on the key under its key policy (made by Secrets Manager for the
  role: `kms:ViaService=secretsmanager.REGION.amazonaws.com`). Cross-account secrets need a CMK.
* SSM parameters (ARN or bare name): `ssm:GetParameters` on the parameter ARN; a SecureString under a
  customer managed key adds `kms:Decrypt` (via `ssm.REGION.amazonaws.com`).
  `/aws/reference/secretsmanager/NAME` adds the secret's own requests.

* Pull-through cache: an image of the account's registry under a pull-through cache rule also asks for
  `ecr:BatchImportUpstreamImage`, and `ecr:CreateRepository` while the repository does not exist.
* `environmentFiles` in S3: `s3:GetObject` on the object and `s3:GetBucketLocation` on the bucket,
  through the S3 endpoint, under the bucket policy when the account owns the bucket.
* Around the calls: the role's trust policy must let `ecs-tasks.amazonaws.com` assume it (`trust`), a
  customer managed key must be Enabled to decrypt, and the account's RCPs apply to the calls on its
  resources in the services RCPs govern.

Context keys the scanner knows are filled in (the principal, its tags, the organization, the VPC
endpoint on the path or its absence, the resource's tags and account); everything else stays unknown,
so a condition on it makes the answer undetermined, never allowed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from scanner.iam.account_policies import Unknown, account_policies, error_detail
from scanner.iam.derivation import is_aws_managed_alias
from scanner.iam.plan import (
    AWS_OWNED,
    BUCKET_LOCATION_ACTION,
    CREATE_GROUP_ACTION,
    CREATE_REPOSITORY_ACTION,
    DECRYPT_ACTION,
    ENVIRONMENT_FILE_ACTION,
    LAYER_ACTIONS,
    LAYER_DOWNLOAD_ACTION,
    LOG_ACTIONS,
    PULL_THROUGH_ACTION,
    RCP_SERVICES,
    TASK_IDS,
    TOKEN_ACTION,
    DerivationProblem,
    DerivedRequest,
    ExecutionPlan,
    ResourceKind,
    with_endpoint,
)
from scanner.iam.policy_set import PolicySet, ResourcePolicy
from scanner.iam.request import ContextValue, Request, RequestContext
from scanner.iam.secret_requests import SecretRequests
from scanner.iam.trust import evaluate_trust
from scanner.inventory.gaps import MissingData
from scanner.inventory.iam import Role
from scanner.inventory.images import parse_image
from scanner.inventory.references import task_references
from scanner.inventory.workloads import Workload

# The IAM action GetBucketEncryption is authorized (and recorded) as.
ENCRYPTION_READ: Final = "s3:GetEncryptionConfiguration"

__all__ = ["DerivationProblem", "DerivedRequest", "ExecutionPlan", "derive_plan", "execution_plan", "with_endpoint"]

_PLAN_KEY: Final = "_vpce_scan_execution_plan"


def execution_plan(workload: Workload) -> ExecutionPlan:
    """The plan of `workload`, derived once and kept on the workload (VPCE007 and each VPCE008 need)."""
    cached = workload.__dict__.get(_PLAN_KEY)
    if cached is None:
        cached = derive_plan(workload)
        workload.__dict__[_PLAN_KEY] = cached
    assert isinstance(cached, ExecutionPlan)
    return cached


def derive_plan(workload: Workload) -> ExecutionPlan:
    return _Deriver(workload, account_policies(workload.account_inventory)).plan()


class _Deriver(SecretRequests):
    """The whole plan: the role, then ECR and awslogs here, secrets and parameters in SecretRequests."""

    def plan(self) -> ExecutionPlan:
        workload, view = self.workload, self.view
        definition = workload.task_definition
        reference = workload.execution_role
        role = view.find_role(reference) if reference else None
        plan = ExecutionPlan(
            workload=workload,
            reference=reference,
            role=role,
            principal_arn=role.arn if role is not None else self._referenced_arn(reference),
            needs_role=False,
        )
        if definition is None:
            return plan  # the workload is unresolved: the engine reports ERROR before any kind runs
        references = list(task_references(definition, self.region, self.account, self.partition))
        images = [(c.name, parse_image(c.image, self.region)) for c in definition.container_definitions]
        ecr_images = [(name, image) for name, image in images if image.repository_arn is not None]
        logs = [
            c
            for c in definition.container_definitions
            if c.log_configuration and c.log_configuration.log_driver == "awslogs"
        ]
        environment_files = [
            (c.name, f.value) for c in definition.container_definitions for f in c.environment_files if f.type == "s3"
        ]
        plan.needs_role = bool(ecr_images or logs or references or environment_files)
        self._identity(plan)
        principal = plan.principal_arn or ""
        self._share_contexts(plan)
        token_regions: dict[str, None] = {}
        repositories: set[str] = set()
        for container, image in ecr_images:
            assert image.repository_arn is not None and image.region is not None and image.account is not None
            if image.repository_arn in repositories:
                continue  # another container of the same repository: the same calls
            repositories.add(image.repository_arn)
            plan.requests += self._image_requests(
                plan, principal, container, image.image, image.repository_arn, image.region, image.account
            )
            if image.account == self.account:
                plan.requests += self._pull_through_requests(
                    plan, principal, container, image.image, image.repository_arn, image.region
                )
            if image.region == self.region and image.region not in token_regions:
                plan.layer_downloads.append(self._layer_download(image.region, container, image.image))
            token_regions.setdefault(image.region)
        for region in token_regions:
            plan.requests.append(self._token_request(plan, principal, region))
        for logging in logs:
            assert logging.log_configuration is not None
            plan.requests += self._log_requests(plan, principal, logging.name, logging.log_configuration.options)
        for ref in references:
            plan.requests += self._reference_requests(plan, principal, ref)
        for container_name, object_arn in environment_files:
            plan.requests += self._environment_file_requests(plan, principal, container_name, object_arn)
        if plan.needs_role and reference is None:
            plan.problems.append(DerivationProblem("no_execution_role", {"role_name": plan.role_name}))
        self._apply_rcps(plan)
        return plan

    def _apply_rcps(self, plan: ExecutionPlan) -> None:
        """Add the account's RCP levels to each call on a resource of the account in a service that RCPs
        govern (a call on `*`, like the ECR token, is judged against the caller's account, which is the
        same). Resources of other accounts are under their own organization's RCPs, which are not read."""
        others = sorted(
            {
                fields[4]
                for derived in plan.requests
                if len(fields := derived.resource.split(":")) > 4
                and fields[4] not in ("", self.account)
                and derived.action.split(":")[0].lower() in RCP_SERVICES
            }
        )
        for owner in others:
            note = f"RCPs of account {owner} (resources of another account) not collected: not evaluated"
            if note not in plan.notes:
                plan.notes.append(note)
        levels, reason = self.view.rcp_levels()
        if reason is not None and reason.tolerable:
            note = f"RCPs not evaluated: {reason}"
            if plan.requests and note not in plan.notes:
                plan.notes.append(note)
            return
        governed = [index for index, derived in enumerate(plan.requests) if self._under_rcps(derived)]
        if reason is not None:
            # Only the calls RCPs govern needed them: a workload without one is decided as before.
            if governed:
                plan.unknown.append(Unknown(f"RCPs unknown: {reason}"))
            return
        if not levels:
            return
        with_rcps: dict[int, PolicySet] = {}
        for index in governed:
            derived = plan.requests[index]
            policies = derived.policies
            assert policies is not None
            extended = with_rcps.get(id(policies))
            if extended is None:
                extended = with_rcps[id(policies)] = replace(policies, rcp_levels=levels)
            plan.requests[index] = replace(derived, policies=extended)

    def _under_rcps(self, derived: DerivedRequest) -> bool:
        """A call on a resource of the scanned account in a service that RCPs govern."""
        fields = derived.resource.split(":")
        owner = fields[4] if len(fields) > 4 else self.account  # `*`: the caller's account
        owner = derived.resource_owner or owner  # S3 ARNs name no account: the collector's answer
        service = derived.action.split(":")[0].lower()
        return derived.policies is not None and owner == self.account and service in RCP_SERVICES

    # ---- the role ----------------------------------------------------------------------------------

    def _referenced_arn(self, reference: str | None) -> str | None:
        if reference is None:
            return None
        if reference.startswith("arn:"):
            return reference
        return f"arn:{self.partition}:iam::{self.account}:role/{reference.rsplit('/', 1)[-1]}"

    def _identity(self, plan: ExecutionPlan) -> None:
        reference = plan.reference
        if reference is None:
            return
        if plan.role is None:
            if self.view.is_missing_role(reference):
                plan.problems.append(DerivationProblem("missing_role", {"role_name": plan.role_name}))
                return
            name = plan.role_name
            failures = self.view.errors_for(reference, name, service="iam")
            detail = error_detail(failures)
            plan.unknown.append(Unknown(f"execution role {reference} is not in the inventory{detail}"))
            return
        self._trust(plan, plan.role)
        resolved = self.view.role_policies(plan.role)
        if isinstance(resolved, Unknown):
            plan.unknown.append(resolved)
            return
        plan.role_policies = resolved
        _, scp_reason = self.view.scp_levels()
        if scp_reason is not None and scp_reason.tolerable:
            plan.notes.append(f"SCPs not evaluated: {scp_reason}")
        elif scp_reason is not None:
            # SCPs bound every call of the role: none can be decided without them.
            plan.unknown.append(Unknown(f"SCPs unknown: {scp_reason}"))

    def _trust(self, plan: ExecutionPlan, role: Role) -> None:
        """Whether ECS may assume the role at all (its trust policy), for a workload that needs it."""
        if not plan.needs_role:
            return
        document = role.assume_role_policy_document
        if document is None:
            plan.notes.append(f"the trust policy of role {role.role_name} is not in the inventory: not evaluated")
            return
        parsed = self.view.parsed(f"{role.arn} trust policy", document)
        if isinstance(parsed, Unknown):
            plan.trust = parsed
            return
        # Every workload of a cluster that shares the role gets the same answer: evaluate it once.
        key = (role.arn, self.region, self.workload.cluster_arn)
        answer = self.view.trust_answers.get(key)
        if answer is None:
            answer = evaluate_trust(parsed, role.arn, self.account, self.region, self.workload.cluster_arn)
            self.view.trust_answers[key] = answer
        plan.trust = answer

    # ---- ECR ---------------------------------------------------------------------------------------

    def _image_requests(
        self, plan: ExecutionPlan, principal: str, container: str, image: str, repository: str, region: str, owner: str
    ) -> list[DerivedRequest]:
        unknown: Unknown | None = None
        resource_policy: ResourcePolicy | None = None
        document: object | None = None
        collected = self.view.account.repository_policy_by_arn.get(repository)
        if collected is None:
            failures = self.view.errors_for(repository)
            if owner != self.account or failures:
                detail = error_detail(failures)
                unknown = Unknown(f"the repository policy of {repository} (account {owner}) was not collected{detail}")
            else:
                # An inventory written before own-account repository policies were read: no record, no error.
                note = f"repository policy of {repository} not in the inventory: its Deny statements not evaluated"
                if note not in plan.notes:
                    plan.notes.append(note)
        else:
            document = collected.policy
            parsed = self.view.parsed(repository, collected.policy) if collected.policy is not None else None
            if isinstance(parsed, Unknown):
                unknown = parsed
            elif parsed is not None or owner != self.account:
                # In the account, a repository policy can grant on its own and its Deny always denies;
                # across accounts, no policy at all means nothing on the resource side allows.
                resource_policy = ResourcePolicy(owner, parsed)
        endpoint = self._endpoint("ecr.dkr", region)
        return [
            DerivedRequest(
                request=self._request(action, repository, principal, region, endpoint),
                policies=None if unknown else self._policies(plan, resource_policy),
                purpose=f"container {container} pulls {image}",
                kind="repository",
                grant_resource=repository,
                endpoint_service=self._service("ecr.dkr", region),
                unknown=unknown,
                resource_owner=owner,
                resource_policy_document=document,
            )
            for action in LAYER_ACTIONS
        ]

    def _pull_through_requests(
        self, plan: ExecutionPlan, principal: str, container: str, image: str, repository: str, region: str
    ) -> list[DerivedRequest]:
        """A repository under a pull-through cache rule is filled from upstream on a pull: the role also
        needs `ecr:BatchImportUpstreamImage`, and `ecr:CreateRepository` while the repository does not
        exist (ECR user guide, "IAM permissions required to sync an upstream registry"). ECR makes the
        import and creation itself, for the pull: no VPC endpoint of the task is on their path."""
        account = self.view.account
        name = repository.split(":", 5)[5].removeprefix("repository/")
        purpose = f"container {container} pulls {image} through a pull-through cache rule"
        if region not in account.pull_through_cache_regions:
            failures = [
                e
                for e in account.errors
                if e.service == "ecr" and e.operation == "DescribePullThroughCacheRules" and e.region == region
            ]
            if not failures:
                note = f"pull-through cache rules of {region} not in the inventory: not evaluated"
                if note not in plan.notes:
                    plan.notes.append(note)
                return []
            unknown = Unknown(
                f"the pull-through cache rules of {region} were not read{error_detail(failures)}, so whether "
                f"{repository} is filled from an upstream registry is unknown"
            )
            return [
                self._undecidable(
                    PULL_THROUGH_ACTION,
                    repository,
                    principal,
                    region,
                    purpose=purpose,
                    kind="repository",
                    unknown=unknown,
                )
            ]
        if not any(rule.region == region and rule.covers(name) for rule in account.pull_through_cache_rules):
            return []
        collected = account.repository_policy_by_arn.get(repository)
        actions = [PULL_THROUGH_ACTION]
        if collected is None or not collected.exists:
            actions.append(CREATE_REPOSITORY_ACTION)  # not there yet (or not known to be): the first pull creates it
        return [
            DerivedRequest(
                request=self._request(action, repository, principal, region, None),
                policies=self._policies(plan),
                purpose=purpose,
                kind="repository",
                grant_resource=repository,
                endpoint_service=None,
            )
            for action in actions
        ]

    def _token_request(self, plan: ExecutionPlan, principal: str, region: str) -> DerivedRequest:
        # On Fargate the token call cannot be scoped with aws:SourceVpc/aws:SourceVpce (ECS docs): for the
        # role's policies both are absent; the ecr.api endpoint policy still gates it (`through`).
        endpoint = self._endpoint("ecr.api", region)
        return DerivedRequest(
            request=self._request(TOKEN_ACTION, "*", principal, region, endpoint, network_absent=True),
            policies=self._policies(plan),
            purpose="pulling private ECR images",
            kind="token",
            grant_resource="*",
            endpoint_service=self._service("ecr.api", region),
        )

    def _layer_download(self, region: str, container: str, image: str) -> DerivedRequest:
        """The S3 GET of image layers through ECR's presigned URL: an AWS-owned principal, gated only by
        the S3 endpoint policy (which must allow `Principal: "*"` on the layer bucket)."""
        endpoint = self._endpoint("s3", region)
        bucket = f"arn:{self.partition}:s3:::prod-{region}-starport-layer-bucket/*"
        resource = bucket.removesuffix("*") + "layer"
        # The context does not depend on the role: one per region and endpoint, shared by the account's workloads.
        key = ("layer download", region, endpoint.vpc_endpoint_id if endpoint is not None else None)
        context = self.view.shared_contexts.get(key)
        if context is None:
            values: dict[str, ContextValue] = {
                "aws:RequestedRegion": region,
                "aws:PrincipalOrgID": AWS_OWNED,
                "aws:ResourceAccount": AWS_OWNED,
                "aws:ResourceOrgID": AWS_OWNED,
                "aws:SecureTransport": True,
            }
            absent: list[str] = ["aws:SourceIp"]
            if endpoint is not None:
                values["aws:SourceVpce"] = endpoint.vpc_endpoint_id
                values["aws:SourceVpc"] = endpoint.vpc_id
            context = self.view.shared_contexts[key] = RequestContext(values, absent)
        principal = f"arn:{self.partition}:iam::{AWS_OWNED}:root"
        request = Request(LAYER_DOWNLOAD_ACTION, resource, principal, AWS_OWNED, context)
        return DerivedRequest(
            request=request,
            policies=None,
            purpose=f"container {container} downloads the layers of {image} through ECR's presigned URLs",
            kind="layer_bucket",
            grant_resource=bucket,
            endpoint_service=self._service("s3", region),
        )

    # ---- environment files in S3 ------------------------------------------------------------------

    def _environment_file_requests(
        self, plan: ExecutionPlan, principal: str, container: str, object_arn: str
    ) -> list[DerivedRequest]:
        """`s3:GetObject` on the object and `s3:GetBucketLocation` on its bucket, through the task VPC's S3
        endpoint (ECS documents both for `environmentFiles`), under the bucket policy of an own bucket. A
        bucket of another account, or one whose ownership or policy could not be read, is undetermined."""
        bucket = object_arn.split(":", 5)[-1].split("/", 1)[0]
        bucket_arn = f"arn:{self.partition}:s3:::{bucket}"
        endpoint = self._endpoint("s3", self.region)
        service = self._service("s3", self.region)
        purpose = f"container {container} reads environment file {object_arn}"
        collected = self.view.account.bucket_policy_by_arn.get(bucket_arn)
        unknown: Unknown | None = None
        resource_policy: ResourcePolicy | None = None
        owner: str | None = None
        if collected is None:
            failures = self.view.errors_for(bucket_arn)
            if failures:
                unknown = Unknown(f"the owner or bucket policy of {bucket_arn} was not read{error_detail(failures)}")
            else:
                # An inventory written before bucket policies were read: no record, no error.
                note = f"bucket policy of {bucket_arn} not in the inventory: its statements not evaluated"
                if note not in plan.notes:
                    plan.notes.append(note)
        elif not collected.owned:
            unknown = Unknown(
                f"bucket {bucket_arn} is not the scanned account's (ListBuckets): its owner's bucket policy "
                "cannot be read, so whether it allows the role is unknown"
            )
        else:
            owner = self.account
            if collected.policy is not None:
                parsed = self.view.parsed(bucket_arn, collected.policy)
                if isinstance(parsed, Unknown):
                    unknown = parsed
                else:
                    resource_policy = ResourcePolicy(self.account, parsed)
        calls: tuple[tuple[str, str, ResourceKind], ...] = (
            (ENVIRONMENT_FILE_ACTION, object_arn, "environment_file"),
            (BUCKET_LOCATION_ACTION, bucket_arn, "environment_bucket"),
        )
        return [
            DerivedRequest(
                request=self._request(
                    action, resource, principal, self.region, endpoint, owner_unknown=owner is None, owner=owner
                ),
                policies=None if unknown else self._policies(plan, resource_policy),
                purpose=purpose,
                kind=kind,
                grant_resource=resource,
                endpoint_service=service,
                unknown=unknown,
                resource_owner=owner,
                resource_policy_document=collected.policy if collected is not None else None,
            )
            for action, resource, kind in calls
        ] + self._environment_file_key(plan, principal, object_arn, bucket_arn, purpose)

    def _environment_file_key(
        self, plan: ExecutionPlan, principal: str, object_arn: str, bucket_arn: str, purpose: str
    ) -> list[DerivedRequest]:
        """`kms:Decrypt`, made by S3 for the role, when the bucket's default encryption is SSE-KMS under a
        customer managed key. The object's own encryption may differ from the bucket default (written
        with other headers, or before the default changed); only the default is known here, and the
        purpose says so."""
        account = self.view.account
        region = account.bucket_region_by_arn.get(bucket_arn) or self.region
        encryption = account.bucket_encryption_by_arn.get(bucket_arn)
        if encryption is None:
            failures = [e for e in self.view.errors_for(bucket_arn) if e.action == ENCRYPTION_READ]
            if not failures:
                return []  # an inventory written before bucket encryption was read
            resource = f"arn:{self.partition}:kms:{region}:*:key/*"
            unknown = Unknown(
                f"the default encryption of {bucket_arn} was not read{error_detail(failures)}, so "
                "whether the file needs kms:Decrypt on a customer managed key is unknown"
            )
            purpose = f"{purpose}, if its bucket encrypts it under a customer managed KMS key"
            return [
                self._undecidable(
                    DECRYPT_ACTION, resource, principal, region, purpose=purpose, kind="key", unknown=unknown
                )
            ]
        key_id = encryption.kms_key_id
        if not encryption.uses_kms or not key_id or is_aws_managed_alias(key_id):
            return []
        if not key_id.startswith("arn:"):
            # A key id or alias means something only in the bucket's region, which must be known.
            try:
                account.bucket_region(bucket_arn)
            except MissingData as why:
                resource = f"arn:{self.partition}:kms:*:{self.account}:{key_id}"
                unknown = Unknown(f"{why}, so KMS key {key_id} could not be described there")
                purpose = f"{purpose}, encrypted by its bucket's default under KMS key {key_id}"
                return [
                    self._undecidable(
                        DECRYPT_ACTION, resource, principal, region, purpose=purpose, kind="key", unknown=unknown
                    )
                ]
        # S3 asks KMS with the object ARN as encryption context, or the bucket ARN under an S3 Bucket Key.
        context = bucket_arn if encryption.bucket_key_enabled else object_arn
        decrypt = self._decrypt(
            plan,
            principal,
            key_id,
            encryption.kms_key_arn,
            f"s3.{region}.amazonaws.com",
            {"kms:EncryptionContext:aws:s3:arn": context},
            f"{purpose} (by the default encryption of bucket {bucket_arn}; the object itself may have been "
            "written under another key)",
            owner=bucket_arn,
            region=region,
        )
        return [decrypt] if decrypt is not None else []

    # ---- CloudWatch Logs -------------------------------------------------------------------------

    def _log_requests(
        self, plan: ExecutionPlan, principal: str, container: str, options: dict[str, str]
    ) -> list[DerivedRequest]:
        group = options.get("awslogs-group")
        region = options.get("awslogs-region") or self.region
        if not group:
            return []
        prefix = options.get("awslogs-stream-prefix")
        group_arn = f"arn:{self.partition}:logs:{region}:{self.account}:log-group:{group}"

        def stream(task_id: str) -> str:
            name = f"{prefix}/{container}/{task_id}" if prefix else task_id
            return f"{group_arn}:log-stream:{name}"

        endpoint = self._endpoint("logs", region)
        service = self._service("logs", region)
        purpose = f"container {container} logs to {group} with awslogs"
        found = [
            DerivedRequest(
                request=self._request(action, stream(TASK_IDS[0]), principal, region, endpoint),
                policies=self._policies(plan),
                purpose=purpose,
                kind="log_stream",
                grant_resource=f"{group_arn}:*",
                endpoint_service=service,
                alternates=(stream(TASK_IDS[1]),),
                alternates_reason="the task id in the log stream name, unknown before the task runs",
            )
            for action in LOG_ACTIONS
        ]
        if options.get("awslogs-create-group", "").lower() == "true":
            found.append(
                DerivedRequest(
                    request=self._request(CREATE_GROUP_ACTION, group_arn, principal, region, endpoint),
                    policies=self._policies(plan),
                    purpose=f"{purpose} (awslogs-create-group)",
                    kind="log_group",
                    grant_resource=group_arn,
                    endpoint_service=service,
                )
            )
        return found
