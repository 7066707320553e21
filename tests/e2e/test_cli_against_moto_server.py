"""End to end: `vpce-scan --format json` as a subprocess against a ThreadedMotoServer on 127.0.0.1.

The account holds a compliant workload and broken ones (each broken in one way, in its own VPC); the
exact set of FAILs and the exit code are asserted. The same account with only the compliant workload
exits 0."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.awsfixtures import AccountFixture, build_account

pytestmark = pytest.mark.server
REGION = "us-east-1"
BROKEN = (
    "missing-logs-endpoint",
    "ecr-dkr-private-dns-off",
    "nat-default-route",
    "endpoint-sg-open",
    "docker-hub-image",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    yield f"http://127.0.0.1:{port}"
    moto.stop()


@pytest.fixture
def env(server: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"), timeout=10).close()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(
        AWS_ENDPOINT_URL=server,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    yield environment


def _session(env: dict[str, str]) -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


def _scan(env: dict[str, str], *args: str) -> tuple[int, dict[str, object], str]:
    command = [sys.executable, "-m", "scanner.cli", "--format", "json", "--region", REGION, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


def _fails(document: dict[str, object]) -> set[tuple[str, str, str]]:
    results = document["results"]
    assert isinstance(results, list)
    return {(r["rule_id"], r["resource_id"], r["qualifier"]) for r in results if r["status"] == "fail"}


def _expected(account: AccountFixture) -> set[tuple[str, str, str]]:
    logs = account["missing-logs-endpoint"]
    dns = account["ecr-dkr-private-dns-off"]
    nat = account["nat-default-route"]
    open_sg = account["endpoint-sg-open"]
    hub = account["docker-hub-image"]
    expected = {
        ("VPCE001", logs.vpc_id, f"{logs.name}/logs"),
        ("VPCE002", dns.endpoint_ids["ecr.dkr"], ""),
        ("VPCE006", nat.name, ""),
        ("VPCE011", hub.name, f"{hub.name}/app"),
    }
    expected |= {
        ("VPCE004", open_sg.endpoint_ids[s], "") for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
    }
    return expected


def test_broken_account_gives_the_exact_fails_and_exit_1(env: dict[str, str]) -> None:
    account = build_account(_session(env), REGION, ("compliant", *BROKEN), endpoint_url=env["AWS_ENDPOINT_URL"])
    code, document, stderr = _scan(env)
    assert code == 1, stderr
    assert _fails(document) == _expected(account)
    statuses = {r["status"] for r in document["results"]}  # type: ignore[attr-defined]
    assert "error" not in statuses, [r for r in document["results"] if r["status"] == "error"]  # type: ignore[attr-defined]
    compliant = account["compliant"].service_arn
    assert all(r["status"] == "pass" for r in document["results"] if r["workload"] == compliant)  # type: ignore[attr-defined]


def test_compliant_account_exits_0(env: dict[str, str]) -> None:
    build_account(_session(env), REGION, ("compliant",), endpoint_url=env["AWS_ENDPOINT_URL"])
    code, document, stderr = _scan(env)
    assert code == 0, stderr
    assert document["summary"]["by_status"]["fail"] == 0  # type: ignore[index]
    assert document["summary"]["by_status"]["pass"] > 0  # type: ignore[index]


def test_collect_then_scan_offline_gives_identical_results(env: dict[str, str], tmp_path: Path) -> None:
    build_account(_session(env), REGION, ("compliant", "nat-default-route"), endpoint_url=env["AWS_ENDPOINT_URL"])
    inventory = tmp_path / "inventory.json"
    done = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "collect", "--region", REGION, "-o", str(inventory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    live_code, live, _ = _scan(env)
    offline_code, offline, _ = _scan(env, "--inventory", str(inventory))
    assert live_code == offline_code == 1
    assert live["results"] == offline["results"]


def test_no_credentials_is_a_one_line_error(env: dict[str, str]) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    code, _, stderr = _scan(env)
    assert code == 2
    assert stderr.count("\n") == 1 and "no AWS credentials found" in stderr and "AWS_PROFILE" in stderr
