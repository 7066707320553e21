"""Per workload: its needs with a state each, and the geometry of the small path diagram.

The diagram has the workload's AZs (with their subnets) on the left and one box per needed endpoint on
the right, joined by one edge per (AZ, need). A need's state comes from the results about it:

    fail     a rule on that endpoint or need failed                         (red)
    error    a rule could not decide                                         (amber)
    missing  no endpoint exists (VPCE001 reports it; the other rules skip)   (amber, dashed)
    skipped  every rule skipped it                                           (grey)
    pass     every rule that ran passed                                      (green)
    unknown  no rule looked at it                                            (grey, dashed)

An Interface endpoint with no network interface in an AZ gets a red dashed edge from that AZ.
Only numbers and text leave this module; the template draws the SVG and escapes the text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.results import NeedSummary, Result, ScanResult, Status, WorkloadSummary

if TYPE_CHECKING:
    from scanner.report.html_view import FindingView

STATES = ("fail", "error", "missing", "skipped", "pass", "unknown")
_STATE_RANK = {s: i for i, s in enumerate(STATES)}

WIDTH = 640
_AZ_X, _AZ_W = 8, 250
_EP_X, _EP_W = 420, 212
_EP_H, _EP_GAP = 38, 8
_AZ_HEAD, _AZ_LINE, _AZ_GAP = 22, 15, 10
_MARGIN = 8


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int
    state: str
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Edge:
    d: str  # SVG path data: numbers and commands only
    state: str
    dashed: bool
    title: str


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    azs: list[Box]
    endpoints: list[Box]
    edges: list[Edge]


MAX_CHIPS = 14


@dataclass(frozen=True)
class NeedView:
    need: NeedSummary
    state: str
    findings: list[FindingView]
    uncovered_azs: list[str]

    @property
    def chips(self) -> list[FindingView]:
        return self.findings[:MAX_CHIPS]

    @property
    def more(self) -> int:
        return max(len(self.findings) - MAX_CHIPS, 0)


@dataclass(frozen=True)
class WorkloadView:
    workload: WorkloadSummary
    azs: list[str]
    needs: list[NeedView]
    diagram: Diagram | None
    # Results about the workload that are not about one of its needs (routes, role, images, AZs).
    checks: list[FindingView]
    worst: str

    @property
    def check_chips(self) -> list[FindingView]:
        return self.checks[:MAX_CHIPS]

    @property
    def more_checks(self) -> int:
        return max(len(self.checks) - MAX_CHIPS, 0)


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def combine(states: Sequence[str]) -> str:
    return min(states, key=_STATE_RANK.__getitem__) if states else "unknown"


def _result_state(r: Result) -> str:
    return {Status.FAIL: "fail", Status.ERROR: "error", Status.SKIPPED: "skipped", Status.PASS: "pass"}[r.status]


def need_state(need: NeedSummary, results: Sequence[Result]) -> str:
    states = [_result_state(r) for r in results]
    if need.endpoint_id is None:
        # VPCE001's FAIL is the missing endpoint itself; anything worse than that is still shown.
        worse = [s for s in states if s == "error"]
        return combine(worse) if worse else "missing"
    ran = [s for s in states if s != "skipped"]
    return combine(ran) if ran else ("skipped" if states else "unknown")


def _diagram(w: WorkloadSummary, azs: list[str], needs: list[NeedView]) -> Diagram:
    subnets_by_az: dict[str, list[str]] = defaultdict(list)
    for s in w.subnets:
        subnets_by_az[s.availability_zone].append(f"{s.subnet_id} {s.cidr_block}")
    az_heights = [_AZ_HEAD + _AZ_LINE * len(subnets_by_az[az]) for az in azs]
    left = sum(az_heights) + _AZ_GAP * max(len(azs) - 1, 0)
    right = len(needs) * _EP_H + _EP_GAP * max(len(needs) - 1, 0)
    height = max(left, right) + 2 * _MARGIN

    az_boxes, y = [], _MARGIN + (height - 2 * _MARGIN - left) // 2
    for az, h in zip(azs, az_heights, strict=True):
        az_boxes.append(
            Box(
                x=_AZ_X,
                y=y,
                w=_AZ_W,
                h=h,
                state="az",
                title=f"{az}: task subnets",
                lines=[clip(az), *(clip(s) for s in subnets_by_az[az])],
            )
        )
        y += h + _AZ_GAP

    ep_boxes, edges, y = [], [], _MARGIN + (height - 2 * _MARGIN - right) // 2
    for nv in needs:
        n = nv.need
        where = n.endpoint_id or "missing"
        kind = f"{n.endpoint_type or 'no endpoint'}{', recommended' if n.recommended else ''}"
        ep_boxes.append(
            Box(
                x=_EP_X,
                y=y,
                w=_EP_W,
                h=_EP_H,
                state=nv.state,
                title=f"{n.service_name}: {where} ({kind}): {nv.state}",
                lines=[clip(f"{n.service} · {nv.state}", 36), clip(where, 36)],
            )
        )
        y2 = y + _EP_H // 2
        for az, box in zip(azs, az_boxes, strict=True):
            y1 = box.y + box.h // 2
            gap = az in nv.uncovered_azs
            state = "fail" if gap else nv.state
            dashed = gap or nv.state in ("missing", "unknown")
            title = (
                f"{az} → {n.service}: no endpoint network interface in {az}"
                if gap
                else f"{az} → {n.service} ({where}): {nv.state}"
            )
            x1, x2 = _AZ_X + _AZ_W, _EP_X
            mid = (x1 + x2) // 2
            edges.append(Edge(d=f"M{x1} {y1}C{mid} {y1} {mid} {y2} {x2} {y2}", state=state, dashed=dashed, title=title))
        y += _EP_H + _EP_GAP
    return Diagram(width=WIDTH, height=height, azs=az_boxes, endpoints=ep_boxes, edges=edges)


def workload_views(result: ScanResult, findings: Sequence[FindingView]) -> list[WorkloadView]:
    by_qualifier: dict[tuple[str, str], list[FindingView]] = defaultdict(list)
    by_resource: dict[str, list[FindingView]] = defaultdict(list)
    by_workload: dict[str, list[FindingView]] = defaultdict(list)
    for f in findings:
        r = f.result
        if r.workload and r.qualifier:
            by_qualifier[(r.workload, r.qualifier)].append(f)
        by_resource[r.resource_id].append(f)
        if r.workload:
            by_workload[r.workload].append(f)

    views = []
    for w in result.workloads:
        azs = sorted({s.availability_zone for s in w.subnets})
        used: set[int] = set()
        needs = []
        for n in w.needs:
            related = list(by_qualifier.get((w.arn, f"{w.name}/{n.service}"), []))
            seen = {f.index for f in related}
            if n.endpoint_id:
                related += [
                    f
                    for f in by_resource.get(n.endpoint_id, [])
                    if f.result.workload in (None, w.arn) and f.index not in seen
                ]
            related.sort(key=lambda f: f.index)
            used.update(f.index for f in related)
            uncovered = (
                [az for az in azs if az not in n.endpoint_azs]
                if n.endpoint_id and n.endpoint_type == "Interface"
                else []
            )
            needs.append(
                NeedView(
                    need=n, state=need_state(n, [f.result for f in related]), findings=related, uncovered_azs=uncovered
                )
            )
        checks = [f for f in by_workload.get(w.arn, []) if f.index not in used]
        worst = combine(
            [_result_state(f.result) for nv in needs for f in nv.findings] + [_result_state(f.result) for f in checks]
        )
        views.append(
            WorkloadView(
                workload=w,
                azs=azs,
                needs=needs,
                checks=checks,
                worst=worst,
                diagram=_diagram(w, azs, needs) if azs and needs else None,
            )
        )
    return views
