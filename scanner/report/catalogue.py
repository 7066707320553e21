"""The rule catalogue as Markdown (docs/rules.md), the page each rule's SARIF helpUri points at."""

from __future__ import annotations

from scanner.engine.loader import Rule


def render_rule_docs(rules: list[Rule]) -> str:
    lines = [
        "# vpce-scan rules",
        "",
        "Generated from `rules/*.yaml` by `vpce-scan rules docs > docs/rules.md`; do not edit by hand.",
        "",
        "| id | name | severity | title |",
        "|---|---|---|---|",
    ]
    for rule in rules:
        spec = rule.spec
        anchor = f"{spec.id.lower()}-{spec.name}"
        lines.append(f"| [{spec.id}](#{anchor}) | {spec.name} | {spec.severity.value} | {spec.title} |")
    for rule in rules:
        spec = rule.spec
        lines += [
            "",
            f"## {spec.id} {spec.name}",
            "",
            f"**{spec.title}** (severity: {spec.severity.value}; "
            f"subject: `{spec.resource}`; tags: {', '.join(spec.tags) or 'none'})",
            "",
        ]
        if spec.description:
            lines += [spec.description.strip(), ""]
        lines += ["**Why.** " + spec.rationale.strip(), "", "**Fix.** " + spec.remediation.strip(), ""]
        lines += ["References:", ""] + [f"- <{reference}>" for reference in spec.references]
    return "\n".join(lines) + "\n"
