"""The login page refuses a guessed password after five failures, even the right one, for a
quarter of an hour; every response carries a Content-Security-Policy that allows no inline
script, and no template has one (issue 15, item 24)."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, net):
    user = net.dealer_user
    user.set_password("right-password-1")
    user.save()
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            page = login(client, user.username, "wrong")
            assert page.status_code == 200 and "_auth_user_id" not in client.session
        page = login(client, user.username, "right-password-1")
        assert page.status_code == 200 and "_auth_user_id" not in client.session
        assert "登录失败次数过多，请 15 分钟后再试。" in page.text
        # another account from the same address is not locked by these five
        net.clerk.set_password("clerk-password-1")
        net.clerk.save()
        assert login(client, net.clerk.username, "clerk-password-1").status_code == 302
        client.logout()
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        assert login(client, user.username, "right-password-1").status_code == 302


def test_a_success_resets_the_count(client, net):
    user = net.dealer_user
    user.set_password("right-password-1")
    user.save()
    for _ in range(4):
        login(client, user.username, "wrong")
    assert login(client, user.username, "right-password-1").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, user.username, "wrong")
    assert login(client, user.username, "right-password-1").status_code == 302


def test_every_response_has_a_policy_without_inline_scripts(client, net):
    client.force_login(net.head)
    for url in (reverse("login"), reverse("my_work"), "/api/v1/me", "/api/docs/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        ), url
        assert "frame-ancestors 'none'" in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    for path in Path(settings.BASE_DIR).glob("**/templates/**/*.html"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text):
            offenders.append(str(path))
    assert offenders == []
