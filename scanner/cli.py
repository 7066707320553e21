"""The command line: argv -> ScanConfig -> scan() -> reports -> exit code. No scan logic here."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from scanner import __version__
from scanner.errors import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_REPORT_NOT_WRITTEN,
    EXIT_USAGE,
    InternalError,
    RenderError,
    UsageError,
    VpceScanError,
    stage,
)
from scanner.outputs import check_outputs, check_writable, write_output
from scanner.report.escape import terminal
from scanner.results import ScanResult, Severity

if TYPE_CHECKING:
    from scanner.report import Format

COMMANDS = ("scan", "collect", "rules", "report", "permissions")


def _csv(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for value in values or [] for v in value.split(",") if v.strip())


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (argparse prints its whole usage first): the flag, what is
    wrong, where to look. Subcommand parsers are of this class too (argparse makes them of the parent's)."""

    def error(self, message: str) -> NoReturn:
        from scanner.report.escape import terminal

        self.exit(EXIT_USAGE, f"vpce-scan: error: {terminal(message)} (see {self.prog} --help)\n")


def _gigabytes(value: str) -> float:
    try:
        amount = float(value)
    except ValueError:
        amount = float("nan")
    if not 0 <= amount < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of gigabytes (0 or more)")
    return amount


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return seconds


