"""The browser journeys' toolkit: which browser, the viewports, and the checks every visited page
passes (tests/browser/conftest.py holds the fixtures built on it).

Each page a journey reaches — by `visit(page, url)`, or by `checkpoint(page)` after a click that
loaded a new page or swapped part of one — is checked, and what it finds is recorded rather than
raised, so one run reports every defect of the journey at once (conftest.py fails the test with
the whole list at its end):

- axe-core (npm `axe-core`, from node_modules; never copied into the repository), WCAG 2.x A/AA
  rules plus axe's best practices, keeping the violations of impact serious or critical;
- at a phone width (≤ 480 px), the page never scrolls sideways: the document is no wider than the
  viewport (the widest offending elements are named);
- no JavaScript error or Content-Security-Policy refusal in the console, no failed request for
  the site's own assets, and no server error (≥ 500) for the page itself.

Rules are switched off in one place only, `AXE_DISABLED_RULES`, each with its reason.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import weakref
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# (width, height, is_mobile): the people of DESIGN.md §1 and their screens.
PHONE = {"width": 390, "height": 844, "mobile": True}  # field engineers, dealers, approvers
TABLET = {"width": 820, "height": 1180, "mobile": True}  # technicians at the bench
DESKTOP = {"width": 1366, "height": 900, "mobile": False}  # the clerk, supervisors, signers
PHONE_MAX_WIDTH = 480  # at or below this width a page must not scroll sideways

IMPACTS_THAT_FAIL = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# rule id -> why it is off. Keep this the only place a rule is disabled.
AXE_DISABLED_RULES: dict[str, str] = {}


def chromium_path() -> str | None:
    """Debian's chromium (apt), or CHROMIUM_PATH; never a browser Playwright downloads."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_reason() -> str | None:
    """Why the browser journeys cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "needs the playwright package (pyproject.toml [test]: make test installs it)"
    if chromium_path() is None:
        return "needs Debian's chromium (apt-get install chromium) or CHROMIUM_PATH"
    if not AXE_JS.is_file():
        return "needs node_modules/axe-core (npm ci installs it from package.json)"
    return None


# --- what the checks find ----------------------------------------------------------------------


@dataclass
class Finding:
    url: str
    viewport: str
    kind: str  # "axe", "overflow", "console", "http"
    rule: str
    impact: str = ""
    detail: str = ""
    targets: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"[{self.kind}] {self.rule}"
        if self.impact:
            head += f" ({self.impact})"
        lines = [f"{head} at {self.url} ({self.viewport})"]
        if self.detail:
            lines.append(f"    {self.detail}")
        lines.extend(f"    - {target}" for target in self.targets[:8])
        if len(self.targets) > 8:
            lines.append(f"    - … and {len(self.targets) - 8} more")
        return "\n".join(lines)


@dataclass
class Findings:
    """Everything the checks found during one test, and the pages they looked at."""

    items: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    pages: list = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        # A defect of the shared shell shows on every page: report it once per page and rule.
        key = (finding.kind, finding.rule, finding.url, finding.viewport, tuple(finding.targets))
        if key not in {(f.kind, f.rule, f.url, f.viewport, tuple(f.targets)) for f in self.items}:
            self.items.append(finding)

    def report(self) -> str:
        rules = sorted({f.rule for f in self.items})
        head = (
            f"{len(self.items)} problem(s) on {len({f.url for f in self.items})} of "
            f"{len(self.checked)} checked page(s); rules: {', '.join(rules)}"
        )
        return "\n".join([head, *(str(f) for f in self.items)])


# --- the checks --------------------------------------------------------------------------------

_OVERFLOW_JS = """(limit) => {
  const doc = document.documentElement;
  const width = Math.min(window.innerWidth, limit);
  const result = {scrollWidth: doc.scrollWidth, width: width, offenders: []};
  if (doc.scrollWidth <= width) return result;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim().split(/\\s+/).filter(Boolean);
    if (cls.length) s += "." + cls.slice(0, 4).join(".");
    return s;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 0.5 || scrolls(el)) continue;
    // Name the innermost offenders: skip an element whose child also sticks out.
    const child = Array.from(el.children).some(
      (c) => c.getBoundingClientRect().right > width + 0.5);
    if (!child) result.offenders.push(name(el) + " right=" + Math.round(r.right));
  }
  result.offenders = result.offenders.slice(0, 10);
  return result;
}"""

_TRANSITIONS_DONE_JS = """() => document.getAnimations().every(
  (a) => !(a instanceof CSSTransition) || a.playState !== "running")"""

_AXE_RUN_JS = """async ([tags, disabled]) => {
  const rules = {};
  for (const id of disabled) rules[id] = {enabled: false};
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, rules: rules, resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "")
      .replace(/\\s+/g, " ").slice(0, 300)),
  }));
}"""


def viewport_name(page) -> str:
    size = page.viewport_size or {}
    return f"{size.get('width')}×{size.get('height')}"


def run_checks(page, findings: Findings, *, label: str | None = None) -> None:
    """axe and the sideways-scroll check on the page as it is now; findings are recorded."""
    url = label or page.url
    viewport = viewport_name(page)
    findings.checked.append(f"{url} ({viewport})")
    page.wait_for_load_state("load")
    # A colour caught half-way through a transition (a button that came under the pointer after
    # a swap fades to its hover colours) is no contrast defect: let transitions end first.
    page.wait_for_function(_TRANSITIONS_DONE_JS)
    if os.environ.get("BROWSER_SCREENSHOTS"):  # a picture of every checked page, to look at
        folder = BASE_DIR / "var" / "browser" / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", url.split("//", 1)[-1].split("/", 1)[-1])[:80]
        shot = folder / f"{len(findings.checked):03d}-{viewport}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
    for violation in page.evaluate(_AXE_RUN_JS, [AXE_TAGS, list(AXE_DISABLED_RULES)]):
        if violation["impact"] in IMPACTS_THAT_FAIL:
            findings.add(
                Finding(
                    url=url,
                    viewport=viewport,
                    kind="axe",
                    rule=violation["id"],
                    impact=violation["impact"],
                    detail=violation["help"],
                    targets=violation["targets"],
                )
            )
    width = (page.viewport_size or {}).get("width", 10_000)
    if width <= PHONE_MAX_WIDTH:
        overflow = page.evaluate(_OVERFLOW_JS, width)
        if overflow["scrollWidth"] > overflow["width"]:
            findings.add(
                Finding(
                    url=url,
                    viewport=viewport,
                    kind="overflow",
                    rule="scrolls-sideways",
                    detail=(
                        f"document is {overflow['scrollWidth']} px wide in a "
                        f"{overflow['width']} px viewport"
                    ),
                    targets=overflow["offenders"],
                )
            )


def watch(page, findings: Findings, base_url: str) -> None:
    """Record JavaScript errors, CSP refusals, the site's own failed requests and error pages."""

    def on_console(message):
        if message.type == "error":
            source = (message.location or {}).get("url") or ""
            findings.add(
                Finding(
                    url=page.url,
                    viewport=viewport_name(page),
                    kind="console",
                    rule="console-error",
                    detail=message.text[:300] + (f" ({source})" if source else ""),
                )
            )

    def on_page_error(error):
        findings.add(
            Finding(
                url=page.url,
                viewport=viewport_name(page),
                kind="console",
                rule="javascript-error",
                detail=str(error)[:300],
            )
        )

    def on_response(response):
        # A form answered 400 with its errors is a page like any other; a missing asset is not.
        document = response.request.resource_type == "document"
        if response.url.startswith(base_url) and response.status >= (500 if document else 400):
            findings.add(
                Finding(
                    url=response.url,
                    viewport=viewport_name(page),
                    kind="http",
                    rule=f"http-{response.status}",
                    detail=f"{response.request.method} {response.request.resource_type}",
                )
            )

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)


