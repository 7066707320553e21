"""Fix commands are pasted into a shell: a value from AWS or a file arrives as exactly the argument(s) it
was meant to be, and runs nothing, wherever the template puts it; ordinary ids render as they always did.

The commands run for real under `bash -c`, with `aws` replaced by a stub on PATH that records its argv,
in an empty directory (apart from two decoy files a glob would match): a side effect is a new file.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import shutil
import string
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner.demo import demo_inventory
from scanner.engine import evaluate as evaluate_module
from scanner.engine.commands import (
    ARGUMENT_LISTS,
    Arguments,
    TemplateValue,
    command_template_problem,
    parse_command,
    render_command,
)
from scanner.engine.evaluate import build_context, evaluate, evaluate_in
from scanner.engine.loader import load_rule_file, load_rules
from scanner.engine.subjects import SUBJECT_TYPES
from scanner.errors import RuleFileError
from scanner.inventory.root import Inventory
from scanner.results import Status
from tests.builders import SERVICE, SUBNET_A, SUBNET_B, TASK_SG, Scenario, broken_network
from tests.rules.test_vpce009 import UDP_1_TO_3, one_leg_denied
from tests.unit.engine.test_loader import VALID as LOADER_VALID

RULES = load_rules([Path(__file__).resolve().parents[3] / "rules"])
DECOYS = ("decoy-a", "decoy-b")

# Each runs something, expands something or ends a quote if it is not quoted right.
HOSTILE_SCALARS = (
    "x'y\"z $(touch pwned1) `touch pwned2`;touch pwned3|touch pwned4&touch pwned5>pwned6\n touch pwned7 \\ $HOME !! #",
    "~root=*?[d]{a,b}decoy*",
    "'",
    '\\"',
    "",
)
HOSTILE_LISTS = (
    Arguments((HOSTILE_SCALARS[0], HOSTILE_SCALARS[1])),
    Arguments(("sg-1", "'")),
    Arguments(()),
)

_STUB = """#!/bin/bash
# The aws CLI, replaced: appends its argument count and arguments, NUL-separated, to $AWS_STUB_LOG.
printf '%s\\0' "$#" "$@" >> "$AWS_STUB_LOG"
echo stub-output
"""


@dataclass(frozen=True)
class Shell:
    stub_dir: Path

    def run(self, script: str, workdir: Path) -> list[list[str]]:
        """The argv of every aws call `script` makes; asserts it left no file behind."""
        workdir.mkdir()
        for decoy in DECOYS:
            (workdir / decoy).touch()
        log = workdir.parent / f"{workdir.name}.log"
        log.touch()
        env = {"PATH": f"{self.stub_dir}:/usr/bin:/bin", "AWS_STUB_LOG": str(log), "HOME": str(workdir)}
        subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script], cwd=workdir, env=env, capture_output=True, timeout=30
        )
        assert sorted(p.name for p in workdir.iterdir()) == list(DECOYS), f"side effect of:\n{script}"
        fields = log.read_bytes().decode().split("\0")[:-1]
        calls: list[list[str]] = []
        while fields:
            count = int(fields[0])
            calls.append(fields[1 : count + 1])
            fields = fields[count + 1 :]
        return calls


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    stub_dir = tmp_path_factory.mktemp("stub")
    stub = stub_dir / "aws"
    stub.write_text(_STUB)
    stub.chmod(0o755)
    return Shell(stub_dir)


class Workdirs:
    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0

    def __call__(self) -> Path:
        self.count += 1
        return self.root / f"run{self.count}"


# ---- every template of every rule, hostile values in every variable ----------------------------------


def _fix_templates() -> Iterator[tuple[str, str]]:
    for rule in RULES:
        for code, commands in rule.spec.fix.items():
            for index, command in enumerate(commands):
                yield f"{rule.id}.{code}.{index}", command


# Templates an author might write to get around the quoting: each must be made safe too.
TRICKY = (
    ("quotes-in-quotes", """aws s3 cp --a '"$vpc_id"' --b "'$vpc_id'" --c "x'$vpc_id'y" """),
    ("assignment", 'X=$vpc_id; Y=a$vpc_id aws s3 cp --a $vpc_id$vpc_id --b=$vpc_id,$vpc_id --c "$$X" "$$Y"'),
    ("substitution", 'N=$$(aws s3 ls $vpc_id "$vpc_id"); aws s3 cp "$$(aws s3 ls --x "$vpc_id")" "$$N"'),
    ("subshell", "(aws s3 ls $subnet_ids; aws s3 cp $vpc_id) && aws s3 mv '$vpc_id'\"$vpc_id\"$vpc_id"),
    ("comment", "aws s3 ls $vpc_id # the rest is a comment: $vpc_id $subnet_ids '\"$vpc_id"),
    ("escapes", 'aws s3 ls \\$$HOME "\\$$HOME $vpc_id \\"" \\\' $vpc_id'),
)


def _variables(template: str) -> list[str]:
    return sorted({p.name for p in parse_command(template).placeholders})


def _benign(names: list[str]) -> dict[str, TemplateValue]:
    """A distinct safe token per variable (one per list): where each value lands in the argv."""
    return {name: Arguments((f"Tok{i}x",)) if name in ARGUMENT_LISTS else f"Tok{i}x" for i, name in enumerate(names)}


def _hostile(names: list[str], variant: int) -> dict[str, TemplateValue]:
    return {
        name: HOSTILE_LISTS[variant % len(HOSTILE_LISTS)]
        if name in ARGUMENT_LISTS
        else HOSTILE_SCALARS[variant % len(HOSTILE_SCALARS)]
        for name in names
    }


def _intended(
    calls: list[list[str]], benign: Mapping[str, TemplateValue], hostile: Mapping[str, TemplateValue]
) -> list[list[str]]:
    """The benign run's argv with each token replaced by its hostile value: a list token by its items."""
    lists = {str(benign[n]): hostile[n] for n in benign if isinstance(benign[n], Arguments)}
    scalars = {str(benign[n]): str(hostile[n]) for n in benign if not isinstance(benign[n], Arguments)}
    intended: list[list[str]] = []
    for call in calls:
        argv: list[str] = []
        for arg in call:
            if arg in lists:
                value = lists[arg]
                assert isinstance(value, Arguments)
                argv.extend(value.items)
                continue
            for token, value_text in scalars.items():
                arg = arg.replace(token, value_text)
            argv.append(arg)
        intended.append(argv)
    return intended


