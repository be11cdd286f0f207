"""The page checks themselves (tests/browser/support.py): a journey that passes must mean the
pages passed, so each check is shown to catch what it is for."""

import pytest

from tests.browser.support import PHONE, checkpoint, visit

pytestmark = pytest.mark.browser


def test_the_checks_catch_a_serious_axe_violation_and_a_page_wider_than_a_phone(
    page_as, net, findings
):
    page = page_as(net.gz_engineer, PHONE)
    visit(page, "/")
    assert findings.items == [] and len(findings.checked) == 1
    page.evaluate(
        """() => {
          const main = document.getElementById("main");
          main.insertAdjacentHTML("beforeend",
            '<div id="too-wide" style="width: 600px">wide</div>' +
            '<img src="/static/service_ops/favicon.svg">');
        }"""
    )
    checkpoint(page, label="broken on purpose")
    found = {(f.kind, f.rule) for f in findings.items}
    assert ("axe", "image-alt") in found
    assert ("overflow", "scrolls-sideways") in found
    wide = next(f for f in findings.items if f.kind == "overflow")
    assert any("div#too-wide" in target for target in wide.targets)
    assert "broken on purpose" in findings.report()
    findings.items.clear()  # the defects were planted: the test itself passes
