"""Request derivation for secrets and parameters: `secretsmanager:GetSecretValue` on the full secret ARN
resolved from `valueFrom`, `ssm:GetParameters` on the parameter ARN, and `kms:Decrypt` on a customer
managed key behind either (made by Secrets Manager or SSM for the role, under the key policy)."""

from __future__ import annotations

from typing import Literal

from scanner.iam.account_policies import Unknown, condition_keys, describe_errors, error_detail
from scanner.iam.derivation import DeriverBase, is_aws_managed_alias
from scanner.iam.plan import (
    DECRYPT_ACTION,
    PARAMETER_ACTION,
    PLACEHOLDER_SUFFIX,
    SECRET_ACTION,
    DerivationProblem,
    DerivedRequest,
    ExecutionPlan,
)
from scanner.iam.policy_set import PolicySet, ResourcePolicy, ResourcePolicyKind
from scanner.inventory.iam import SecretMetadata
from scanner.inventory.network import VpcEndpoint
from scanner.inventory.references import SecretId, SecretReference


def _unresolved_secret_arn(secret_id: SecretId) -> str:
    """The ARN of a secret known only by name, its random suffix unknown: `...:secret:<name>-AbCdEf`."""
    return (
        f"arn:{secret_id.partition}:secretsmanager:{secret_id.region}:{secret_id.account}:"
        f"secret:{secret_id.value}-{PLACEHOLDER_SUFFIX}"
    )


