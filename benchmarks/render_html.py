"""Render time and size of the HTML report for a large ScanResult.

10,000 results cycled from the demo scan's real results (their messages, evidence and remediation
commands), each with its own resource id, over three accounts and two regions, about 60% PASS, 30% FAIL,
5% SKIPPED and 5% ERROR, every severity, one collection error, and the demo's four workloads and three
VPCs. The ScanResult is built up front; the timed part is `render_html` alone (views, cost panel, jinja).
Aims: under 2 s and under 5 MB.

    .venv/bin/python benchmarks/render_html.py [--results 10000] [--repeat 5] [--out report.html]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.report.html import render_html
from scanner.report.html_view import PASS_EVIDENCE_LIMIT
from scanner.results import Status
from tests.browser.builders import many_results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the report here, to open it in a browser")
    args = parser.parse_args()

    result = many_results(args.results)
    render_html(result)  # warm: template compilation and the price table, as in a long-lived process
    times, html = [], ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        html = render_html(result)
        times.append(time.perf_counter() - start)
    raw = len(html.encode("utf-8"))
    zipped = len(gzip.compress(html.encode("utf-8"), compresslevel=6))
    mix = ", ".join(f"{sum(1 for r in result.results if r.status is s)} {s.value}" for s in Status)
    print(f"input: {args.results} results ({mix}), {len(result.workloads)} workloads, {len(result.vpcs)} VPCs")
    print(
        f"passing evidence: {'omitted' if args.results > PASS_EVIDENCE_LIMIT else 'shown'} "
        f"(omitted above {PASS_EVIDENCE_LIMIT} results)"
    )
    print(
        f"render time: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {args.repeat} runs (aim < 2 s)"
    )
    print(
        f"size: {raw:,} B raw ({raw / 1e6:.2f} MB, aim < 5 MB), {zipped:,} B gzipped; "
        f"{raw / max(args.results, 1):,.0f} B per result"
    )
    if args.out:
        args.out.write_text(html, encoding="utf-8")
        print(f"written: {args.out}")
    return 0 if statistics.median(times) < 2 and raw < 5_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
