"""How many requests does collect() send, against the fewest the APIs allow? And how fast does it start?

    .venv/bin/python benchmarks/collect_requests.py --vpcs 10
    .venv/bin/python benchmarks/collect_requests.py --vpcs 100

Starts a ThreadedMotoServer on 127.0.0.1:<free port>, builds an account of N VPCs with one compliant
Fargate service each (tests/awsfixtures.py, one shared cluster and execution role), then runs the
collection in a fresh subprocess (`--driver`) that imports only `scanner.collect` and boto3, as the CLI
does, with AWS_ENDPOINT_URL pointing at the server. It reports, per API:

- requests the client sent (botocore `before-send`, one per HTTP attempt, retries included);
- requests the server received (a WSGI middleware in front of moto);
- the minimum the APIs allow for this account, from the formula printed next to it;

plus the time from spawning the subprocess to its first request, and its peak RSS (ru_maxrss).
moto ignores MaxResults on most listings and answers in one page, so a paged listing can take fewer
requests here than the AWS minimum; the formulas are AWS's.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import os
import resource
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


# --- the driver: a fresh process that collects, as the CLI would -----------------------------------


def drive() -> None:
    """Collect against AWS_ENDPOINT_URL and print one JSON line of measurements."""
    sys.path.insert(0, ROOT)
    import boto3

    from scanner.collect import collect

    imported = time.time()
    counts: Counter[str] = Counter()
    first: list[float] = []

    def on_send(request: Any, **_: Any) -> None:
        if not first:
            first.append(time.time())
        counts[request.context.get("_bench_action", "?")] += 1

    def on_call(model: Any, context: dict[str, Any], **_: Any) -> None:
        context["_bench_action"] = f"{model.service_model.signing_name}:{model.name}"

    session = boto3.Session()
    session.events.register("before-call", on_call)
    session.events.register("before-send", on_send)
    started = time.time()
    inventory = collect(session, [REGION])
    finished = time.time()
    print(
        json.dumps(
            {
                "imported_at": imported,
                "first_request_at": first[0] if first else None,
                "collect_seconds": finished - started,
                "counts": dict(counts),
                "errors": [e.describe() for e in inventory.errors],
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "vmhwm_kb": _vm_hwm_kb(),
            }
        )
    )


def _vm_hwm_kb() -> int | None:
    """Linux's peak RSS of this process image, a cross-check of ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1])


def launch() -> None:
    """Start the driver from a small process. Linux carries a parent's peak RSS over fork and exec
    into the child's ru_maxrss, so the driver must not be spawned by the parent, which holds moto and
    the whole fixture account: it is spawned by this launcher, itself started before the parent grew.
    Reads the driver's environment as one JSON line on stdin, prints the driver's JSON plus its spawn time.
    """
    env = json.loads(sys.stdin.readline())
    spawned = time.time()
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--driver"], env=env, capture_output=True, text=True, check=True
    ).stdout
    print(json.dumps({**json.loads(out.strip().splitlines()[-1]), "spawned_at": spawned}))


# --- the parent: server, account, minimum, report ----------------------------------------------------


