"""Generic kinds: attribute, set_covers, all_of, each."""

from __future__ import annotations

from scanner.engine.checks.base import (
    CheckContext,
    Outcome,
    Problem,
    all_hold,
    combine,
    display,
    holds,
    register,
    run_check,
)
from scanner.engine.commands import Arguments
from scanner.engine.paths import resolve
from scanner.engine.spec import AllOfCheck, AttributeCheck, EachCheck, SetCoversCheck

ATTRIBUTE_VARS = ("path", "observed", "expected")


@register("attribute", problems={"*": ATTRIBUTE_VARS})
def check_attribute(spec: AttributeCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The value at `path` satisfies one operator (equals, not_equals, in, not_in, exists, min_items, max_items)."""
    predicate = spec.predicate()
    verdict = holds(predicate, subject, ctx)
    observed = resolve(subject, spec.path)
    if verdict is None:
        return Outcome.error(f"{spec.path} is unknown")
    if verdict:
        return Outcome.passed(**{spec.path: display(observed)})
    expected = f"{predicate.operator.replace('_', ' ')} {display(ctx.operand(predicate.operand))}"
    problem = Problem(
        spec.problem,
        {"path": spec.path, "observed": display(observed), "expected": expected},
        spec.severity,
    )
    return Outcome.failed([problem], **{spec.path: display(observed)})


@register("set_covers", problems={"*": ("missing", "missing_ids")})
def check_set_covers(spec: SetCoversCheck, subject: object, ctx: CheckContext) -> Outcome:
    """Every item of the list at `required` (compared by its `key`) is in the list at `provided`."""
    required = resolve(subject, spec.required)
    provided = resolve(subject, spec.provided)
    if required is None or provided is None:
        return Outcome.error(f"{spec.required if required is None else spec.provided} is unknown")
    provided_set = {str(p) for p in provided}
    missing: dict[str, str] = {}
    for item in required:
        key = str(resolve(item, spec.key) if spec.key else item)
        if key not in provided_set and key not in missing:
            missing[key] = str(resolve(item, spec.item_id) if spec.item_id else key)
    evidence = {
        spec.required: sorted({str(resolve(i, spec.key) if spec.key else i) for i in required}),
        spec.provided: sorted(provided_set),
    }
    if not missing:
        return Outcome.passed(**evidence)
    problem = Problem(spec.problem, {"missing": " ".join(missing), "missing_ids": Arguments(tuple(missing.values()))})
    return Outcome.failed([problem], **evidence)


@register("all_of", problems={})
def check_all_of(spec: AllOfCheck, subject: object, ctx: CheckContext) -> Outcome:
    """Every listed check holds; each may carry its own `when`."""
    return combine([run_check(child, subject, ctx) for child in spec.checks])


class _Item:
    """The subject seen from inside `each`: the item is `item`, the subject's own attributes stay reachable."""

    def __init__(self, subject: object, item: object) -> None:
        self._subject = subject
        self.item = item

    def __getattr__(self, name: str) -> object:
        return getattr(self._subject, name)


@register("each", problems={})
def check_each(spec: EachCheck, subject: object, ctx: CheckContext) -> Outcome:
    """`check` holds for every item of the list at `path` that satisfies `where`; the item is `item`."""
    items = resolve(subject, spec.path)
    if items is None:
        return Outcome.error(f"{spec.path} is unknown")
    outcomes: list[Outcome] = []
    for item in items:
        scoped = _Item(subject, item)
        applies = all_hold(spec.where, scoped, ctx)
        if applies is None:
            outcomes.append(Outcome.error(f"cannot tell whether an item of {spec.path} applies"))
        elif applies:
            outcome = run_check(spec.check, scoped, ctx)
            extra = {name: display(resolve(scoped, path)) for name, path in spec.item_vars.items()}
            outcome.problems = [Problem(p.code, {**extra, **p.vars}, p.severity) for p in outcome.problems]
            outcomes.append(outcome)
    return combine(outcomes)
