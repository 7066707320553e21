"""Render time and size of the SARIF report for a large synthetic ScanResult.

10,000 results over the bundled rule catalogue, two accounts and three regions, with the status mix of a
big organisation scan (about 35% FAIL, of which 2% suppressed, 50% PASS, 10% SKIPPED, 5% ERROR) and the
strings of real findings: ARNs, one-sentence messages and one to three `aws ...` remediation commands with
real-looking ids. Times `render_sarif` alone (the ScanResult is built up front), and prints the output
size raw and gzipped at zlib's default level, which is what `upload-sarif` sends (GitHub's limit: 10 MB).

    .venv/bin/python benchmarks/render_sarif.py [--results 10000] [--repeat 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.config import bundled_path
from scanner.engine.loader import load_rules
from scanner.report.sarif import GZIP_LEVEL, MAX_GZIP_BYTES, MAX_RESULTS, render_sarif
from scanner.results import (
    CollectionErrorRecord,
    Result,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    ToolInfo,
    summarise,
)
from scanner.scan import rule_info

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "sts", "s3")
STATUSES = (Status.FAIL, Status.PASS, Status.SKIPPED, Status.ERROR)
WEIGHTS = (35, 50, 10, 5)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _result(rng: random.Random, rule_id: str, rule_name: str, severity: Severity) -> Result:
    account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
    status = rng.choices(STATUSES, WEIGHTS)[0]
    service = rng.choice(SERVICES)
    workload = f"{rng.choice(('orders', 'payments', 'billing', 'search', 'ledger'))}-{rng.choice(('api', 'worker'))}"
    vpc, endpoint, group = f"vpc-0{_hex(rng, 16)}", f"vpce-0{_hex(rng, 16)}", f"sg-0{_hex(rng, 16)}"
    subnets = " ".join(f"subnet-0{_hex(rng, 16)}" for _ in range(rng.randint(1, 3)))
    service_name = f"com.amazonaws.{region}.{service}"
    if rng.random() < 0.5:
        resource_type, resource_id, arn = "vpc", vpc, f"arn:aws:ec2:{region}:{account}:vpc/{vpc}"
        message = (
            f"VPC {vpc} has no {service_name} endpoint, which {workload} needs (container {workload} logs "
            "with awslogs); expected an available Interface endpoint."
        )
        commands = [
            f"aws ec2 create-vpc-endpoint --region {region} --vpc-id {vpc} --vpc-endpoint-type Interface "
            f"--service-name {service_name} --subnet-ids {subnets} --security-group-ids {group} --private-dns-enabled"
        ]
    else:
        resource_type, resource_id = "vpc_endpoint", endpoint
        arn = f"arn:aws:ec2:{region}:{account}:vpc-endpoint/{endpoint}"
        message = (
            f"{endpoint} ({service_name}) group {group} admits tcp/0-65535 from 10.{rng.randint(0, 255)}.0.0/16; "
            "expected tcp/443 only from the groups of its workloads."
        )
        commands = [
            f"aws ec2 revoke-security-group-ingress --region {region} --group-id {group} --ip-permissions "
            '\'[{"IpProtocol":"tcp","FromPort":0,"ToPort":65535,"IpRanges":[{"CidrIp":"10.20.0.0/16"}]}]\''
        ] * rng.randint(1, 3)
    return Result(
        rule_id=rule_id,
        rule_name=rule_name,
        status=status,
        severity=severity,
        account=account,
        region=region,
        resource_arn=arn,
        resource_id=resource_id,
        resource_type=resource_type,
        workload=f"arn:aws:ecs:{region}:{account}:service/prod/{workload}",
        message=message if status is not Status.ERROR else f"Incomplete data: {region} ec2:DescribeVpcAttribute.",
        evidence={"vpc_id": vpc, "service_name": service_name},
        remediation=commands if status is Status.FAIL else [],
        qualifier=f"{workload}/{service}",
        suppressed=status is Status.FAIL and rng.random() < 0.02,
    )


def build(count: int, seed: int) -> ScanResult:
    rng = random.Random(seed)
    rules = [rule_info(r) for r in load_rules([bundled_path("rules")])]
    results = [_result(rng, rule.id, rule.name, rule.severity) for rule in rng.choices(rules, k=count)]
    errors = [
        CollectionErrorRecord(
            account=a,
            region=r,
            service="ec2",
            operation="DescribeVpcAttribute",
            error_code="AccessDenied",
            message="User is not authorized",
        )
        for a in ACCOUNTS
        for r in REGIONS[:1]
    ]
    started = datetime(2026, 1, 1, tzinfo=UTC)
    return ScanResult(
        tool=ToolInfo(version="0.1.0"),
        scan=ScanInfo(
            accounts=list(ACCOUNTS),
            regions=list(REGIONS),
            started_at=started,
            finished_at=started + timedelta(minutes=3),
            errors=errors,
        ),
        rules=rules,
        results=results,
        summary=summarise(results, errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    scan = build(args.results, args.seed)
    setup = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        text = render_sarif(scan)
        times.append(time.perf_counter() - start)
    data = text.encode("utf-8")
    compressed = len(gzip.compress(data, GZIP_LEVEL))
    run = json.loads(text)["runs"][0]
    counts = {s.value: n for s, n in scan.summary.by_status.items()}

    print(
        f"ScanResult: {len(scan.results):,} results {counts}, {scan.summary.suppressed} suppressed, "
        f"{len(scan.scan.errors)} collection errors (built in {setup:.2f} s)"
    )
    print(
        f"SARIF: {len(run['results']):,} results, {len(run['tool']['driver']['rules'])} rules, "
        f"{len(run['invocations'][0]['toolExecutionNotifications']):,} notifications"
    )
    print(
        f"render_sarif over {args.repeat} runs: min {min(times):.3f} s, median {statistics.median(times):.3f} s, "
        f"max {max(times):.3f} s (aim < 2 s)"
    )
    print(
        f"size: {len(data):,} bytes raw, {compressed:,} bytes gzipped (level {GZIP_LEVEL}); "
        f"GitHub limits: {MAX_GZIP_BYTES:,} bytes gzipped, {MAX_RESULTS:,} results per run"
    )


if __name__ == "__main__":
    main()