def _parser() -> argparse.ArgumentParser:
    from scanner.config import DEFAULT_TIMEOUT
    from scanner.report import FORMATS

    parser = _Parser(
        prog="vpce-scan",
        description="Check ECS Fargate workloads in private subnets against their VPC endpoints.",
        epilog="Exit codes: 0 no FAIL at or above --fail-on; 1 such FAILs; 2 usage, rule or config error; "
        "3 scan incomplete (ERROR results) with no FAIL; 4 internal error (a bug; --debug shows it); "
        "5 a report could not be written (the others were).",
    )
    parser.add_argument("--version", action="version", version=f"vpce-scan {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command")

    def aws_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--region", action="append", help="region to scan (repeatable; default: the session's)")
        p.add_argument("--all-regions", action="store_true", help="every enabled region (ec2:DescribeRegions)")
        p.add_argument("--profile", help="AWS profile to use")
        p.add_argument(
            "--timeout",
            type=_seconds,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"whole-scan deadline: no AWS call after it, what was not read is ERROR (default {DEFAULT_TIMEOUT:g})",
        )

    def report_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", action="append", choices=FORMATS, help="report format (repeatable; default text)")
        p.add_argument(
            "--output",
            action="append",
            type=Path,
            metavar="FILE",
            help="write the report here (one per --format; default stdout)",
        )
        p.add_argument(
            "--fail-on",
            type=Severity,
            choices=list(Severity),
            default=Severity.LOW,
            help="lowest severity of FAIL that makes the exit code 1 (default low)",
        )
        p.add_argument("--show-passed", action="store_true", help="text format: list PASS results too")
        p.add_argument(
            "--sarif-category",
            metavar="CATEGORY",
            help="SARIF automationDetails.id, one per account/scan uploaded for a commit ('/' appended; "
            "default vpce-scan/<source>/<accounts>/<regions>/)",
        )
        p.add_argument(
            "--prices",
            type=Path,
            metavar="FILE",
            help="HTML cost panel: a YAML/JSON price table overriding the bundled us-east-1 list prices",
        )
        p.add_argument(
            "--nat-gb-per-month",
            type=_gigabytes,
            metavar="GB",
            help="HTML cost panel: traffic assumed through NAT or the endpoints per VPC and month (default 100)",
        )

    scan = sub.add_parser("scan", help="scan an account, an inventory file or the demo (the default command)")
    aws_options(scan)
    source = scan.add_mutually_exclusive_group()
    source.add_argument("--inventory", type=Path, metavar="FILE", help="scan a saved inventory offline")
    source.add_argument("--demo", action="store_true", help="scan the bundled demo inventory (no AWS account)")
    scan.add_argument("--rules", action="append", type=Path, metavar="DIR", help="extra rule directory (repeatable)")
    scan.add_argument("--no-default-rules", action="store_true", help="run only the rules of --rules")
    scan.add_argument("--select", action="append", metavar="ID", help="run only these rule ids (comma list)")
    scan.add_argument("--ignore", action="append", metavar="ID", help="skip these rule ids (comma list)")
    report_options(scan)
    scan.add_argument(
        "--baseline",
        action="append",
        metavar="SERVICE",
        help="services every workload should reach (default sts; 'none' for none)",
    )
    scan.add_argument(
        "--allow-endpoint-source",
        action="append",
        metavar="SG",
        help="extra security group VPCE004 accepts on endpoint groups (repeatable)",
    )
    scan.add_argument(
        "--verify-live",
        action="store_true",
        help="cross-check VPCE007 with iam:SimulatePrincipalPolicy (identity, boundary and SCP layers; "
        "needs iam:SimulatePrincipalPolicy); disagreements become ERROR",
    )

    collect = sub.add_parser("collect", help="collect the inventory and write it as JSON")
    aws_options(collect)
    collect.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")

    rules = sub.add_parser("rules", help="the rule catalogue")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    listing = rules_sub.add_parser("list", help="print the rule catalogue")
    listing.add_argument("--rules", action="append", type=Path, metavar="DIR")
    rules_sub.add_parser("schema", help="print the JSON Schema of a rule file")
    rules_sub.add_parser("docs", help="print the rule catalogue as Markdown (docs/rules.md)")

    report = sub.add_parser("report", help="render a saved JSON result again, without AWS access")
    report.add_argument(
        "--from", dest="from_file", type=Path, required=True, metavar="FILE", help="a result written by --format json"
    )
    report_options(report)

    permissions = sub.add_parser("permissions", help="print the least-privilege IAM policy the scan needs")
    permissions.add_argument(
        "--verify-live",
        action="store_true",
        help="include what `scan --verify-live` adds (iam:SimulatePrincipalPolicy)",
    )
    return parser


def _progress() -> object:
    if not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        # Region names and resource ids come from AWS: escaped, so they cannot move the cursor or retitle.
        sys.stderr.write(f"\r\x1b[K{terminal(message)[:120]}")
        sys.stderr.flush()

    return show


def _exit_code(result: ScanResult, fail_on: Severity) -> int:
    if result.failures(fail_on):
        return EXIT_FINDINGS
    return EXIT_OK if result.is_complete else EXIT_INCOMPLETE


def _sarif_category(value: str) -> str:
    """`--sarif-category` as GitHub matches it: literally, so no whitespace, control or invisible characters
    (a trailing space or a bidi mark would make a category that only looks like the intended one)."""
    from scanner.report.sarif import sarif_category

    shown = terminal(repr(value))
    for index, char in enumerate(value):
        if unicodedata.category(char)[0] in "CZ":
            raise UsageError(
                f"--sarif-category {shown}: character {index + 1} is whitespace or a control character "
                f"(U+{ord(char):04X}); a SARIF category is one word such as vpce-scan/aws/prod"
            )
    if not value.strip("/"):
        raise UsageError(f"--sarif-category {shown}: the SARIF category is empty; give one such as vpce-scan/aws/prod")
    return sarif_category(value)


def _report_targets(args: argparse.Namespace) -> list[tuple[Format, Path | None]]:
    """The (format, output) pairs of --format/--output, checked before any work is done."""
    formats: list[Format] = list(args.format or ["text"])
    outputs: list[Path | None] = list(args.output or [])
    if outputs and len(outputs) != len(formats):
        raise UsageError(f"give one --output per --format ({len(formats)} formats, {len(outputs)} outputs)")
    if not outputs:
        if len(formats) > 1:
            raise UsageError("several --format values need one --output each")
        outputs = [None]
    check_outputs(outputs)
    if args.sarif_category is not None:
        _sarif_category(args.sarif_category)
    if args.prices is not None:
        from scanner.report.prices import load_price_table

        load_price_table(args.prices)  # a bad price file is a usage error before any scan starts
    return list(zip(formats, outputs, strict=True))


def _write_reports(result: ScanResult, args: argparse.Namespace, targets: list[tuple[Format, Path | None]]) -> bool:
    """Write every report; one that fails is named on one line and never stops the others. True if all
    were written."""
    from scanner.report import RenderOptions, render

    written = True
    for fmt, output in targets:
        colour = fmt == "text" and output is None and sys.stdout.isatty()
        options = RenderOptions(
            colour=colour,
            show_passed=args.show_passed,
            sarif_category=args.sarif_category,
            prices_path=args.prices,
            nat_gb_per_month=args.nat_gb_per_month,
        )
        try:
            write_output(render(result, fmt, options), output)
        except (OSError, RenderError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) else exc.message
            where = terminal(str(output)) if output is not None else "stdout"
            print(f"vpce-scan: error: {where}: cannot write the {fmt} report: {terminal(str(detail))}", file=sys.stderr)
            written = False
    return written


def _verdict(result: ScanResult, fail_on: Severity, written: bool) -> int:
    return _exit_code(result, fail_on) if written else EXIT_REPORT_NOT_WRITTEN


def _run_scan(args: argparse.Namespace) -> int:
    from scanner.config import DEFAULT_PARAMS, ScanConfig
    from scanner.scan import scan

    targets = _report_targets(args)
    if args.no_default_rules and not args.rules:
        raise UsageError("--no-default-rules needs at least one --rules DIR")
    baseline = _csv(args.baseline) if args.baseline else ("sts",)
    config = ScanConfig(
        regions=tuple(args.region or ()),
        all_regions=args.all_regions,
        profile=args.profile,
        inventory_path=args.inventory,
        demo=args.demo,
        rule_dirs=tuple(args.rules or ()),
        include_bundled_rules=not args.no_default_rules,
        select=_csv(args.select),
        ignore=_csv(args.ignore),
        fail_on=args.fail_on,
        baseline=() if baseline == ("none",) else baseline,
        params={**DEFAULT_PARAMS, "endpoint_allowed_sources": list(args.allow_endpoint_source or [])},
        verify_live=args.verify_live,
        timeout=args.timeout,
    )
    progress = _progress()
    result = scan(config, progress=progress)  # type: ignore[arg-type]
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
    with stage("rendering reports"):
        written = _write_reports(result, args, targets)
    return _verdict(result, config.fail_on, written)


def _load_result(path: Path) -> ScanResult:
    """A ScanResult written by `--format json`; any other file is a one-line error (exit 2)."""
    from scanner.results import RESULT_SCHEMA_VERSION
    from scanner.versioned import load_versioned

    remedy = "write one with `vpce-scan --format json --output FILE` (this version)"
    return load_versioned(path, ScanResult, what="result", version=RESULT_SCHEMA_VERSION, remedy=remedy)


def _run_report(args: argparse.Namespace) -> int:
    targets = _report_targets(args)
    with stage("reading the result"):
        result = _load_result(args.from_file)
    with stage("rendering reports"):
        written = _write_reports(result, args, targets)
    return _verdict(result, args.fail_on, written)


def _run_collect(args: argparse.Namespace) -> int:
    from scanner.collect import collect_account
    from scanner.collect.deadline import Deadline

    check_writable(args.output)
    progress = _progress()
    with stage("collecting"):
        inventory = collect_account(
            args.profile,
            tuple(args.region or ()),
            all_regions=args.all_regions,
            progress=progress,  # type: ignore[arg-type]
            deadline=Deadline.after(args.timeout),
        )
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
    for error in inventory.errors:
        print(f"vpce-scan: {terminal(error.describe())}", file=sys.stderr)
    try:
        write_output(inventory.dump_json() + "\n", args.output)
    except OSError as exc:
        where = terminal(str(args.output))
        print(f"vpce-scan: error: {where}: cannot write the inventory: {exc.strerror}", file=sys.stderr)
        return EXIT_REPORT_NOT_WRITTEN
    return EXIT_INCOMPLETE if inventory.errors else EXIT_OK


def _run_rules(args: argparse.Namespace) -> int:
    import json

    from scanner.config import bundled_path
    from scanner.engine.loader import load_rules
    from scanner.engine.spec import RuleSpec

    if args.rules_command == "schema":
        print(json.dumps(RuleSpec.model_json_schema(by_alias=True), indent=2))
        return EXIT_OK
    if args.rules_command == "docs":
        from scanner.report.catalogue import render_rule_docs

        sys.stdout.write(render_rule_docs(load_rules([bundled_path("rules")])))
        return EXIT_OK
    rules = load_rules([bundled_path("rules"), *(args.rules or [])])
    for rule in rules:
        spec = rule.spec
        print(terminal(f"{spec.id}  {spec.name:32} {spec.severity.value:8} {spec.title}"))
    return EXIT_OK


def _run_permissions(verify_live: bool) -> int:
    import json

    from scanner.collect import required_actions, simulate

    actions = sorted({*required_actions(), *(simulate.ACTIONS if verify_live else ())})
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "VpceScanReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    print(json.dumps(policy, indent=2))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    if not any(a in COMMANDS for a in arguments[:1]) and not {"-h", "--help", "--version"} & set(arguments[:1]):
        arguments = [a for a in arguments if a != "--debug"]
        arguments.insert(0, "scan")
    elif debug:
        arguments = [a for a in arguments if a != "--debug"]
    try:
        args = _parser().parse_args(arguments)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    try:
        match args.command:
            case "scan":
                return _run_scan(args)
            case "collect":
                return _run_collect(args)
            case "rules":
                return _run_rules(args)
            case "report":
                return _run_report(args)
            case "permissions":
                return _run_permissions(args.verify_live)
        raise UsageError(f"unknown command {args.command!r}")
    except VpceScanError as exc:
        if debug:
            raise
        print(f"vpce-scan: error: {terminal(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("vpce-scan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # outside every named stage: still one line, never a traceback
        if debug:
            raise
        internal = InternalError(f"running `{args.command}`", exc)
        print(f"vpce-scan: error: {internal.message}", file=sys.stderr)
        return internal.exit_code


if __name__ == "__main__":
    sys.exit(main())
