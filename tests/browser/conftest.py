"""Fixtures of the browser journeys: one headless Chromium for the session, pages logged in as
a given person at a given screen size, and the findings of every page checked (tests/browser/
support.py), reported together when the test ends.

A journey is a test marked `browser` that asks for `page_as`:

    pytestmark = pytest.mark.browser

    def test_a_dealer_follows_a_unit(page_as, net):
        page = page_as(net.dealer_user, PHONE)
        visit(page, "/repairs/returns/")           # loads, then axe + sideways-scroll checks
        follow(page, page.get_by_role("link", name="RA-…"))  # click, wait, check the new page
        ...

Where Chromium, playwright or axe-core is missing the test is skipped with the reason (tests/
conftest.py); under CI=true tests/settings.py refuses to start instead.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from django.conf import settings

from . import support


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads),
    for one test module. Playwright's sync API keeps an event loop running in this thread while
    it lives, and Django's ORM refuses to run beside a running loop unless told that the thread
    is not really async: so the browser lives per module (after the test database is set up),
    and the permission is given for that time only, never to the rest of the suite."""
    reason = support.missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=support.chromium_path(),
            headless=True,
            args=["--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def findings():
    return support.Findings()


@pytest.fixture
def page_as(browser, live_server, transactional_db, findings):
    """`page_as(user, viewport, language=None)`: a new page of its own browser context (its own
    cookies) logged in as `user` (None: logged out) at a viewport of support.py (PHONE, TABLET,
    DESKTOP), in the site's default language or `language` ("en"), whose relative URLs go to the
    live server. Every page it reaches is watched for console errors."""
    from django.test import Client

    contexts = []

    def open_page(user=None, viewport=support.DESKTOP, *, language=None):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": viewport["width"], "height": viewport["height"]},
            is_mobile=viewport["mobile"],
            has_touch=viewport["mobile"],
            locale="zh-CN",
            timezone_id=settings.TIME_ZONE,
        )
        contexts.append(context)
        if language:  # e.g. "en": as if the person had picked it in the language menu
            context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.set_default_timeout(15_000)
        support.watch(page, findings, live_server.url)
        support.attach(page, findings, who=getattr(user, "username", "anonymous"))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a journey: every finding of every checked page, together. When the journey itself
    failed, its own error stays the failure and the findings are added to the report, with a
    screenshot of each open page under var/browser/."""
    found = item.funcargs.get("findings") if hasattr(item, "funcargs") else None
    try:
        result = yield
    except BaseException:
        if found is not None:
            _screenshots(item, found)
            if found.items:
                item.add_report_section("call", "page checks", found.report())
        raise
    if found is not None and found.items:
        _screenshots(item, found)
        pytest.fail(found.report(), pytrace=False)
    return result


def _screenshots(item, found: support.Findings) -> None:
    folder = support.BASE_DIR / "var" / "browser" / re.sub(r"[^\w.-]+", "_", item.name)
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(found.pages, 1):
        with contextlib.suppress(Exception):  # a closed page has nothing to show
            page.screenshot(path=str(folder / f"{n:02d}.png"), full_page=True)