@pytest.mark.parametrize(
    "template", [t for _, t in (*_fix_templates(), *TRICKY)], ids=[i for i, _ in (*_fix_templates(), *TRICKY)]
)
def test_hostile_values_arrive_as_the_intended_arguments_and_run_nothing(
    template: str, shell: Shell, tmp_path: Path
) -> None:
    assert command_template_problem(template) is None
    names = _variables(template)
    workdir = Workdirs(tmp_path)
    benign = _benign(names)
    benign_calls = shell.run(render_command(template, benign), workdir())
    for variant in range(len(HOSTILE_SCALARS)):
        hostile = _hostile(names, variant)
        rendered = render_command(template, hostile)
        assert shell.run(rendered, workdir()) == _intended(benign_calls, benign, hostile), rendered


def test_the_shipped_fixes_call_aws_with_every_variable() -> None:
    """The harness above sees the values: every command template that is not a comment calls the stub."""
    for name, template in _fix_templates():
        if not template.startswith("#"):
            assert "aws " in template, name


# Every context at once; shlex.split (POSIX) must give back each value as exactly its argument(s).
EVERY_CONTEXT = "aws s3 cp $v --a x$v --b \"$v\" --c '$v' --d \"a $v b\" --e 'a $v b' --f=$v,$v $ids --g '\"$v\"'"
_ALPHABET = "ab -_=,./:@%+'\"\\$`!*?[]{}~#;&|<>()^\n\t\r\x1b\u202e\u2028é"