# --- what a journey calls ---------------------------------------------------------------------

_FINDINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach(page, findings: Findings, *, who: str = "") -> None:
    """Tie a page to the findings its checks record (conftest.py's `page_as` does it).

    axe-core goes into every document the page loads as an init script: the pages' own
    Content-Security-Policy (script-src 'self') refuses an injected <script> tag
    (`add_script_tag`), and the journeys keep that policy on rather than bypass it, so that an
    inline script or handler in a template shows up as the CSP error it would be for users."""
    page.add_init_script(path=str(AXE_JS))
    _FINDINGS[page] = findings
    findings.pages.append(page)
    page.journey_user = who


def checkpoint(page, label: str | None = None) -> None:
    """Check the page as it is now: after a click that loaded a page, or after an htmx swap
    (wait for what the swap shows first). `label` names it in the report (default: the URL)."""
    page.wait_for_load_state("load")
    who = getattr(page, "journey_user", "")
    run_checks(page, _FINDINGS[page], label=label or f"{page.url} [{who}]")


def visit(page, url: str, *, status: int = 200):
    """Open `url` (relative to the live server), expect `status`, then check the page."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == status, (
        f"{url}: HTTP {response and response.status}, expected {status}"
    )
    checkpoint(page)
    return response


def follow(page, locator, *, check: bool = True) -> None:
    """Click `locator` (a link or a submit button), wait for the page it loads, check it."""
    with page.expect_navigation(wait_until="load"):
        locator.click()
    if check:
        checkpoint(page)


_HTMX_IDLE_JS = """() => !document.querySelector(
  '.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"""


def swap(page, locator, *, check: bool = True) -> None:
    """Click `locator` that makes an htmx request (a card's button, "add a row"), wait for the
    answer to be swapped in and settled, then check the page as it now is."""
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        locator.click()
    page.wait_for_function(_HTMX_IDLE_JS)
    if check:
        checkpoint(page)