class CountingApp:
    """WSGI middleware: counts the requests the moto server receives, per service:Action."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self.counts[_action(environ, body)] += 1
        return self.app(environ, start_response)


def _action(environ: dict[str, Any], body: bytes) -> str:
    # Signing scope: Credential=<key>/<date>/<region>/<service>/aws4_request
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = auth.split("Credential=", 1)[1].split("/")[3] if "Credential=" in auth else "?"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols (ECS): AmazonEC2ContainerServiceV20141113.ListClusters
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    action = parse_qs(body.decode(errors="replace")).get("Action", ["?"])[0]  # query protocols
    return f"{service}:{action}"


def start_server() -> tuple[Any, CountingApp, str]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    counting = CountingApp(DomainDispatcherApplication(create_backend_app))

    class CountingServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            self._server = make_server(self._ip_address, self._port, counting, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = CountingServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, counting, f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Minimum:
    action: str
    requests: int
    formula: str


def minimum_requests(session: Any, endpoint_url: str) -> list[Minimum]:
    """The fewest requests that read this account's region: every listing at its largest page size
    (at least one request even when empty), every batch API at its batch size, one request per item
    where the API takes one item. Counts come from the server, read independently of the collector."""
    ec2 = session.client("ec2", region_name=REGION, endpoint_url=endpoint_url)
    ecs = session.client("ecs", region_name=REGION, endpoint_url=endpoint_url)

    def pages(count: int, size: int) -> int:
        return max(1, math.ceil(count / size))

    n = {
        "vpcs": len(ec2.describe_vpcs()["Vpcs"]),
        "subnets": len(ec2.describe_subnets()["Subnets"]),
        "route_tables": len(ec2.describe_route_tables()["RouteTables"]),
        "nat": len(ec2.describe_nat_gateways()["NatGateways"]),
        "igw": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "eigw": len(ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]),
        "endpoints": len(ec2.describe_vpc_endpoints()["VpcEndpoints"]),
        "sgs": len(ec2.describe_security_groups()["SecurityGroups"]),
        "acls": len(ec2.describe_network_acls()["NetworkAcls"]),
    }
    s3 = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}]
    )["PrefixLists"]
    entries = len(ec2.get_managed_prefix_list_entries(PrefixListId=s3[0]["PrefixListId"])["Entries"])
    clusters = ecs.list_clusters()["clusterArns"]
    services_per_cluster = {c: ecs.list_services(cluster=c)["serviceArns"] for c in clusters}
    tasks_per_cluster = {c: ecs.list_tasks(cluster=c)["taskArns"] for c in clusters}
    services = [
        s
        for c, arns in services_per_cluster.items()
        for i in range(0, len(arns), 10)
        for s in ecs.describe_services(cluster=c, services=arns[i : i + 10])["services"]
    ]
    workloads = [s for s in services if s["status"] == "ACTIVE" and s.get("launchType") == "FARGATE"]
    task_definitions = {s["taskDefinition"] for s in workloads}
    roles = {
        ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]["executionRoleArn"].rsplit("/", 1)[-1]
        for td in sorted(task_definitions)
    }
    subnet_vpc = {s["SubnetId"]: s["VpcId"] for s in ec2.describe_subnets()["Subnets"]}
    workload_vpcs = {
        subnet_vpc[subnet] for s in workloads for subnet in s["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    }
    n_tasks = sum(len(t) for t in tasks_per_cluster.values())
    return [
        Minimum("sts:GetCallerIdentity", 1, "1"),
        Minimum("ec2:DescribeVpcs", pages(n["vpcs"], 1000), f"ceil(VPCs {n['vpcs']} / 1000)"),
        Minimum("ec2:DescribeSubnets", pages(n["subnets"], 1000), f"ceil(subnets {n['subnets']} / 1000)"),
        Minimum(
            "ec2:DescribeRouteTables",
            pages(n["route_tables"], 100),
            f"ceil(route tables {n['route_tables']} / 100)",
        ),
        Minimum("ec2:DescribeNatGateways", pages(n["nat"], 1000), f"ceil(NAT gateways {n['nat']} / 1000)"),
        Minimum("ec2:DescribeInternetGateways", pages(n["igw"], 1000), f"ceil(IGWs {n['igw']} / 1000)"),
        Minimum("ec2:DescribeEgressOnlyInternetGateways", pages(n["eigw"], 255), f"ceil(EIGWs {n['eigw']} / 255)"),
        Minimum("ec2:DescribeVpcEndpoints", pages(n["endpoints"], 1000), f"ceil(endpoints {n['endpoints']} / 1000)"),
        Minimum("ec2:DescribeSecurityGroups", pages(n["sgs"], 1000), f"ceil(SGs {n['sgs']} / 1000)"),
        Minimum("ec2:DescribeNetworkAcls", pages(n["acls"], 1000), f"ceil(NACLs {n['acls']} / 1000)"),
        Minimum("ec2:DescribeManagedPrefixLists", 1, "1 (filtered by the S3 list's name)"),
        Minimum("ec2:GetManagedPrefixListEntries", pages(entries, 100), f"ceil(S3 CIDRs {entries} / 100)"),
        Minimum(
            "ec2:DescribeVpcAttribute",
            2 * len(workload_vpcs),
            f"2 attributes x VPCs with a Fargate workload {len(workload_vpcs)}",
        ),
        Minimum("ec2:DescribeNetworkInterfaces", 0, "ceil(standalone task ENIs 0 / 200)"),
        Minimum("ecs:ListClusters", pages(len(clusters), 100), f"ceil(clusters {len(clusters)} / 100)"),
        Minimum("ecs:DescribeClusters", math.ceil(len(clusters) / 100), f"ceil(clusters {len(clusters)} / 100)"),
        Minimum(
            "ecs:ListServices",
            sum(pages(len(a), 100) for a in services_per_cluster.values()),
            f"sum over clusters of ceil(services / 100) {[len(a) for a in services_per_cluster.values()]}",
        ),
        Minimum(
            "ecs:DescribeServices",
            sum(math.ceil(len(a) / 10) for a in services_per_cluster.values()),
            "sum over clusters of ceil(services / 10)",
        ),
        Minimum(
            "ecs:ListTasks",
            sum(pages(len(t), 100) for t in tasks_per_cluster.values()),
            f"sum over clusters of ceil(tasks {n_tasks} / 100), at least 1",
        ),
        Minimum(
            "ecs:DescribeTasks",
            sum(math.ceil(len(t) / 100) for t in tasks_per_cluster.values()),
            "sum over clusters of ceil(tasks / 100)",
        ),
        Minimum(
            "ecs:DescribeTaskDefinition",
            len(task_definitions),
            f"distinct task definitions of Fargate workloads {len(task_definitions)}",
        ),
        Minimum("iam:GetRole", len(roles), f"distinct execution roles {len(roles)}"),
    ]


def run(vpcs: int) -> dict[str, Any]:
    # First, while this process is still small (see launch()).
    launcher = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--launcher"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    sys.path.insert(0, ROOT)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request from the server
    os.environ.update(FAKE_ENV)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        os.environ.pop(name, None)
    import boto3

    from tests.awsfixtures import build_account

    server, counting, url = start_server()
    try:
        built_at = time.time()
        build_account(boto3.Session(), REGION, ["compliant"] * vpcs, endpoint_url=url)
        build_seconds = time.time() - built_at
        minimum = minimum_requests(boto3.Session(), url)
        counting.counts.clear()

        env = {**os.environ, "AWS_ENDPOINT_URL": url}
        out, _ = launcher.communicate(json.dumps(env) + "\n")
        if launcher.returncode:
            raise SystemExit(f"the collector failed (exit {launcher.returncode})")
        driver = json.loads(out.strip().splitlines()[-1])
        spawned = driver["spawned_at"]
        received = dict(counting.counts)
    finally:
        server.stop()
        if launcher.poll() is None:
            launcher.kill()
    return {
        "vpcs": vpcs,
        "build_seconds": build_seconds,
        "minimum": minimum,
        "sent": driver["counts"],
        "received": received,
        "errors": driver["errors"],
        "import_seconds": driver["imported_at"] - spawned,
        "first_request_seconds": (driver["first_request_at"] or math.nan) - spawned,
        "collect_seconds": driver["collect_seconds"],
        "maxrss_mb": driver["maxrss_kb"] / 1024,
        "vmhwm_mb": (driver["vmhwm_kb"] or math.nan) / 1024,
    }


def report(result: dict[str, Any]) -> str:
    minimum: list[Minimum] = result["minimum"]
    sent: dict[str, int] = result["sent"]
    received: dict[str, int] = result["received"]
    actions = [m.action for m in minimum] + sorted(set(sent) - {m.action for m in minimum})
    lines = [
        f"N = {result['vpcs']} VPCs, one Fargate service each (account built in {result['build_seconds']:.1f} s)",
        "",
        f"{'API':40} {'sent':>5} {'recv':>5} {'min':>5}  minimum formula (AWS)",
    ]
    by_action = {m.action: m for m in minimum}
    for action in actions:
        m = by_action.get(action)
        formula = m.formula if m else "not in the minimum"
        if m and sent.get(action, 0) < m.requests:
            formula += "; moto answered in one page"
        least = m.requests if m else "-"
        lines.append(f"{action:40} {sent.get(action, 0):>5} {received.get(action, 0):>5} {least:>5}  {formula}")
    total_sent, total_received = sum(sent.values()), sum(received.values())
    total_min = sum(m.requests for m in minimum)
    lines += [
        f"{'total':40} {total_sent:>5} {total_received:>5} {total_min:>5}  "
        f"sent / minimum = {total_sent / total_min:.3f}",
        "",
        f"collection errors:            {len(result['errors'])}",
        f"spawn -> imports done:        {result['import_seconds']:.3f} s",
        f"spawn -> first request:       {result['first_request_seconds']:.3f} s",
        f"collect() wall time:          {result['collect_seconds']:.2f} s",
        f"peak RSS of the collector:    {result['maxrss_mb']:.1f} MB (ru_maxrss; VmHWM {result['vmhwm_mb']:.1f} MB)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--vpcs", type=int, default=10, help="VPCs with one Fargate service each (default 10)")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.driver:
        drive()
        return 0
    if args.launcher:
        launch()
        return 0
    result = run(args.vpcs)
    print(report(result))
    over = sum(result["sent"].values()) > 1.1 * sum(m.requests for m in result["minimum"])
    return 1 if over or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