def test_random_values_split_back_into_exactly_the_intended_words() -> None:
    generator = random.Random(7)
    for _ in range(3000):
        value = "".join(generator.choice(_ALPHABET) for _ in range(generator.randint(0, 12)))
        items = tuple("".join(generator.choice(_ALPHABET) for _ in range(generator.randint(0, 6))) for _ in range(2))
        count = generator.randint(0, 2)
        rendered = render_command(EVERY_CONTEXT, {"v": value, "ids": Arguments(items[:count])})
        v = value
        assert shlex.split(rendered) == [
            *("aws", "s3", "cp", v, "--a", f"x{v}", "--b", v, "--c", v, "--d", f"a {v} b", "--e", f"a {v} b"),
            *(f"--f={v},{v}", *items[:count], "--g", f'"{v}"'),
        ], rendered


# ---- ordinary ids render byte-identically ------------------------------------------------------------

ORDINARY: dict[str, TemplateValue] = {
    "policy_document": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"*"}]}',
    "network_configuration": "awsvpcConfiguration={subnets=[subnet-1,subnet-2],securityGroups=[sg-1],"
    "assignPublicIp=DISABLED}",
    "free_cidr": "<a free CIDR block of vpc-0abc>",
    "other_az": "<an AZ of eu-west-1 other than eu-west-1a>",
    "denied_by": "statement 1 (Sid Deny) of inline policy deny-all of role app-execution",
}


def _ordinary(name: str) -> TemplateValue:
    if name in ARGUMENT_LISTS:
        return Arguments(("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"))
    if name.endswith(("_document", "_permissions", "_configuration")) and name != "network_configuration":
        return ORDINARY["policy_document"]
    return ORDINARY.get(name, "arn:aws:ecs:eu-west-1:111122223333:service/prod/api-1.0_x+y@z%w=v,u")


@pytest.mark.parametrize("template", [t for _, t in _fix_templates()], ids=[i for i, _ in _fix_templates()])
def test_ordinary_values_render_exactly_as_plain_substitution(template: str) -> None:
    values = {name: _ordinary(name) for name in _variables(template)}
    plain = string.Template(template).safe_substitute({k: str(v) for k, v in values.items()})
    assert render_command(template, values) == plain


def test_an_empty_argument_list_leaves_no_argument_and_no_gap() -> None:
    template = "aws ec2 x --protocol $p $deny_port_args --cidr-block $c"
    assert render_command(template, {"p": "-1", "deny_port_args": Arguments(()), "c": "0.0.0.0/0"}) == (
        "aws ec2 x --protocol -1 --cidr-block 0.0.0.0/0"
    )
    ports = Arguments(("--port-range", "From=443,To=443"))
    assert render_command(template, {"p": "6", "deny_port_args": ports, "c": "10.0.0.0/8"}) == (
        "aws ec2 x --protocol 6 --port-range From=443,To=443 --cidr-block 10.0.0.0/8"
    )


def test_a_comment_shows_a_newline_as_an_escape() -> None:
    assert render_command("# start $name tasks", {"name": "a\nrm -rf ~\u2028"}) == "# start a\\x0arm -rf ~\\u2028 tasks"


# ---- the value kinds: Vars and problems give lists exactly where ARGUMENT_LISTS says ----------------


