"""Time from starting the real `vpce-scan` command to its first AWS API request.

A TCP listener on 127.0.0.1 stands in for AWS (AWS_ENDPOINT_URL); it records when the first connection
arrives and then closes it. The command is expected to fail afterwards (no real endpoint) — only the time
to the first request is measured. Run several times and read the median:

    .venv/bin/python benchmarks/cli_first_call.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time


def first_request_seconds() -> float:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    arrived: list[float] = []

    def accept() -> None:
        connection, _ = listener.accept()
        arrived.append(time.perf_counter())
        connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    command = shutil.which("vpce-scan", path=os.path.dirname(sys.executable)) or "vpce-scan"
    started = time.perf_counter()
    process = subprocess.Popen(
        [command, "--region", "us-east-1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    thread.join(timeout=30)
    process.kill()
    process.wait()
    listener.close()
    if not arrived:
        raise SystemExit("no request arrived within 30 s")
    return arrived[0] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = [first_request_seconds() for _ in range(parser.parse_args().runs)]
    print(
        f"vpce-scan start -> first API request: median {statistics.median(runs):.3f} s "
        f"(min {min(runs):.3f}, max {max(runs):.3f}, {len(runs)} runs)"
    )


if __name__ == "__main__":
    main()
