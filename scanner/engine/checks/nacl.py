"""nacl_allows: network ACLs pass the endpoint traffic both ways.

Evaluated exactly: the entries of an ACL are applied in rule-number order to the whole rectangle
(peer addresses x ports); an allow removes its part, a deny touching what remains blocks, and
whatever is left at the end meets the implicit deny."""

from __future__ import annotations

from ipaddress import IPv4Network

from scanner.engine.checks.base import CheckContext, IncompleteData, Outcome, Problem, register
from scanner.engine.commands import Arguments, TemplateValue
from scanner.engine.spec import NaclAllowsCheck
from scanner.inventory.endpoint_use import WorkloadNeed
from scanner.inventory.network import NetworkAcl, NetworkAclEntry, Subnet

_BLOCKED_VARS = (
    "network_acl_id",
    "subnet_id",
    "direction",
    "direction_flag",
    "peer_cidr",
    "port_from",
    "port_to",
    "blocking_rule",
)
Rect = tuple[int, int, int, int]  # first address, last address, first port, last port (inclusive)
_LAST_RULE = 32766


def _entry_rect(entry: NetworkAclEntry) -> Rect | None:
    if entry.cidr_block is None or entry.protocol not in ("-1", "6"):
        return None
    low, high = int(entry.cidr_block.network_address), int(entry.cidr_block.broadcast_address)
    if entry.protocol == "-1" or entry.port_range is None:
        return low, high, 0, 65535
    return low, high, entry.port_range.from_, entry.port_range.to


def _intersect(a: Rect, b: Rect) -> Rect | None:
    r = (max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3]))
    return r if r[0] <= r[1] and r[2] <= r[3] else None


def _subtract(a: Rect, b: Rect) -> list[Rect]:
    cut = _intersect(a, b)
    if cut is None:
        return [a]
    pieces = [
        (a[0], cut[0] - 1, a[2], a[3]),
        (cut[1] + 1, a[1], a[2], a[3]),
        (cut[0], cut[1], a[2], cut[2] - 1),
        (cut[0], cut[1], cut[3] + 1, a[3]),
    ]
    return [p for p in pieces if p[0] <= p[1] and p[2] <= p[3]]


def first_block(acl: NetworkAcl, egress: bool, peer: IPv4Network, ports: tuple[int, int]) -> int | None:
    """None when tcp to/from every address of `peer` on every port in `ports` is allowed; else the
    number of the blocking deny entry, or 0 for the implicit deny."""
    remaining: list[Rect] = [(int(peer.network_address), int(peer.broadcast_address), ports[0], ports[1])]
    for entry in sorted(acl.entries, key=lambda e: e.rule_number):
        if entry.egress is not egress:
            continue
        rect = _entry_rect(entry)
        if rect is None:
            continue
        if entry.rule_action == "deny":
            if any(_intersect(r, rect) for r in remaining):
                # 32767 is the ACL's built-in catch-all: report it as the implicit deny.
                return 0 if entry.rule_number > _LAST_RULE else entry.rule_number
            continue
        remaining = [piece for r in remaining for piece in _subtract(r, rect)]
        if not remaining:
            return None
    return 0


