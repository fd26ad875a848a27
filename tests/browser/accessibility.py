"""axe-core in the page a test drives: the serious and critical WCAG 2.1 A/AA violations it finds.

The engine is npm's axe-core, vendored in tests/browser/vendor/ (vendor_axe.sh: pinned version,
integrity-checked; MPL-2.0, licence beside it). It is evaluated through the DevTools protocol
rather than added as a <script>: the pages' Content-Security-Policy (script-src 'self') refuses an
injected script, and the tests keep that policy on to catch the pages' own violations.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def axe_violations(target, what: str, rules: List[str] | None = None) -> List[str]:
    """One line per serious or critical violation in `target` (a Page or a Frame), for `what`."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "rule", "values": rules}} if rules else {"runOnly": {"type": "tag", "values": WCAG_AA}}
    result = target.evaluate("options => axe.run(document, options)", options)
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        nodes = "; ".join(" ".join(node["target"]) + " — " + node.get("failureSummary", "").replace("\n", " ")
                          for node in violation["nodes"][:4])
        found.append(f"{what}: {violation['id']} ({violation['impact']}): {nodes}")
    return found
