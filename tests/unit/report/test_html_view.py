"""What the HTML templates are given: needs with states, diagram geometry, compact evidence, ordering."""

from __future__ import annotations

from scanner.report.html_diagram import combine, need_state
from scanner.report.html_view import build_view, compact, evidence_text
from scanner.results import NeedSummary, Status, SubnetSummary, WorkloadSummary
from tests.browser.builders import demo_result


def workload(name: str):  # type: ignore[no-untyped-def]
    return next(w for w in build_view(demo_result()).workloads if w.workload.name == name)


def test_need_states_follow_the_results() -> None:
    payments = workload("payments-api")
    assert {n.need.service: n.state for n in payments.needs} == dict.fromkeys(
        ["ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "ssm", "ssmmessages", "sts"], "pass"
    )
    assert payments.worst == "pass"
    orders = {n.need.service: n for n in workload("orders-api").needs}
    assert orders["logs"].state == "missing"
    assert [f.result.rule_id for f in orders["logs"].findings] == ["VPCE001", "VPCE005", "VPCE008", "VPCE009"]
    assert orders["ecr.dkr"].state == "fail"  # VPCE002 private DNS off, VPCE004 open group
    assert {f.result.rule_id for f in orders["ecr.dkr"].findings if f.result.status is Status.FAIL} == {
        "VPCE002",
        "VPCE004",
    }
    assert workload("orders-api").worst == "fail"
    analytics = workload("analytics-worker")
    assert {f.result.rule_id for f in analytics.checks if f.result.status is Status.FAIL} == {
        "VPCE006",
        "VPCE010",
        "VPCE011",
    }


def test_diagram_draws_one_edge_per_az_and_need() -> None:
    orders = workload("orders-api")
    d = orders.diagram
    assert d is not None
    assert [b.lines[0] for b in d.azs] == ["eu-west-1a", "eu-west-1b"]
    assert len(d.endpoints) == len(orders.needs) == 6 and len(d.edges) == 12
    missing = [e for e in d.edges if e.state == "missing"]
    assert len(missing) == 2 and all(e.dashed for e in missing)
    assert all(e.d.startswith("M258 ") for e in d.edges)  # path data is numbers only
    assert d.height >= 6 * 38


def test_uncovered_az_gets_a_red_dashed_edge() -> None:
    result = demo_result()
    w = result.workloads[0]
    need = w.needs[0].model_copy(update={"endpoint_azs": ["eu-west-1a"]})
    narrowed = w.model_copy(update={"needs": [need]})
    view = build_view(result.model_copy(update={"workloads": [narrowed]}))
    (nv,) = view.workloads[0].needs
    assert nv.uncovered_azs == ["eu-west-1b", "eu-west-1c"]
    d = view.workloads[0].diagram
    assert d is not None
    assert [(e.state, e.dashed) for e in d.edges] == [("pass", False), ("fail", True), ("fail", True)]


def test_workload_without_resolved_subnets_has_no_diagram() -> None:
    result = demo_result()
    lonely = WorkloadSummary.model_validate({**result.workloads[0].model_dump(), "subnets": []})
    view = build_view(result.model_copy(update={"workloads": [lonely]}))
    assert view.workloads[0].diagram is None and view.workloads[0].azs == []
    with_subnet = lonely.model_copy(
        update={"subnets": [SubnetSummary(subnet_id="subnet-1", availability_zone="a", cidr_block="10.0.0.0/24")]}
    )
    assert build_view(result.model_copy(update={"workloads": [with_subnet]})).workloads[0].diagram is not None


def test_need_state_rules() -> None:
    need = NeedSummary(service="logs", service_name="com.amazonaws.eu-west-1.logs", endpoint_id="vpce-1")
    missing = need.model_copy(update={"endpoint_id": None})
    r = demo_result().results[0]

    def res(status: Status):  # type: ignore[no-untyped-def]
        return r.model_copy(update={"status": status})

    assert need_state(need, []) == "unknown"
    assert need_state(need, [res(Status.SKIPPED)]) == "skipped"
    assert need_state(need, [res(Status.SKIPPED), res(Status.PASS)]) == "pass"
    assert need_state(need, [res(Status.PASS), res(Status.ERROR)]) == "error"
    assert need_state(need, [res(Status.ERROR), res(Status.FAIL)]) == "fail"
    assert need_state(missing, [res(Status.FAIL), res(Status.SKIPPED)]) == "missing"
    assert need_state(missing, [res(Status.FAIL), res(Status.ERROR)]) == "error"
    assert combine([]) == "unknown" and combine(["pass", "skipped", "fail"]) == "fail"


def test_findings_are_ordered_and_indexed_for_the_filters() -> None:
    view = build_view(demo_result())
    statuses = [f.result.status for f in view.findings]
    assert statuses == sorted(statuses, key=[Status.FAIL, Status.ERROR, Status.SKIPPED, Status.PASS].index)
    rule_ids = [r.info.id for r in view.rules]
    for f in view.findings:
        status, severity, rule, account = f.filters.split(" ")
        assert (status, severity) == (f.result.status.value, f.result.severity.value)
        assert rule_ids[int(rule)] == f.result.rule_id and view.accounts[int(account)] == f.result.account
    vpce004 = next(r for r in view.rules if r.info.id == "VPCE004")
    assert vpce004.tally.by_status[Status.FAIL] == 4 and len(vpce004.failing) == 4 and vpce004.unlisted == 0


def test_evidence_is_compact_text() -> None:
    assert compact({"id": "vpce-1", "ok": True, "n": None}) == "{id: vpce-1, ok: true, n: null}"
    assert compact(["a", "b"]) == "a, b" and compact([]) == "(none)" and compact(3) == "3"
    assert compact([{"a": [1, 2]}]) == "[{a: [1, 2]}]"
    assert compact("x" * 3000).endswith("… (1000 more characters)")
    r = demo_result().results[0].model_copy(update={"message": "m", "evidence": {"k": "v", "problems": ["m"]}})
    assert evidence_text(r) == "k: v"  # the problem the message already states is not repeated
