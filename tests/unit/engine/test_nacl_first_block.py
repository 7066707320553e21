"""nacl.first_block: the exact evaluation of one network ACL for tcp between a peer CIDR and a port range."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

import pytest

from scanner.engine.checks.nacl import first_block
from scanner.inventory.network import NetworkAcl
from tests.builders import Json, acl_entry

OUT, IN = True, False
HTTPS = (443, 443)
EPHEMERAL = (32768, 65535)
PEER = "10.0.1.0/24"


def allow_all(number: int = 100, egress: bool = OUT) -> Json:
    return acl_entry(number, "allow", egress=egress, protocol="-1")


def catch_all(egress: bool = OUT) -> Json:
    return acl_entry(32767, "deny", egress=egress, protocol="-1")


@dataclass(frozen=True)
class Row:
    name: str
    entries: list[Json]
    expected: int | None  # None: allowed; 0: the implicit deny; n: blocked by deny rule n
    egress: bool = OUT
    peer: str = PEER
    ports: tuple[int, int] = HTTPS


ROWS = [
    Row("no entries: implicit deny", [], 0),
    Row("default ACL: allow all, then the catch-all", [allow_all(), catch_all()], None),
    Row("only the catch-all 32767 is reported as the implicit deny", [catch_all()], 0),
    Row("a deny at 32766 is a rule of its own", [acl_entry(32766, "deny", egress=OUT, protocol="-1")], 32766),
    Row("a deny at rule 1", [acl_entry(1, "deny", egress=OUT, protocol="-1"), allow_all()], 1),
    Row("deny before allow", [acl_entry(90, "deny", egress=OUT, ports=HTTPS), allow_all()], 90),
    Row("allow before deny", [allow_all(90), acl_entry(100, "deny", egress=OUT, ports=HTTPS)], None),
    Row(
        "entries apply in rule-number order, not list order",
        [allow_all(200), acl_entry(100, "deny", egress=OUT, protocol="-1")],
        100,
    ),
    Row("the other direction does not count", [acl_entry(50, "deny", egress=IN, protocol="-1"), allow_all()], None),
    Row("only the other direction allows", [allow_all(egress=IN)], 0),
    Row("allow covers the port exactly", [acl_entry(100, "allow", egress=OUT, ports=HTTPS)], None),
    Row("allow on another port", [acl_entry(100, "allow", egress=OUT, ports=(80, 80))], 0),
    Row("allow on a range around the port", [acl_entry(100, "allow", egress=OUT, ports=(0, 1023))], None),
    Row(
        "partial port coverage of the ephemeral range",
        [acl_entry(100, "allow", egress=IN, ports=(32768, 60999))],
        0,
        egress=IN,
        ports=EPHEMERAL,
    ),
    Row(
        "two allows covering the ephemeral range",
        [
            acl_entry(100, "allow", egress=IN, ports=(32768, 49999)),
            acl_entry(110, "allow", egress=IN, ports=(50000, 65535)),
        ],
        None,
        egress=IN,
        ports=EPHEMERAL,
    ),
    Row("partial CIDR coverage", [acl_entry(100, "allow", egress=OUT, cidr="10.0.1.0/25", ports=HTTPS)], 0),
    Row(
        "two halves of the CIDR",
        [
            acl_entry(100, "allow", egress=OUT, cidr="10.0.1.0/25", ports=HTTPS),
            acl_entry(110, "allow", egress=OUT, cidr="10.0.1.128/25", ports=HTTPS),
        ],
        None,
    ),
    Row("a wider allow covers the peer", [acl_entry(100, "allow", egress=OUT, cidr="10.0.0.0/16", ports=HTTPS)], None),
    Row(
        "deny on a disjoint CIDR is ignored",
        [acl_entry(90, "deny", egress=OUT, cidr="192.0.2.0/24", protocol="-1"), allow_all()],
        None,
    ),
    Row("deny on a disjoint port is ignored", [acl_entry(90, "deny", egress=OUT, ports=(22, 22)), allow_all()], None),
    Row(
        "deny of a part still to be decided blocks",
        [
            acl_entry(100, "allow", egress=OUT, cidr="10.0.1.0/25", ports=HTTPS),
            acl_entry(110, "deny", egress=OUT, cidr="10.0.1.0/24", ports=HTTPS),
            allow_all(120),
        ],
        110,
    ),
    Row(
        "deny of a part already allowed does not block",
        [
            acl_entry(100, "allow", egress=OUT, cidr="10.0.1.0/25", ports=HTTPS),
            acl_entry(110, "deny", egress=OUT, cidr="10.0.1.0/25", ports=HTTPS),
            acl_entry(120, "allow", egress=OUT, cidr="10.0.1.128/25", ports=HTTPS),
        ],
        None,
    ),
    Row("udp deny does not block tcp", [acl_entry(90, "deny", egress=OUT, protocol="17"), allow_all()], None),
    Row("udp allow does not allow tcp", [acl_entry(100, "allow", egress=OUT, protocol="17")], 0),
    Row(
        "IPv6 entries are ignored",
        [
            {"RuleNumber": 90, "Protocol": "-1", "RuleAction": "deny", "Egress": OUT, "Ipv6CidrBlock": "::/0"},
            allow_all(),
        ],
        None,
    ),
    Row("a /32 peer", [acl_entry(100, "allow", egress=OUT, cidr="10.0.1.7/32", ports=HTTPS)], None, peer="10.0.1.7/32"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_first_block(row: Row) -> None:
    acl = NetworkAcl.model_validate({"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": row.entries})
    assert first_block(acl, row.egress, IPv4Network(row.peer), row.ports) == row.expected
