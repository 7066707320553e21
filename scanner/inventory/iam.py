"""IAM and the policies around it: the execution roles that task definitions reference, the managed
policies attached to them, the secrets, parameters and KMS keys the tasks read, the ECR repository
policies and pull-through cache rules of their images, the buckets of their environment files, the
organization's SCPs and RCPs, and (optionally) live policy-simulation answers.

Policy documents are kept as the APIs return them: IAM gives dicts, Secrets Manager, KMS, ECR and
Organizations JSON strings; `scanner.iam.parse_policy_document` reads both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scanner.inventory.base import AwsModel, SourceLocation, Tag

PolicyText = dict[str, Any] | str


class AttachedPolicy(AwsModel):
    policy_arn: str
    policy_name: str = ""


class InlinePolicy(AwsModel):
    policy_name: str
    policy_document: dict[str, Any] | str


class PermissionsBoundary(AwsModel):
    permissions_boundary_arn: str
    permissions_boundary_type: str = "Policy"


class Role(AwsModel):
    role_name: str
    arn: str
    role_id: str = ""
    path: str = "/"
    assume_role_policy_document: dict[str, Any] | str | None = None
    permissions_boundary: PermissionsBoundary | None = None
    tags: list[Tag] = Field(default_factory=list)
    inline_policies: list[InlinePolicy] = Field(default_factory=list)
    attached_policies: list[AttachedPolicy] = Field(default_factory=list)
    source: SourceLocation | None = None


class ManagedPolicy(AwsModel):
    """A managed policy (customer or AWS managed) with the document of its default version.

    `document` is None when GetPolicyVersion failed (the failure is a collection error)."""

    arn: str
    policy_name: str = ""
    default_version_id: str = ""
    document: PolicyText | None = None


class SecretMetadata(AwsModel):
    """DescribeSecret (never the value) plus GetResourcePolicy of one referenced secret.

    `kms_key_id` is as Secrets Manager reports it (absent for the AWS managed `aws/secretsmanager`
    key; an alias, key id or ARN otherwise); `kms_key_arn` is that key resolved with DescribeKey.
    `resource_policy` None means the secret has none."""

    arn: str = Field(alias="ARN")
    name: str
    kms_key_id: str | None = None
    kms_key_arn: str | None = None
    tags: list[Tag] = Field(default_factory=list)
    resource_policy: PolicyText | None = None


class KmsKey(AwsModel):
    """DescribeKey plus the `default` key policy (None when GetKeyPolicy failed: a collection error)."""

    arn: str
    key_id: str
    key_manager: str = "CUSTOMER"
    key_state: str = ""
    key_policy: PolicyText | None = None

    @property
    def is_customer_managed(self) -> bool:
        return self.key_manager == "CUSTOMER"


class SsmParameter(AwsModel):
    """DescribeParameters metadata of one referenced parameter (never its value)."""

    arn: str = Field(alias="ARN")
    name: str
    type: str = "String"
    key_id: str | None = None
    kms_key_arn: str | None = None


class RepositoryPolicy(AwsModel):
    """GetRepositoryPolicy of a private ECR repository an image comes from; `policy` None: it has none.
    `exists` False: ECR answered RepositoryNotFoundException (no policy either)."""

    repository_arn: str
    policy: PolicyText | None = None
    exists: bool = True


class BucketPolicy(AwsModel):
    """An S3 bucket that environment files are read from: whether the scanned account owns it (ListBuckets)
    and, if it does, its bucket policy (`policy` None: it has none)."""

    bucket_arn: str
    owned: bool
    policy: PolicyText | None = None


class BucketLocation(AwsModel):
    """The region of a bucket that environment files are read from (GetBucketLocation): a gateway
    endpoint serves only the buckets of its own region."""

    bucket_arn: str
    region: str


class BucketEncryption(AwsModel):
    """The default encryption of a bucket that environment files are read from (GetBucketEncryption).
    `sse_algorithm` None: no default encryption configured. The objects themselves may have been written
    with another key than the default: this is the bucket's default, not a read of the object."""

    bucket_arn: str
    sse_algorithm: str | None = None
    kms_key_id: str | None = None
    # With an S3 Bucket Key the encryption context is the bucket ARN, else the object ARN.
    bucket_key_enabled: bool = False
    # `kms_key_id` resolved by DescribeKey (None: an AWS managed key, or not described).
    kms_key_arn: str | None = None

    @property
    def uses_kms(self) -> bool:
        return (self.sse_algorithm or "").startswith("aws:kms")