class SecretRequests(DeriverBase):
    def _reference_requests(self, plan: ExecutionPlan, principal: str, ref: SecretReference) -> list[DerivedRequest]:
        found: list[DerivedRequest] = []
        purpose = f"container {ref.container} reads {ref.name}"
        if ref.kind == "ssm":
            assert ref.parameter_arn is not None
            found += self._parameter_requests(plan, principal, ref, purpose)
        if ref.secret is not None:
            # Through /aws/reference/secretsmanager/ SSM reads the secret on the role's behalf: the call
            # does not pass the task's Secrets Manager endpoint.
            found += self._secret_requests(plan, principal, ref.secret, purpose, direct=ref.kind == "secretsmanager")
        return found

    def _parameter_requests(
        self, plan: ExecutionPlan, principal: str, ref: SecretReference, purpose: str
    ) -> list[DerivedRequest]:
        arn = ref.parameter_arn
        assert arn is not None
        fields = arn.split(":")
        region, owner = fields[3], fields[4]
        endpoint = self._endpoint("ssm", region)
        unknown: Unknown | None = None
        key_request: DerivedRequest | None = None
        if ref.secret is None:
            if self.view.is_missing_parameter(arn):
                found_vars = {
                    "parameter": arn,
                    "parameter_name": ref.parameter_name or arn,
                    "parameter_region": region,
                    "container": ref.container,
                }
                plan.problems.append(DerivationProblem("parameter_missing", found_vars))
                return []
            parameter = self.view.find_parameter(arn)
            if parameter is None:
                failures = self.view.errors_for(arn)
                detail = error_detail(failures)
                where = "" if owner == self.account else f" of account {owner}"
                unknown = Unknown(f"parameter {arn}{where} was not described, so its KMS key is unknown{detail}")
            elif parameter.type == "SecureString" and parameter.key_id and not is_aws_managed_alias(parameter.key_id):
                key_request = self._decrypt(
                    plan,
                    principal,
                    parameter.key_id,
                    parameter.kms_key_arn,
                    f"ssm.{region}.amazonaws.com",
                    {"kms:EncryptionContext:PARAMETER_ARN": arn},
                    purpose,
                    owner=arn,
                )
        request = DerivedRequest(
            request=self._request(PARAMETER_ACTION, arn, principal, region, endpoint),
            policies=self._policies(plan),
            purpose=purpose,
            kind="parameter",
            grant_resource=arn,
            endpoint_service=self._service("ssm", region),
            unknown=unknown,
            resource_owner=owner,
        )
        return [request, *([key_request] if key_request else [])]

    def _secret_requests(
        self, plan: ExecutionPlan, principal: str, secret_id: SecretId, purpose: str, *, direct: bool
    ) -> list[DerivedRequest]:
        if self.view.is_missing_secret(secret_id):
            plan.problems.append(DerivationProblem("secret_missing", {"secret": secret_id.value, "purpose": purpose}))
            return []
        secret = self.view.find_secret(secret_id)
        endpoint = self._endpoint("secretsmanager", secret_id.region) if direct else None
        service = self._service("secretsmanager", secret_id.region) if direct else None
        if secret is None:
            failures = self.view.errors_for(secret_id.value, service="secretsmanager")
            detail = error_detail(failures)
            unknown = Unknown(
                f"secret {secret_id.value} was not described, so its full ARN, key and resource policy "
                f"are unknown{detail}"
            )
            # A secret named without its ARN (repositoryCredentials, /aws/reference/secretsmanager/<name>)
            # is asked for by an ARN the scan never learnt: stand in the name with a placeholder suffix.
            resource = secret_id.value if secret_id.is_arn else _unresolved_secret_arn(secret_id)
            return [
                DerivedRequest(
                    request=self._request(SECRET_ACTION, resource, principal, secret_id.region, endpoint),
                    policies=None,
                    purpose=purpose,
                    kind="secret",
                    grant_resource=resource,
                    endpoint_service=service,
                    unknown=unknown,
                    resource_resolved=False,
                    # The reference may be the full ARN or lack the random suffix: both must agree.
                    alternates=(f"{secret_id.value}-{PLACEHOLDER_SUFFIX}",) if secret_id.is_arn else (),
                    alternates_reason="the secret's full ARN, which was not collected",
                    resource_owner=secret_id.account,
                )
            ]
        return self._described_secret_requests(plan, principal, secret, secret_id, purpose, endpoint, service)

    def _described_secret_requests(
        self,
        plan: ExecutionPlan,
        principal: str,
        secret: SecretMetadata,
        secret_id: SecretId,
        purpose: str,
        endpoint: VpcEndpoint | None,
        service: str | None,
    ) -> list[DerivedRequest]:
        fields = secret.arn.split(":")
        region, owner = fields[3], fields[4]
        cross_account = owner != self._principal_account(principal) if principal else owner != self.account
        unknown: Unknown | None = None
        resource_policy: ResourcePolicy | None = None
        failures = self.view.errors_for(secret.arn, service="secretsmanager")
        if failures:
            unknown = Unknown(
                f"the resource policy of secret {secret.arn} could not be read ({describe_errors(failures)})"
            )
        elif secret.resource_policy is not None:
            parsed = self.view.parsed(secret.arn, secret.resource_policy)
            if isinstance(parsed, Unknown):
                unknown = parsed
            else:
                resource_policy = ResourcePolicy(owner, parsed)
        elif cross_account:
            resource_policy = ResourcePolicy(owner, None)
        tags = {f"aws:ResourceTag/{t.key}".lower(): t.value for t in secret.tags}
        mentioned = plan.role_policies.condition_keys if plan.role_policies else frozenset()
        if resource_policy is not None and resource_policy.policy is not None:
            mentioned = mentioned | condition_keys([resource_policy.policy])
        extra: dict[str, str] = {**tags, "secretsmanager:SecretId": secret.arn}
        extra_absent = [k for k in mentioned if k.startswith("aws:resourcetag/") and k not in tags]
        found = [
            DerivedRequest(
                request=self._request(
                    SECRET_ACTION, secret.arn, principal, region, endpoint, extra=extra, extra_absent=extra_absent
                ),
                policies=None if unknown else self._policies(plan, resource_policy),
                purpose=purpose,
                kind="secret",
                grant_resource=secret.arn,
                endpoint_service=service,
                unknown=unknown,
                resource_owner=owner,
                resource_policy_document=secret.resource_policy,
            )
        ]
        key_id = secret.kms_key_id
        if not key_id or is_aws_managed_alias(key_id):
            if cross_account:
                problem = {"secret": secret.arn, "secret_region": region, "purpose": purpose}
                plan.problems.append(DerivationProblem("default_key_cross_account", problem))
            return found
        decrypt = self._decrypt(
            plan,
            principal,
            key_id,
            secret.kms_key_arn,
            f"secretsmanager.{region}.amazonaws.com",
            {"kms:EncryptionContext:SecretARN": secret.arn},
            purpose,
            owner=secret.arn,
        )
        return found + ([decrypt] if decrypt is not None else [])

    def _decrypt(
        self,
        plan: ExecutionPlan,
        principal: str,
        key_id: str,
        key_arn: str | None,
        via: str,
        encryption_context: dict[str, str],
        purpose: str,
        *,
        owner: str,
        region: str | None = None,
    ) -> DerivedRequest | None:
        """kms:Decrypt made by Secrets Manager, SSM or S3 on the role's behalf: no VPC endpoint on its path.
        None for an AWS managed key (no permission needed). `region`: where a key id or alias means
        something, when `owner`'s ARN names no region (a bucket)."""
        key = self.view.find_key(key_arn)
        region = region or owner.split(":")[3]
        extra: dict[str, str] = {
            "kms:ViaService": via,
            "kms:CallerAccount": self._principal_account(principal) if principal else self.account,
            **encryption_context,
        }
        if key is None:
            failures = self.view.errors_for(key_id, key_arn or key_id, service="kms")
            detail = error_detail(failures)
            resource = key_arn or key_id
            if not resource.startswith("arn:"):
                resource = f"arn:{self.partition}:kms:{region}:{self.account}:{resource}"
            return self._undecidable(
                DECRYPT_ACTION,
                resource,
                principal,
                region,
                purpose=f"{purpose}, encrypted with KMS key {key_id}",
                kind="key",
                unknown=Unknown(f"KMS key {key_id} of {owner} was not described{detail}"),
                extra=extra,
            )
        if not key.is_customer_managed:
            return None
        key_region, key_account = key.arn.split(":")[3], key.arn.split(":")[4]
        unusable = key_state_problem(key.key_state)
        if unusable is not None:
            found_vars = {"key": key.arn, "key_state": key.key_state, "key_region": key_region, "purpose": purpose}
            plan.problems.append(DerivationProblem(unusable, found_vars))
        unknown: Unknown | None = None
        policies: PolicySet | None = None
        if key.key_policy is None:
            failures = self.view.errors_for(key.arn, service="kms")
            detail = error_detail(failures[:1])
            unknown = Unknown(f"the key policy of {key.arn} was not collected{detail}")
        else:
            parsed = self.view.parsed(key.arn, key.key_policy)
            if isinstance(parsed, Unknown):
                unknown = parsed
            else:
                policies = self._policies(plan, ResourcePolicy(key_account, parsed, ResourcePolicyKind.KEY_POLICY))
        return DerivedRequest(
            request=self._request(DECRYPT_ACTION, key.arn, principal, key_region, None, extra=extra),
            policies=policies,
            purpose=f"{purpose}, encrypted with a customer managed key",
            kind="key",
            grant_resource=key.arn,
            endpoint_service=None,
            unknown=unknown,
            resource_owner=key_account,
            resource_policy_document=key.key_policy,
        )


def key_state_problem(state: str) -> Literal["key_disabled", "key_pending_deletion", "key_unusable"] | None:
    """Only an Enabled key decrypts (KMS developer guide, "Key states of AWS KMS keys"). An empty state is
    an inventory that did not record it: not judged."""
    match state:
        case "" | "Enabled":
            return None
        case "Disabled":
            return "key_disabled"
        case "PendingDeletion" | "PendingReplicaDeletion":
            return "key_pending_deletion"
        case _:
            return "key_unusable"  # PendingImport, Unavailable (custom key store), Creating, Updating