def _free_rule_number(acl: NetworkAcl, egress: bool, below: int, reserved: set[int]) -> int | None:
    """A number for a new allow entry: just before the blocking deny, or after the last entry; never one
    already used or proposed by another fix of the same result. None when every number below is taken."""
    used = {e.rule_number for e in acl.entries if e.egress is egress} | reserved
    if below == 0:
        top = max((n for n in used if n <= _LAST_RULE), default=0)
        return min(_LAST_RULE, (top // 10 + 1) * 10)
    return next((n for n in range(below - 1, 0, -1) if n not in used), None)


def _entry(acl: NetworkAcl, egress: bool, number: int) -> NetworkAclEntry:
    return next(e for e in acl.entries if e.egress is egress and e.rule_number == number)


def _renumbered(
    acl: NetworkAcl, egress: bool, blocking: int, count: int, reserved: set[int]
) -> tuple[list[int], dict[str, TemplateValue]] | None:
    """The deny at `blocking` has no free number before it: its number and the next `count - 1` take the
    allows, and the deny moves after them. None when the numbers up to the next entry are not free."""
    deny = _entry(acl, egress, blocking)
    used = {e.rule_number for e in acl.entries if e.egress is egress} | reserved
    later = min((n for n in used if n > blocking), default=_LAST_RULE + 1)
    numbers = list(range(blocking, blocking + count + 1))
    if numbers[-1] >= later:
        return None
    reserved.update(numbers)
    ports = ("--port-range", f"From={deny.port_range.from_},To={deny.port_range.to}") if deny.port_range else ()
    return numbers[:-1], {
        "deny_rule_number": str(blocking),
        "deny_protocol": deny.protocol,
        "deny_port_args": Arguments(ports),
        "deny_cidr": str(deny.cidr_block),
        "moved_rule_number": str(numbers[-1]),
    }


def _acl(need: WorkloadNeed, subnet: Subnet) -> NetworkAcl:
    acl = need.workload.inventory.network_acl_for_subnet(subnet.subnet_id, need.workload.gaps)
    if acl is None:
        raise IncompleteData(f"no network ACL known for {subnet.subnet_id}")
    return acl


@register(
    "nacl_allows",
    problems={
        "blocked": (*_BLOCKED_VARS, "rule_number"),
        # No free rule number before the blocking deny: the deny is replaced by the allow and moved after it.
        "blocked_renumber": (
            *_BLOCKED_VARS,
            "deny_rule_number",
            "deny_protocol",
            "deny_port_args",
            "deny_cidr",
            "moved_rule_number",
        ),
        # Not even the numbers after the blocking deny are free: the ACL needs renumbering by hand.
        "blocked_no_room": _BLOCKED_VARS,
    },
    requires=("ec2:DescribeNetworkAcls", "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries"),
)
def check_nacl_allows(spec: NaclAllowsCheck, subject: object, ctx: CheckContext) -> Outcome:
    """Network ACLs let tcp/port out from workload subnets to the endpoint and the ephemeral return back."""
    assert isinstance(subject, WorkloadNeed)
    workload, endpoint = subject.workload, subject.endpoint
    if endpoint is None:
        raise IncompleteData("no endpoint to check")
    if not workload.subnets:
        raise IncompleteData(f"the subnets of {workload.name} are not in the inventory")
    service = (spec.port, spec.port)
    ephemeral = (spec.ephemeral_ports.from_, spec.ephemeral_ports.to)
    # (acl, egress, peer, ports, the subnet the acl guards)
    legs: list[tuple[NetworkAcl, bool, IPv4Network, tuple[int, int], str]] = []
    if endpoint.is_gateway:
        name = f"com.amazonaws.{workload.region}.s3"
        prefix_list = workload.inventory.complete_prefix_list(name, workload.gaps)
        if prefix_list is None or not prefix_list.cidrs:
            raise IncompleteData(f"the addresses of prefix list {name} are not in the inventory")
        for subnet in workload.subnets:
            acl = _acl(subject, subnet)
            for cidr in prefix_list.cidrs:
                legs.append((acl, True, cidr, service, subnet.subnet_id))
                legs.append((acl, False, cidr, ephemeral, subnet.subnet_id))
    else:
        endpoint_subnets = subject.endpoint_subnets
        if len(endpoint_subnets) != len(endpoint.subnet_ids):
            raise IncompleteData(f"subnets of {endpoint.vpc_endpoint_id} are not all in the inventory")
        for task_subnet in workload.subnets:
            for endpoint_subnet in endpoint_subnets:
                if task_subnet.subnet_id == endpoint_subnet.subnet_id:
                    continue  # traffic inside one subnet never crosses its ACL
                task_acl, endpoint_acl = _acl(subject, task_subnet), _acl(subject, endpoint_subnet)
                legs += [
                    (task_acl, True, endpoint_subnet.cidr_block, service, task_subnet.subnet_id),
                    (endpoint_acl, False, task_subnet.cidr_block, service, endpoint_subnet.subnet_id),
                    (endpoint_acl, True, task_subnet.cidr_block, ephemeral, endpoint_subnet.subnet_id),
                    (task_acl, False, endpoint_subnet.cidr_block, ephemeral, task_subnet.subnet_id),
                ]
    problems: dict[tuple[str, bool, str, tuple[int, int]], Problem] = {}
    reserved: dict[tuple[str, bool], set[int]] = {}
    # Legs blocked by a deny with no free number before it, grouped per deny: they are fixed together.
    crowded: dict[
        tuple[str, bool, int], list[tuple[tuple[str, bool, str, tuple[int, int]], dict[str, TemplateValue]]]
    ] = {}
    acls: dict[str, NetworkAcl] = {}
    checked: list[str] = []
    for acl, egress, peer, ports, subnet_id in legs:
        direction = "outbound" if egress else "inbound"
        blocking = first_block(acl, egress, peer, ports)
        checked.append(
            f"{acl.network_acl_id} {direction} {peer} tcp/{ports[0]}-{ports[1]}: "
            + ("allowed" if blocking is None else "blocked")
        )
        key = (acl.network_acl_id, egress, str(peer), ports)
        if blocking is None or key in problems or any(key == k for group in crowded.values() for k, _ in group):
            continue
        values: dict[str, TemplateValue] = {
            "network_acl_id": acl.network_acl_id,
            "subnet_id": subnet_id,
            "direction": direction,
            "direction_flag": "--egress" if egress else "--ingress",
            "peer_cidr": str(peer),
            "port_from": str(ports[0]),
            "port_to": str(ports[1]),
            "blocking_rule": f"rule {blocking} (deny)" if blocking else "the implicit deny",
        }
        taken = reserved.setdefault((acl.network_acl_id, egress), set())
        number = _free_rule_number(acl, egress, blocking, taken)
        if number is None:
            acls[acl.network_acl_id] = acl
            crowded.setdefault((acl.network_acl_id, egress, blocking), []).append((key, values))
        else:
            taken.add(number)
            problems[key] = Problem("blocked", {**values, "rule_number": str(number)})
    for (acl_id, egress, blocking), group in crowded.items():
        taken = reserved.setdefault((acl_id, egress), set())
        plan = _renumbered(acls[acl_id], egress, blocking, len(group), taken)
        for index, (key, values) in enumerate(group):
            if plan is None:
                problems[key] = Problem("blocked_no_room", values)
            elif index == 0:
                problems[key] = Problem("blocked_renumber", {**values, **plan[1]})
            else:
                problems[key] = Problem("blocked", {**values, "rule_number": str(plan[0][index])})
    evidence = {"legs": sorted(set(checked))}
    return Outcome.failed(list(problems.values()), **evidence) if problems else Outcome.passed(**evidence)