class _Snake(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PullThroughCacheRule(_Snake):
    """One ECR pull-through cache rule (DescribePullThroughCacheRules) of the account, in `region`.

    An image of the account's registry whose repository name starts with `ecr_repository_prefix/` (or any
    repository, for the prefix `ROOT`) is pulled through the cache: the execution role then also needs
    `ecr:BatchImportUpstreamImage`, and `ecr:CreateRepository` while the repository does not exist yet."""

    region: str
    ecr_repository_prefix: str
    upstream_registry_url: str = ""

    def covers(self, repository_name: str) -> bool:
        prefix = self.ecr_repository_prefix
        return prefix == "ROOT" or repository_name.startswith(f"{prefix}/")


class OrganizationPolicy(_Snake):
    """One SCP as DescribePolicy returns it: summary fields and its content (a JSON string)."""

    id: str
    arn: str = ""
    name: str = ""
    content: PolicyText


class ScpLevel(_Snake):
    """The SCPs attached to one level of the path from the organization root to the account."""

    target_id: str
    target_type: Literal["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
    policies: list[OrganizationPolicy] = Field(default_factory=list)


ScpStatus = Literal["collected", "not_in_organization", "management_account", "unreadable"]
RcpStatus = Literal["collected", "not_applicable", "not_enabled", "unreadable"]


class ServiceControlPolicies(_Snake):
    """What the scanning principal could learn of the SCPs that govern the account's roles.

    * `collected`: `levels` holds every level from the root (index 0) down to the account;
    * `not_in_organization` / `management_account`: no SCP applies;
    * `unreadable`: the organization exists but its SCPs could not be read (an error record says why,
      `error_code` keeps its code): a permission refused leaves them not evaluated, and results say so;
      any other failure (throttling, a server error, a timeout, an odd answer) leaves them unknown.

    The resource control policies of the account's resources, read along the same path, by `rcp_status`:
    * `collected`: `rcp_levels` from the root down to the account;
    * `not_applicable` (no organization, the management account) / `not_enabled`: no RCP applies;
    * `unreadable`: they could not be read (`rcp_reason`, `rcp_error_code`), as for the SCPs;
    * None: not collected (an inventory written before RCPs were read).

    `error_code`/`rcp_error_code` are None in inventories written before they were kept: the code is then
    the second field of the reason, which has always been `organizations:Operation: Code: message`.
    """

    status: ScpStatus
    organization_id: str | None = None
    management_account_id: str | None = None
    levels: list[ScpLevel] = Field(default_factory=list)
    reason: str = ""
    error_code: str | None = None
    rcp_status: RcpStatus | None = None
    rcp_levels: list[ScpLevel] = Field(default_factory=list)
    rcp_reason: str = ""
    rcp_error_code: str | None = None


SimulatedDecision = Literal["allowed", "explicitDeny", "implicitDeny"]


class SimulationResult(_Snake):
    """One (action, resource) answer of live `iam:SimulatePrincipalPolicy` for an execution role.

    `context` is exactly the context entries sent (key -> values); `missing_context` lists the keys the
    simulator reported it needed and was not given."""

    role_arn: str
    action: str
    resource: str
    decision: SimulatedDecision
    context: dict[str, list[str]] = Field(default_factory=dict)
    missing_context: list[str] = Field(default_factory=list)
    matched_statements: list[str] = Field(default_factory=list)
