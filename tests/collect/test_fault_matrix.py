"""The fault-injection matrix (issue 7, "Checks"): every read operation of the collector denied in turn,
and timing out; every paginated one failing on its second page (HTTP 500) and every other one throttled;
each against one moto account with FAILs of every rule (`tests.collect.fault_account`), and each faulted
scan compared with the clean scan of the same account.

A result is identified by (rule, account, region, workload, subject). When the rule has a qualifier
(workload/need, workload/container), the subject is that qualifier and the workload its ARN: the resource
a need result is reported on depends on which endpoint could be bound (the endpoint, or the VPC when none
could be), so the resource id is no identity for it, and the workload's ARN tells apart two workloads of
one name in two clusters. Otherwise the subject is the resource id and the workload is left out. Keeping
need results under this identity is stricter than letting a failed DescribeVpcEndpoints excuse them
(adding VPCE001/005/008/009 to `ENUMERATES`): the need itself comes from the task definition, which was
read, so its result must stay, as ERROR where its endpoint is unknown. For each fault, the invariants:

- fails_kept: a clean FAIL whose subject does not read the faulted operation's data is still a FAIL with
  the same message (not an ERROR, not reworded); a FAIL proven on other, complete data (`PROVEN_WITHOUT`:
  an endpoint's own PrivateDnsEnabled=false, a workload in one AZ, a missing Interface endpoint) is still
  a FAIL, whatever else its message says.
- nothing_vanishes: every result of the clean scan is still there, in some status. The one exception is
  a subject that truly cannot be known: the faulted operation is one the rule's subjects are enumerated
  from (`ENUMERATES`), the faulted inventory really lacks what the subject is derived from (its workload,
  its task definition for needs and images, its endpoint or the workload's subnets for an endpoint in
  use), and an ERROR result of that rule in that region names the operation in its place. Page 1 of a
  listing that failed on page 2 is known: its subjects must stay.
- no_false_verdict: no result turns PASS (from FAIL, ERROR or SKIPPED); no PASS turns FAIL or SKIPPED; a
  result turns ERROR only where the subject reads the faulted data (`READS`) and, for a FAIL, is not
  proven without it (`PROVEN_WITHOUT`).
- errors_name_operation: every ERROR that the clean scan does not have names the operation
  ("ec2:DescribeSecurityGroups") in its message or evidence.
- errors_say_what_to_do: those ERRORs say what to do about this cause: grant the permission after an
  access denial; retry after throttling, a timeout or a server error (HTTP 500 on page 2), which no
  permission would fix.
- second_page_requested (second-page faults only): the collector asked for page 2 (it follows the
  continuation token) rather than taking page 1 for the whole listing.

`READS` and `ENUMERATES` are this test's own account of what each rule reads, written from the rule
files and DESIGN.md, deliberately independent of the engine's `requires` declarations.

Faults are injected with botocore events on the session given to `collect()` (`AwsLayer`), and every
faulted collection is replayed from the clean one's recorded answers, so the matrix costs about one
moto collection. Run with `-s` to print the figures (operations tried, FAILs kept, results kept, ERRORs
that name the cause).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

import boto3
import pytest

import scanner.collect
from scanner.cli import main
from scanner.collect import collect, required_actions
from scanner.config import ScanConfig
from scanner.engine.loader import load_rules
from scanner.inventory import Inventory
from scanner.inventory.workloads import Workload, derive_workloads
from scanner.results import Result, Status
from scanner.scan import evaluate_inventory
from tests.awsfixtures import pin_ecs_tasks, unpin_ecs_tasks
from tests.collect.fault_account import (
    REGION,
    AwsLayer,
    Fault,
    FaultAccount,
    ReusedClients,
    build_fault_account,
    paginator_config,
)
from tests.collect.helpers import fake_aws_env

# Operations the matrix does not fault, and why.
EXCLUDED = {
    "sts:GetCallerIdentity": "without the account id there is no scan: collect() raises CollectionError "
    "(test_collect_session.test_rejected_credentials_stop_the_scan)",
    "ec2:DescribeRegions": "called only with --all-regions, where a failure stops the scan with a hint "
    "(test_collect_session.test_unlistable_regions_stop_the_scan)",
    "iam:SimulatePrincipalPolicy": "called only with --verify-live, and moto does not implement IAM simulation "
    "(docs/notes/moto-fidelity.md §2.5)",
}
RULES = frozenset(f"VPCE{n:03d}" for n in range(1, 12))
_ENDPOINT_IN_USE = frozenset({"VPCE002", "VPCE003", "VPCE004"})
_FROM_TASK_DEFINITION = RULES - {"VPCE006"}

# Which rules read each operation's data, and for which subjects: "all"; "tasks", the subjects of
# standalone task families (their security groups and subnets come only from the task ENIs);
# "environment_files", the workloads reading an environment file from S3; "own_registry", the workloads
# pulling an image from the account's own ECR registry.
READS: dict[str, tuple[frozenset[str], str]] = {
    "ec2:DescribeVpcs": (frozenset({"VPCE002", "VPCE010"}), "all"),
    "ec2:DescribeSubnets": (RULES - {"VPCE007", "VPCE011"}, "all"),
    "ec2:DescribeRouteTables": (frozenset({"VPCE001", "VPCE003", "VPCE006", "VPCE010"}), "all"),
    "ec2:DescribeNatGateways": (frozenset({"VPCE006"}), "all"),
    "ec2:DescribeInternetGateways": (frozenset({"VPCE006"}), "all"),
    "ec2:DescribeEgressOnlyInternetGateways": (frozenset({"VPCE006"}), "all"),
    "ec2:DescribeVpcEndpoints": (RULES - {"VPCE006", "VPCE007", "VPCE011"}, "all"),
    "ec2:DescribeSecurityGroups": (frozenset({"VPCE004", "VPCE005"}), "all"),
    "ec2:DescribeNetworkAcls": (frozenset({"VPCE009"}), "all"),
    "ec2:DescribeManagedPrefixLists": (frozenset({"VPCE005", "VPCE009"}), "all"),
    "ec2:GetManagedPrefixListEntries": (frozenset({"VPCE005", "VPCE009"}), "all"),
    "ec2:DescribeNetworkInterfaces": (frozenset({"VPCE004", "VPCE005"}), "tasks"),
    "ec2:DescribeVpcAttribute": (frozenset({"VPCE002"}), "all"),
    "ecs:ListClusters": (RULES, "all"),
    # Every workload of the account names its launch type: the cluster's default capacity provider
    # strategy decides nothing, and the clusters are still listed.
    "ecs:DescribeClusters": (frozenset(), "all"),
    "ecs:ListServices": (RULES, "all"),
    "ecs:DescribeServices": (RULES, "all"),
    "ecs:ListTasks": (RULES, "tasks"),
    "ecs:DescribeTasks": (RULES, "tasks"),
    "ecs:DescribeTaskDefinition": (_FROM_TASK_DEFINITION, "all"),
    "iam:GetRole": (frozenset({"VPCE007"}), "all"),
    "iam:ListRolePolicies": (frozenset({"VPCE007"}), "all"),
    "iam:GetRolePolicy": (frozenset({"VPCE007"}), "all"),
    "iam:ListAttachedRolePolicies": (frozenset({"VPCE007"}), "all"),
    "iam:GetPolicy": (frozenset({"VPCE007"}), "all"),
    "iam:GetPolicyVersion": (frozenset({"VPCE007"}), "all"),
    "secretsmanager:DescribeSecret": (frozenset({"VPCE007", "VPCE008"}), "all"),
    "secretsmanager:GetResourcePolicy": (frozenset({"VPCE007"}), "all"),
    "ssm:DescribeParameters": (frozenset({"VPCE007"}), "all"),
    "kms:DescribeKey": (frozenset({"VPCE007"}), "all"),
    "kms:GetKeyPolicy": (frozenset({"VPCE007"}), "all"),
    # The policy of every private repository an image comes from: another account's must allow the pull,
    # the account's own may deny it (DESIGN.md, IAM evaluation; iam/requests.py `_image_requests`); and
    # whether an own repository exists yet (pull-through cache: ecr:CreateRepository on the first pull).
    "ecr:GetRepositoryPolicy": (frozenset({"VPCE007"}), "all"),
    # An own-registry image may be filled from upstream on the first pull, which needs
    # ecr:BatchImportUpstreamImage: every workload pulling from the account's registry reads the rules.
    "ecr:DescribePullThroughCacheRules": (frozenset({"VPCE007"}), "own_registry"),
    # Whether an environment file's bucket is the account's (then its bucket policy is read and applies),
    # and that policy: only the workloads reading environment files from S3 (s3:GetObject and
    # s3:GetBucketLocation, DESIGN.md "what a task definition asks of the execution role").
    "s3:ListAllMyBuckets": (frozenset({"VPCE007"}), "environment_files"),
    "s3:GetBucketPolicy": (frozenset({"VPCE007"}), "environment_files"),
    # The bucket's region: a gateway endpoint serves only its own region's buckets, so whether the VPC's S3
    # endpoint carries the file (VPCE001) is unknown for the workloads reading files from that bucket.
    # And where a bucket's default key, named by alias or key id, is to be described (VPCE007).
    "s3:GetBucketLocation": (frozenset({"VPCE001", "VPCE007"}), "environment_files"),
    # The bucket's default encryption (GetBucketEncryption): under a customer managed key, the role also
    # needs kms:Decrypt, so VPCE007 cannot pass those workloads without it.
    "s3:GetEncryptionConfiguration": (frozenset({"VPCE007"}), "environment_files"),
    # The SCP path (and the RCPs, read along the same path with the RESOURCE_CONTROL_POLICY filter): every
    # call of the execution role is under the SCPs, every call on the account's resources in an RCP
    # service (secretsmanager, kms, s3, sts...) under the RCPs.
    "organizations:DescribeOrganization": (frozenset({"VPCE007"}), "all"),
    "organizations:ListParents": (frozenset({"VPCE007"}), "all"),
    "organizations:ListPoliciesForTarget": (frozenset({"VPCE007"}), "all"),
    "organizations:DescribePolicy": (frozenset({"VPCE007"}), "all"),
}
# Operations whose failure leaves a rule's subjects unknowable, so a listing ERROR may stand in for them.
ENUMERATES: dict[str, frozenset[str]] = {
    "ecs:ListClusters": RULES,
    "ecs:ListServices": RULES,
    "ecs:DescribeServices": RULES,
    "ecs:ListTasks": RULES,
    "ecs:DescribeTasks": RULES,
    # Needs, images and the endpoints in use all come from the task definition.
    "ecs:DescribeTaskDefinition": _FROM_TASK_DEFINITION - {"VPCE007", "VPCE010"},
    # The endpoints in use are those of the workload's VPC, known from its subnets.
    "ec2:DescribeVpcEndpoints": _ENDPOINT_IN_USE,
    "ec2:DescribeSubnets": _ENDPOINT_IN_USE,
}
_SINGLE_AZ = ("VPCE010", "only in")
# Clean FAILs that stay FAILs without the operation's data: they are proven on other, complete data.
# (rule, fragment of the clean FAIL message).
PROVEN_WITHOUT: dict[str, tuple[tuple[str, str], ...]] = {
    # The endpoint's own attribute; the VPC's DNS attributes cannot undo it.
    "ec2:DescribeVpcs": (("VPCE002", "PrivateDnsEnabled=false"), _SINGLE_AZ),
    "ec2:DescribeVpcAttribute": (("VPCE002", "PrivateDnsEnabled=false"),),
    # No Interface endpoint at all needs no route table; one AZ is one AZ, whatever the spare subnets.
    "ec2:DescribeRouteTables": (("VPCE001", "expected an available Interface endpoint"), _SINGLE_AZ),
    # The route table is explicitly associated with the subnet ids the service names.
    "ec2:DescribeSubnets": (("VPCE006", "sends 0.0.0.0/0"),),
    "ec2:DescribeVpcEndpoints": (_SINGLE_AZ,),
    "ecs:DescribeTaskDefinition": (_SINGLE_AZ,),
}
_NEED_RULES = frozenset({"VPCE001", "VPCE005", "VPCE008", "VPCE009", "VPCE011"})

# What a scan calls (`required_actions()`, the policy `vpce-scan permissions` prints), minus EXCLUDED.
OPERATIONS = sorted(set(required_actions()) - set(EXCLUDED))
PAGINATED = [a for a in OPERATIONS if paginator_config(a, a.split(":", 1)[0]) is not None]
# Every operation denied, and timing out; every operation failing transiently once more: page 2 of a
# paginated one answers HTTP 500, every call of any other one is throttled.
FAULTS = (
    [Fault(a, "denied") for a in OPERATIONS]
    + [Fault(a, "timeout") for a in OPERATIONS]
    + [Fault(a, "second_page") for a in PAGINATED]
    + [Fault(a, "throttled") for a in OPERATIONS if a not in PAGINATED]
)

Key = tuple[str, str, str, str, str]


def key(result: Result) -> Key:
    """(rule, account, region, workload, subject): see the module docstring."""
    if result.qualifier:
        return (result.rule_id, result.account, result.region, result.workload or "", result.qualifier)
    return (result.rule_id, result.account, result.region, "", result.resource_id)


def subject(k: Key) -> str:
    """The key as the figures and failure messages show it (the workload ARN is in the qualifier's name)."""
    return " ".join((*k[:3], k[4]))


def names(result: Result, action: str) -> bool:
    return action in result.message or action in json.dumps(result.evidence, default=str)


@dataclass
class Run:
    fault: Fault
    inventory: Inventory
    results: dict[Key, Result]
    faults_injected: int
    second_pages_requested: int

    @cached_property
    def workloads(self) -> dict[str, Workload]:
        return {w.arn: w for w in derive_workloads(self.inventory)}


@dataclass(repr=False)
class Matrix:
    account: FaultAccount
    layer: AwsLayer
    session: boto3.Session
    clean: dict[Key, Result]
    clean_inventory: Inventory
    called: set[str]
    runs: dict[Fault, Run] = field(default_factory=dict)

    def __repr__(self) -> str:
        # pytest prints the arguments of a failing test: the recorded answers would run to megabytes.
        return f"Matrix({len(self.clean)} clean results, {len(self.runs)} faulted scans)"

    def run(self, fault: Fault) -> Run:
        if fault not in self.runs:
            self.layer.replay(fault)
            inventory = collect(self.session, [REGION])
            self.runs[fault] = Run(
                fault,
                inventory,
                _scan(inventory),
                self.layer.faults_injected,
                self.layer.second_pages_requested,
            )
        return self.runs[fault]

    def reads(self, action: str, result: Result) -> bool:
        # An operation missing from READS reads nothing here (the strictest expectation): the coverage test
        # names it, and the figures still print.
        rules, scope = READS.get(action, (frozenset(), "all"))
        if result.rule_id not in rules:
            return False
        if scope == "tasks":
            return self._concerns_tasks(result)
        if scope == "environment_files":
            return result.workload in self.environment_file_workloads
        if scope == "own_registry":
            return result.workload in self.own_registry_workloads
        return True

    @cached_property
    def environment_file_workloads(self) -> frozenset[str]:
        """The ARNs of the workloads whose task definition reads an environment file from S3."""
        return frozenset(
            w.arn
            for w in derive_workloads(self.clean_inventory)
            if w.task_definition is not None
            and any(f.type == "s3" for c in w.task_definition.container_definitions for f in c.environment_files)
        )

    @cached_property
    def own_registry_workloads(self) -> frozenset[str]:
        """The ARNs of the workloads with an image in the scanned account's own ECR registry (by its URI)."""
        own = f"{self.clean_inventory.accounts[0].account_id}.dkr.ecr."
        return frozenset(
            w.arn
            for w in derive_workloads(self.clean_inventory)
            if w.task_definition is not None
            and any(c.image.startswith(own) for c in w.task_definition.container_definitions)
        )

    def proven_without(self, action: str, clean: Result) -> bool:
        return clean.status is Status.FAIL and any(
            clean.rule_id == rule and fragment in clean.message for rule, fragment in PROVEN_WITHOUT.get(action, ())
        )

    def may_turn_error(self, action: str, clean: Result) -> bool:
        return self.reads(action, clean) and not self.proven_without(action, clean)

    def unknowable(self, run: Run, clean: Result) -> bool:
        """The faulted inventory lacks what `clean`'s subject is derived from, through the faulted operation."""
        if clean.rule_id not in ENUMERATES.get(run.fault.action, ()):
            return False
        workload = run.workloads.get(clean.workload or "")
        if workload is None:
            return True
        if clean.rule_id in _NEED_RULES | _ENDPOINT_IN_USE and workload.task_definition is None:
            return True
        if clean.rule_id in _ENDPOINT_IN_USE:
            region = run.inventory.accounts[0].regions[0]
            endpoints = {e.vpc_endpoint_id for e in region.vpc_endpoints}
            subnets = {s.subnet_id for s in region.subnets}
            return clean.resource_id not in endpoints or not set(workload.subnet_ids) <= subnets
        return False

    def _concerns_tasks(self, result: Result) -> bool:
        text = " ".join([result.resource_id, result.qualifier, result.workload or "", result.message])
        return any(name in text for name in self.account.task_family_ids) or (
            result.resource_id in self.account.task_vpc_endpoints
        )


_RULES = load_rules(ScanConfig().all_rule_dirs)


def _scan(inventory: Inventory) -> dict[Key, Result]:
    """Results by key; two results on one subject (stand-in ERRORs of one listing for several resources)
    are told apart by resource id."""
    results = evaluate_inventory(_RULES, inventory, ScanConfig()).results
    by_key: dict[Key, Result] = {}
    for result in results:
        k = key(result)
        while k in by_key:
            k = (*k[:4], f"{k[4]}@{result.resource_id}")
        by_key[k] = result
    return by_key


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_env(monkeypatch, tmp_path_factory.mktemp("aws"))
        with mock_aws():
            pin_ecs_tasks()
            try:
                account = build_fault_account()
                plain = boto3.Session()
                layer = AwsLayer()
                layer.install(plain)
                session = cast("boto3.Session", ReusedClients(plain))
                layer.record()
                inventory = collect(session, [REGION])
                matrix = Matrix(account, layer, session, _scan(inventory), inventory, set(layer.called))
                yield matrix
                _print_figures(matrix)
            finally:
                unpin_ecs_tasks()


# --- The fixture itself ------------------------------------------------------------------------------


def test_clean_scan_reads_everything_and_fails_every_rule(matrix: Matrix) -> None:
    assert matrix.clean_inventory.errors == []
    assert all("@" not in k[4] for k in matrix.clean), "two clean results on one subject"
    failing = {r.rule_id for r in matrix.clean.values() if r.status is Status.FAIL}
    assert failing == RULES
    assert not [r for r in matrix.clean.values() if r.status is Status.ERROR]


def test_clean_scan_reads_the_environment_file_bucket_key(matrix: Matrix) -> None:
    """The bucket's default encryption names a key by alias: it is described in the bucket's region and the
    role, which may read the file but not decrypt it, FAILs on kms:Decrypt only."""
    [result] = [
        r
        for r in matrix.clean.values()
        if r.rule_id == "VPCE007" and (r.workload or "").endswith("/fault-env-file-kms")
    ]
    assert result.status is Status.FAIL
    assert "kms:Decrypt on arn:aws:kms:us-east-1:" in result.message
    assert "default encryption of bucket arn:aws:s3:::fault-environment-files-kms" in result.message
    assert "s3:GetObject" not in result.message


def declared_actions() -> set[str]:
    """The union of the `ACTIONS` of every module of scanner.collect."""
    found: set[str] = set()
    for module in pkgutil.iter_modules(scanner.collect.__path__):
        found.update(getattr(importlib.import_module(f"scanner.collect.{module.name}"), "ACTIONS", []))
    return found


def test_every_declared_operation_is_exercised_and_faulted(matrix: Matrix, capsys: pytest.CaptureFixture[str]) -> None:
    """The matrix covers every collector's ACTIONS and `vpce-scan permissions` minus EXCLUDED, and the
    account makes the collector call each of them; a new operation needs a READS entry here."""
    assert declared_actions() == set(OPERATIONS) | set(EXCLUDED)
    assert main(["permissions"]) == 0
    (statement,) = json.loads(capsys.readouterr().out)["Statement"]
    assert set(OPERATIONS) <= set(statement["Action"]) <= declared_actions()
    assert set(READS) == set(OPERATIONS), f"say in READS what reads {sorted(set(OPERATIONS) - set(READS))}"
    never_called = set(OPERATIONS) - matrix.called
    assert not never_called, f"extend tests/collect/fault_account.py so that the collector calls {never_called}"
    assert matrix.called <= set(OPERATIONS) | set(EXCLUDED)
    assert {f.action for f in FAULTS if f.kind == "denied"} == set(OPERATIONS)


# --- The matrix --------------------------------------------------------------------------------------
# Each invariant is a function of (matrix, run) giving its violations, one line each; the tests assert
# there are none, and the figures count them.


def fails_kept(matrix: Matrix, run: Run) -> list[str]:
    changed = []
    for k, clean in matrix.clean.items():
        if clean.status is not Status.FAIL or matrix.may_turn_error(run.fault.action, clean):
            continue
        now = run.results.get(k)
        if now is None:
            continue  # nothing_vanishes reports it
        reworded = now.message != clean.message and not matrix.proven_without(run.fault.action, clean)
        if now.status is not Status.FAIL or reworded:
            changed.append(f"{subject(k)}: FAIL -> {now.status.value}: {now.message}")
    return changed


def nothing_vanishes(matrix: Matrix, run: Run) -> list[str]:
    action = run.fault.action
    stand_ins = {
        (r.rule_id, r.region)
        for r in run.results.values()
        if r.status is Status.ERROR and names(r, action) and r.rule_id in ENUMERATES.get(action, ())
    }
    return [
        f"{subject(k)} ({clean.status.value}) vanished"
        for k, clean in matrix.clean.items()
        if k not in run.results and not ((clean.rule_id, clean.region) in stand_ins and matrix.unknowable(run, clean))
    ]


def no_false_verdict(matrix: Matrix, run: Run) -> list[str]:
    wrong = []
    for k, clean in matrix.clean.items():
        now = run.results.get(k)
        if now is None or now.status is clean.status:
            continue
        if not (now.status is Status.ERROR and matrix.may_turn_error(run.fault.action, clean)):
            wrong.append(f"{subject(k)}: {clean.status.value} -> {now.status.value}: {now.message}")
    return wrong


def errors_name_operation(matrix: Matrix, run: Run) -> list[str]:
    return [f"{subject(k)}: {now.message}" for k, now in _new_errors(matrix, run) if not names(now, run.fault.action)]


def errors_say_what_to_do(matrix: Matrix, run: Run) -> list[str]:
    grant = f"grant {run.fault.action}".lower()
    wrong = []
    for k, now in _new_errors(matrix, run):
        if not names(now, run.fault.action):
            continue  # errors_name_operation reports it
        text = f"{now.message} {json.dumps(now.evidence, default=str)}".lower()
        advised = grant in text if run.fault.kind == "denied" else "retry" in text and grant not in text
        if not advised:
            wrong.append(f"{subject(k)}: {now.message}")
    return wrong


def second_page_requested(matrix: Matrix, run: Run) -> list[str]:
    if run.fault.kind != "second_page" or run.second_pages_requested > 0:
        return []
    return [f"{run.fault.action}: page 1 carried a continuation token; page 2 was never asked for"]


INVARIANTS = (
    fails_kept,
    nothing_vanishes,
    no_false_verdict,
    errors_name_operation,
    errors_say_what_to_do,
    second_page_requested,
)


def _new_errors(matrix: Matrix, run: Run) -> Iterator[tuple[Key, Result]]:
    """ERRORs the clean scan does not have (same subject, same message)."""
    for k, now in run.results.items():
        clean = matrix.clean.get(k)
        if now.status is Status.ERROR and (
            clean is None or clean.status is not Status.ERROR or clean.message != now.message
        ):
            yield k, now


def _faulted(matrix: Matrix, fault: Fault) -> Run:
    run = matrix.run(fault)
    if fault.kind != "second_page":
        assert run.faults_injected > 0, f"{fault.action} was never called"
    return run


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_fails_kept(matrix: Matrix, fault: Fault) -> None:
    changed = fails_kept(matrix, _faulted(matrix, fault))
    assert not changed, "\n".join(changed)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_nothing_vanishes(matrix: Matrix, fault: Fault) -> None:
    vanished = nothing_vanishes(matrix, _faulted(matrix, fault))
    assert not vanished, f"{len(vanished)} results vanished:\n" + "\n".join(vanished)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_no_false_verdict(matrix: Matrix, fault: Fault) -> None:
    wrong = no_false_verdict(matrix, _faulted(matrix, fault))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_errors_name_operation(matrix: Matrix, fault: Fault) -> None:
    silent = errors_name_operation(matrix, _faulted(matrix, fault))
    assert not silent, f"ERRORs that do not name {fault.action}:\n" + "\n".join(silent)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_errors_say_what_to_do(matrix: Matrix, fault: Fault) -> None:
    wrong = errors_say_what_to_do(matrix, _faulted(matrix, fault))
    expected = f"grant {fault.action}" if fault.kind == "denied" else "retry (and no grant)"
    assert not wrong, f"ERRORs that do not say {expected!r}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.kind == "second_page"], ids=lambda f: f.id)
def test_second_page_requested(matrix: Matrix, fault: Fault) -> None:
    missing = second_page_requested(matrix, matrix.run(fault))
    assert not missing, missing[0]


# --- Figures -------------------------------------------------------------------------------------------


@dataclass
class Figures:
    faults: int = 0
    clean_fails: int = 0
    fails_kept: int = 0
    clean_results: int = 0
    results_kept: int = 0
    new_errors: int = 0
    errors_naming_cause: int = 0


def figures(matrix: Matrix, runs: list[Run]) -> Figures:
    totals = Figures(faults=len(runs))
    for run in runs:
        for k, clean in matrix.clean.items():
            now = run.results.get(k)
            totals.clean_results += 1
            totals.results_kept += now is not None
            if clean.status is Status.FAIL:
                totals.clean_fails += 1
                totals.fails_kept += now is not None and now.status is Status.FAIL
        for _, now in _new_errors(matrix, run):
            totals.new_errors += 1
            totals.errors_naming_cause += names(now, run.fault.action)
    return totals


def _print_figures(matrix: Matrix) -> None:
    """One line per fault (its figures and the invariants it breaks), then the totals."""
    runs = sorted(matrix.runs.values(), key=lambda r: r.fault.id)
    if not runs:
        return
    out = sys.stdout
    print("\nfault matrix:", file=out)
    header = f"{'fault':52} {'FAILs kept':>11} {'results kept':>13} {'ERRORs naming':>14}  invariants broken"
    print(header, file=out)
    broken_runs = 0
    for run in runs:
        f = figures(matrix, [run])
        broken = [check.__name__ for check in INVARIANTS if check(matrix, run)]
        broken_runs += bool(broken)
        print(
            f"{run.fault.id:52} {f.fails_kept:>5}/{f.clean_fails:<5} {f.results_kept:>6}/{f.clean_results:<6}"
            f" {f.errors_naming_cause:>6}/{f.new_errors:<7}  {' '.join(broken) or '-'}",
            file=out,
        )
    t = figures(matrix, runs)
    print(
        f"operations tried {t.faults} ({len({r.fault.action for r in runs})} operations, {broken_runs} breaking"
        f" an invariant); FAILs kept {t.fails_kept}/{t.clean_fails}; results kept {t.results_kept}/"
        f"{t.clean_results}; ERRORs that name the cause {t.errors_naming_cause}/{t.new_errors}",
        file=out,
    )
