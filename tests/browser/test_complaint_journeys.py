"""The complaint closed loop (客诉, issue 18) in the browser: the complaint team files a complaint
on a phone and takes it through every stage — acknowledged, judged, investigated, two options
proposed — the head of customer service picks one at a desk, the handler implements it, the
customer accepts, the callback is recorded and the complaint is evaluated and closed. A second
complaint is judged invalid and closes with its explanation. Every page passes axe."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.choices import ComplaintState
from complaints.models import Complaint
from network.choices import Role
from tests.browser.support import DESKTOP, PHONE, follow, visit
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_a_complaint_runs_every_stage(page_as, net):
    handler = make_user("wumin", net.hq, Role.COMPLAINT_TEAM, first_name="吴敏")
    head = net.head
    promised = (timezone.localdate() + timedelta(days=5)).isoformat()

    # 1. the handler files it on her phone
    p = page_as(handler, PHONE)
    visit(p, "/complaints/")
    follow(p, p.get_by_role("link", name="登记投诉"))
    p.get_by_label("投诉人").fill("李先生")
    p.get_by_label("联系电话").fill("13800138000")
    p.get_by_label("投诉类别").select_option(label="维修时效")
    p.get_by_label("设备序列号").fill("GX1-0001")
    p.get_by_label("投诉内容").fill("送修两周未寄回")
    follow(p, p.get_by_role("button", name="受理投诉"))
    complaint = Complaint.objects.get()
    p.get_by_text(complaint.number).first.wait_for()

    # 2. acknowledged, judged, investigated, two options, proposed
    follow(p, p.get_by_role("button", name="确认受理（短信告知客户）"))
    p.get_by_label("投诉是否成立").select_option(label="成立，展开调查")
    follow(p, p.get_by_role("button", name="提交判断"))
    p.get_by_label("投诉原因").fill("维修排期未同步")
    p.get_by_label("问题性质").select_option(label="服务问题")
    p.get_by_label("责任部门").select_option(label=net.hq.name)
    follow(p, p.get_by_role("button", name="保存调查结果"))
    for text in ("致歉并赠送一年延保", "致歉"):
        p.get_by_label("方案内容").fill(text)
        p.get_by_label("承诺完成日期").fill(promised)
        follow(p, p.get_by_role("button", name="添加方案"))
    follow(p, p.get_by_role("button", name="提交方案审批"))
    p.get_by_text("方案待审批").first.wait_for()

    # 3. the head of customer service picks the first at a desk
    d = page_as(head, DESKTOP)
    visit(d, complaint.get_absolute_url())
    d.get_by_label("选定方案").select_option(label="致歉并赠送一年延保")
    follow(d, d.get_by_role("button", name="批准选定方案"))
    d.get_by_text("方案已批准").first.wait_for()

    # 4. implemented, the customer accepts, the callback, the evaluation
    visit(p, complaint.get_absolute_url())
    follow(p, p.get_by_role("button", name="开始实施"))
    p.get_by_label("措施类型").select_option(label="额外服务")
    p.get_by_label("措施说明").fill("延保一年已登记")
    follow(p, p.get_by_role("button", name="登记措施"))
    follow(p, p.get_by_role("button", name="实施完成，通知客户确认"))
    p.locator("#act-accept").get_by_label("客户意见").fill("接受")
    follow(p, p.get_by_role("button", name="客户接受方案"))
    p.get_by_label("回访结果").fill("客户满意")
    p.get_by_label("客户是否满意").select_option(label="满意")
    follow(p, p.get_by_role("button", name="登记回访结果"))
    p.get_by_label("投诉分类").select_option(label="有效投诉")
    p.get_by_label("根本原因").fill("维修进度不透明")
    p.get_by_label("改进措施").fill("超过 5 天自动短信告知进度")
    follow(p, p.get_by_role("button", name="结案"))
    p.get_by_text("已结案").first.wait_for()
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED

    # 5. an invalid one closes with its explanation
    visit(p, "/complaints/new/")
    p.get_by_label("投诉人").fill("郑先生")
    p.get_by_label("投诉类别").select_option(label="其他")
    p.get_by_label("投诉内容").fill("要求免费升级")
    follow(p, p.get_by_role("button", name="受理投诉"))
    p.get_by_label("投诉是否成立").select_option(label="不成立，婉转答复客户并结案")
    p.get_by_label("不成立说明").fill("免费升级不在保修范围内")
    follow(p, p.get_by_role("button", name="提交判断"))
    p.get_by_text("免费升级不在保修范围内").first.wait_for()
    assert Complaint.objects.filter(state=ComplaintState.INVALID).count() == 1
    visit(d, "/complaints/?view=closed")


def test_a_penalty_is_proposed_and_confirmed_and_feedback_answered(page_as, net):
    """Issue 18 items 4 and 5: the handler proposes a penalty from the complaint page on a
    phone, the head of customer service confirms it at a desk and opens the person's ledger; the
    product-quality complaint's feedback gets development's reply, recorded by the supervisor."""
    from complaints.models import ComplaintPenalty, ProductFeedback
    from complaints.services import complaints as svc

    handler = make_user("wumin", net.hq, Role.COMPLAINT_TEAM, first_name="吴敏")
    sup = make_user("fenglei", net.hq, Role.SUPERVISOR, first_name="冯磊")
    c = svc.create_complaint(
        actor=handler,
        complainant_name="李总",
        content="同批次设备频繁死机",
        category="product_quality",
        channel="call",
        product_model="GPS-X1",
    )
    c = svc.judge(c, actor=handler, valid=True, severity=c.severity)
    svc.record_investigation(
        c,
        actor=handler,
        cause="批次不良未及时上报",
        problem_type="technical",
        responsible_unit=net.hq,
        responsible_person=net.repair_sup,
    )

    p = page_as(handler, PHONE)
    visit(p, c.get_absolute_url())
    follow(p, p.get_by_role("link", name="提出处罚"))
    p.locator("#id_kind").select_option(label="扣除奖金")
    p.locator("#id_amount").fill("800")
    p.get_by_label("处罚理由").fill("多次返修未及时上报")
    follow(p, p.get_by_role("button", name="提出处罚"))
    p.get_by_text("待确认").first.wait_for()
    penalty = ComplaintPenalty.objects.get()

    d = page_as(net.head, DESKTOP)
    visit(d, penalty.get_absolute_url())
    d.locator("#act-confirm").get_by_label("说明").fill("按制度扣除")
    follow(d, d.get_by_role("button", name="确认处罚"))
    d.get_by_text("已确认").first.wait_for()
    follow(d, d.get_by_role("link", name="个人处罚台账"))
    d.get_by_text("¥800.00").first.wait_for()
    penalty.refresh_from_db()
    assert penalty.state == "confirmed"

    item = ProductFeedback.objects.get()
    s = page_as(sup, DESKTOP)
    visit(s, "/complaints/feedback/")
    follow(s, s.get_by_role("link", name=item.number))
    s.locator("#id_reply-reply").fill("已改用 105℃ 电容")
    s.get_by_label("开发部回复人").fill("开发部 陈工")
    follow(s, s.get_by_role("button", name="登记回复"))
    s.get_by_text("开发部已回复").first.wait_for()
    item.refresh_from_db()
    assert item.state == "answered"


def test_the_statistics_draw_their_charts_and_a_serial_leads_to_its_timeline(page_as, net):
    """A complaint supervisor reads the year's statistics on a phone (the charts drawn, the
    period changed, the Excel offered) and follows a repeat serial to its timeline; the handler
    reaches the same timeline from the complaint page."""
    from complaints.services import complaints as svc

    handler = make_user("wumin2", net.hq, Role.COMPLAINT_TEAM, first_name="吴敏")
    supervisor = make_user("fenglei", net.hq, Role.SUPERVISOR, first_name="冯磊")
    filed = [
        svc.create_complaint(
            actor=handler,
            complainant_name=f"客户{i}",
            content="送修两周未寄回",
            category=category,
            channel="call",
            product_model="GPS-X1",
            serial_number="GX1-0009",
        )
        for i, category in enumerate(("repair_time", "charges"))
    ]

    p = page_as(supervisor, PHONE)
    visit(p, "/complaints/statistics/")
    p.locator("#chart-months svg").first.wait_for()
    p.locator("#chart-categories svg").first.wait_for()
    assert p.locator("[data-figure=total]").inner_text() == "2"
    assert p.get_by_role("link", name="导出 Excel").is_visible()
    p.get_by_label("自").fill(f"{timezone.localdate().year}-01-01")
    follow(p, p.get_by_role("button", name="查看"))
    follow(p, p.locator("#repeat-serials").get_by_role("link", name="GX1-0009"))
    p.get_by_role("heading", name="设备时间线 GX1-0009").wait_for()
    for complaint in filed:
        p.get_by_text(complaint.number).first.wait_for()

    d = page_as(handler, DESKTOP)
    visit(d, filed[0].get_absolute_url())
    follow(d, d.get_by_role("link", name="设备时间线"))
    d.get_by_text(filed[1].number).first.wait_for()