def test_argument_lists_are_the_values_that_are_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, set[bool]] = {}

    def recording(template: str, values: Mapping[str, TemplateValue]) -> str:
        for name in _variables(template):
            if name in values:
                seen.setdefault(name, set()).add(isinstance(values[name], Arguments))
        return render_command(template, values)

    monkeypatch.setattr(evaluate_module, "render_command", recording)
    renumbered = one_leg_denied(UDP_1_TO_3, 4).build()  # a NACL fix that moves a deny: deny_port_args
    for inventory in (demo_inventory(), broken_network(), renumbered):
        context = build_context(inventory)
        for subject_type in SUBJECT_TYPES.values():
            for _, info in subject_type.enumerate(context):
                for name in info.vars:
                    seen.setdefault(name, set()).add(isinstance(info.vars[name], Arguments))
        evaluate_in(RULES, context)
    assert {name for name, kinds in seen.items() if True in kinds} <= ARGUMENT_LISTS
    assert not [name for name, kinds in seen.items() if name in ARGUMENT_LISTS and False in kinds]
    assert {"missing_ids", "subnet_ids", "deny_port_args", "route_table_ids"} <= seen.keys()


# ---- templates no quoting can make safe are refused when the rule loads -------------------------------

# The loader tests' valid rule with a second fix line, FIX, that each case replaces.
VALID = LOADER_VALID.replace(
    "    - aws ec2 modify-vpc-endpoint --region $region --vpc-endpoint-id $endpoint_id --private-dns-enabled\n",
    "    - aws ec2 describe-vpc-endpoints --region $region\n    - FIX\n",
)
assert "    - FIX" in VALID


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("aws ec2 x --a \\$endpoint_id", "a backslash before a placeholder"),
        ('aws ec2 x --a "\\$endpoint_id"', "a backslash before a placeholder"),
        ("aws ec2 x --a `echo $endpoint_id`", "backquotes are not supported"),
        ("aws ec2 x --a $$$endpoint_id", "a placeholder right after $$"),
        ("aws ec2 x --a $${HOME:-$endpoint_id}", "inside $${...}"),
        ("aws ec2 x --a $$'$endpoint_id'", "ANSI-C quoting"),
        ("aws ec2 x --a '$endpoint_id", "unterminated single quote"),
        ('aws ec2 x --a "$endpoint_id', "unterminated double quote"),
        ("aws ec2 x --a $$(echo $endpoint_id", "unterminated ("),
        ("aws ec2 x --a $endpoint_id*", "unquoted '*' in a word with a placeholder"),
        ("aws ec2 x --a {$endpoint_id,b}", "unquoted '{' in a word with a placeholder"),
        ("aws ec2 x --a ~$endpoint_id", "unquoted '~' in a word with a placeholder"),
        ("$endpoint_id --help", "in a command name"),
        ("aws ec2 x > $endpoint_id.json", "the target of a redirection"),
        ("aws ec2 x 2>> $endpoint_id", "the target of a redirection"),
        ("aws ec2 x; $region-tool --help", "in a command name"),
        ('aws ec2 x --ids "$endpoint_security_group_ids"', "must stand alone as an unquoted word"),
        ("aws ec2 x --ids=$endpoint_security_group_ids", "must stand alone as an unquoted word"),
        ("aws ec2 x --ids '[$endpoint_security_group_ids]'", "must stand alone as an unquoted word"),
    ],
)
def test_the_loader_refuses_a_fix_whose_values_cannot_be_quoted(tmp_path: Path, command: str, expected: str) -> None:
    path = tmp_path / "TEST001.yaml"
    path.write_text(VALID.replace("FIX", json.dumps(command)))
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    assert raised.value.line == VALID.splitlines().index("    - FIX") + 1
    assert str(raised.value).startswith(f"{path}:{raised.value.line}: fix.private_dns_off.1: ")
    assert expected in raised.value.detail


def test_the_loader_refuses_a_multi_line_fix(tmp_path: Path) -> None:
    path = tmp_path / "TEST001.yaml"
    path.write_text(VALID.replace("FIX", json.dumps("aws ec2 x --a $endpoint_id\ntouch pwned")))
    with pytest.raises(RuleFileError, match="control character"):
        load_rule_file(path)


