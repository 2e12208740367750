"""axe-core in the page under test, with the WCAG 2.1 A and AA rules, as a readable assertion.

axe-core's ``axe.min.js`` comes from the pinned PyPI package ``axe-playwright-python``, which
vendors it: nothing is fetched while the tests run. Only the file is used; the run and the report
are ours, so the rules and the failure message are explicit here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pytest
from playwright.sync_api import Page

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return {
    version: results.testEngine.version,
    passes: results.passes.map((rule) => rule.id),
    incomplete: results.incomplete.map((rule) => rule.id),
    violations: results.violations.map((rule) => ({
      id: rule.id,
      impact: rule.impact,
      help: rule.help,
      helpUrl: rule.helpUrl,
      nodes: rule.nodes.map((node) => ({
        target: node.target.join(" "),
        html: node.html,
        summary: node.failureSummary,
      })),
    })),
  };
}"""


@cache
def axe_source() -> str:
    """The vendored ``axe.min.js``."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_results(page: Page) -> dict[str, Any]:
    """Run axe-core on the page as it is now (WCAG 2.1 A and AA rules only)."""
    # Through the DevTools protocol, so the page's own CSP (no inline script) does not apply.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(_RUN, list(WCAG_TAGS))


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violated rule: id, impact, help, and each node with why it fails."""
    lines: list[str] = []
    for rule in violations:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}  <{rule['helpUrl']}>")
        for node in rule["nodes"]:
            lines.append(f"    at {node['target']}")
            lines.append(f"       {node['html'][:200]}")
            for reason in (node["summary"] or "").splitlines():
                if reason.strip():
                    lines.append(f"       {reason.strip()}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> dict[str, Any]:
    """Fail with every WCAG 2.1 A/AA violation axe-core finds on ``page`` (named ``what``)."""
    results = axe_results(page)
    # A run that checked nothing would pass vacuously: axe must have run rules that held.
    assert results["version"].startswith("4."), results["version"]
    assert len(results["passes"]) >= 5, f"axe checked almost nothing on {what}: {results}"
    if results["violations"]:
        pytest.fail(
            f"axe-core {results['version']} found {len(results['violations'])} WCAG 2.1 A/AA "
            f"violation(s) on {what} ({page.url}):\n{describe(results['violations'])}",
            pytrace=False,
        )
    return results
