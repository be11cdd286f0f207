"""The call agent's callback journey on a phone (DESIGN §2.3): the queue offers the shipped
repair's callback, the first call is not answered, the second reaches a dissatisfied customer —
who gets a second callback and a care SMS. Every page passes axe and fits 390 px."""

import pytest

from callcenter.choices import CallbackPurpose, CallbackState
from callcenter.models import CallbackRequest, CallbackRules
from network.choices import Role
from service_ops.notifications.models import OutboundSms
from tests.browser.support import PHONE, follow, visit
from tests.callcenter.test_callbacks import ship
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_an_agent_works_the_callback_queue_on_a_phone(page_as, net):
    ship(net, ("CB1",))
    # Callable whenever the journey runs (the windows are data): the journey is about the screens;
    # the windows themselves are pinned by tests/callcenter/test_callbacks.py with time travel.
    CallbackRules.objects.update(
        windows="00:00-23:59", working_days_only=False, retry_gap_minutes=0
    )
    task = CallbackRequest.objects.get()
    agent = make_user("agent", net.hq, Role.CALL_AGENT)
    phone = page_as(agent, PHONE)

    visit(phone, "/callcenter/callbacks/queue/")
    follow(phone, phone.get_by_role("button", name="下一个回访"))
    assert phone.url.endswith(task.get_absolute_url())
    phone.get_by_label("无人接听").check()
    follow(phone, phone.get_by_role("button", name="保存拨打结果"))
    phone.get_by_text("已记录，稍后再拨").wait_for()

    follow(phone, phone.get_by_role("button", name="下一个回访"))
    phone.get_by_label("已接通").check()
    phone.get_by_label("2 不满意").check()
    phone.get_by_label("客户意见和建议").fill("修好后还是偶尔不定位")
    follow(phone, phone.get_by_role("button", name="保存拨打结果"))
    phone.get_by_text("客户不满意").wait_for()

    task.refresh_from_db()
    assert task.state == CallbackState.DONE and task.satisfaction == 2 and task.attempt_count == 2
    second = task.followups.get()
    assert second.purpose == CallbackPurpose.DISSATISFIED
    assert OutboundSms.objects.filter(source_id=task.pk).exists()
    visit(phone, task.get_absolute_url())  # the result, the attempts and the second callback