def test_the_loader_accepts_the_valid_template(tmp_path: Path) -> None:
    path = tmp_path / "TEST001.yaml"
    path.write_text(VALID.replace("FIX", 'aws ec2 x --ids $endpoint_security_group_ids --name "$service_name"'))
    assert load_rule_file(path).spec.fix["private_dns_off"][1].startswith("aws ec2 x")


# ---- a scan of an account whose names are hostile -----------------------------------------------------

PAYLOAD = "'\"$(touch pwned)`touch pwned`;touch pwned|touch pwned\n&touch pwned #"
_IDS = re.compile(r"\b((?:vpc|subnet|sg|rtb|vpce|igw|nat|acl|eni|pl)-[0-9a-z]+|payments|orders|analytics|prod)\b")
# Options whose argument is a JSON document: it must still parse.
_JSON_OPTIONS = (
    "--policy-document",
    "--policy",
    "--policy-text",
    "--resource-policy",
    "--ip-permissions",
    "--replication-configuration",
    "--network-configuration",  # shorthand for ordinary ids, JSON for these
)


def _hostile_names(value: object) -> object:
    """Every id and name (cluster, services, families, so roles, images, log groups) with PAYLOAD appended."""
    if isinstance(value, str):
        return _IDS.sub(lambda m: m.group(1) + PAYLOAD, value)
    if isinstance(value, list):
        return [_hostile_names(v) for v in value]
    if isinstance(value, dict):
        return {k: _hostile_names(v) for k, v in value.items()}
    return value


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def test_pasting_every_fix_of_a_scan_with_hostile_names_runs_nothing(shell: Shell, tmp_path: Path) -> None:
    inventory = Inventory.model_validate(_hostile_names(demo_inventory().model_dump(mode="json", by_alias=True)))
    failed = [r for r in evaluate(RULES, inventory) if r.status is Status.FAIL]
    assert {r.rule_id for r in failed} == {rule.id for rule in RULES}  # every rule's fixes are exercised
    workdir = Workdirs(tmp_path)
    carried: set[str] = set()  # the rules whose commands received a payload
    for result in failed:
        calls = shell.run("\n".join(result.remediation), workdir())
        assert calls, result.remediation
        for argv in calls:
            for option, arg in zip(["", *argv], argv, strict=False):
                if option in _JSON_OPTIONS:
                    arg = json.loads(arg)
                for text in _strings(arg):
                    # The payload arrives whole or not at all: no fragment of it was split off or run.
                    assert text.count("touch pwned") == 5 * text.count(PAYLOAD), (result.rule_id, text)
                    if PAYLOAD in text:
                        carried.add(result.rule_id)
    # VPCE011's finding here (a Docker Hub image, not renamed) has no renamed id in its commands.
    assert carried == {rule.id for rule in RULES} - {"VPCE011"}


def test_an_id_that_would_rewrite_the_shorthand_turns_the_network_configuration_into_json() -> None:
    """`subnet-a],assignPublicIp=ENABLED` in shorthand would turn the public IP back on: JSON instead."""
    scenario = Scenario.compliant()
    awsvpc = scenario.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]
    awsvpc["assignPublicIp"] = "ENABLED"
    sneaky = f"{SUBNET_A}],assignPublicIp=ENABLED,x=[y"
    dumped = json.dumps(scenario.build().model_dump(mode="json", by_alias=True)).replace(
        f'"{SUBNET_A}"', json.dumps(sneaky)
    )
    inventory = Inventory.model_validate(json.loads(dumped))
    [public_ip] = [r for r in evaluate(RULES, inventory) if r.rule_id == "VPCE006" and r.status is Status.FAIL]
    argv = shlex.split(public_ip.remediation[0])
    configuration = json.loads(argv[argv.index("--network-configuration") + 1])
    assert configuration == {
        "awsvpcConfiguration": {
            "subnets": [sneaky, SUBNET_B],
            "securityGroups": [TASK_SG],
            "assignPublicIp": "DISABLED",
        }
    }
