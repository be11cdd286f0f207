"""Issue 20's field service end to end, on 390-px phones: a customer (no login) scans a unit's QR
code, reads its warranty state (and nothing personal), reports a fault; the request is dispatched
by the rules (service areas + point profiles) to the right one of the branch's points; that
point's staff accept the offer, agree the appointment, check in with the browser's location,
upload before/after photos, write the report, get the customer's signature drawn on the canvas and
finish solved; the service record PDF carries the photos and the signature; and the call centre
holds the callback, due in 3 working days of the platform calendar.

Time is a working Wednesday (time travel, ticking), so the callback's due time is a known date
across the National Day holiday. Screenshots (and the PDF's first page as a picture) are kept in
var/browser/field_journey/."""

import io
import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from callcenter.models import CallbackRequest
from network.choices import PointGrade, Role
from repairs.choices import DispatchState, ServiceRequestState, VisitState
from repairs.models import Dispatch, FieldServicePolicy, InstalledUnit, ServiceRequest, Visit
from repairs.selectors.field_requests import dispatch_candidates
from tests.browser.support import BASE_DIR, PHONE, checkpoint, follow, visit
from tests.factories import make_user
from tests.repairs.field.points import point

pytestmark = pytest.mark.browser

Z = ZoneInfo("Asia/Shanghai")
# A working Wednesday before the October holiday: + 3 working days is Oct 8, Oct 9 and the
# make-up Saturday Oct 10 (the same reading as tests/repairs/field/test_visits_services.py).
WED = datetime(2026, 9, 30, 9, 0, tzinfo=Z)
ON_SITE = datetime(2026, 9, 30, 14, 5, tzinfo=Z)
CALLBACK_DUE = datetime(2026, 10, 10, 18, 0, tzinfo=Z)
SHOTS = BASE_DIR / "var" / "browser" / "field_journey"

OWNER_NAME, OWNER_PHONE, OWNER_ADDRESS = "陈秀英", "13800001234", "天河路 385 号 12 楼"


def photo(tmp_path, name, colour):
    path = tmp_path / name
    Image.new("RGB", (800, 600), colour).save(path, "JPEG")
    return str(path)


def draw(page, strokes):
    pad = page.locator("canvas[data-signature-pad]")
    pad.scroll_into_view_if_needed()  # the pointer draws where the pad is on the screen
    box = pad.bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def branch_points(net):
    """Three points of 广州分公司 that could take a repair in 天河区, and one rule each that
    must decide: a district installer without the repair skill (grade A), a district repair
    point (grade B: the right one), and a city-wide point of grade A (covers, less closely)."""
    installer = point(
        "SP-TH-INS", "天河安装服务站", net.gz, grade=PointGrade.A,
        areas=[("广东省", "广州市", "天河区")], skills=["install"],
    )  # fmt: skip
    tianhe = point(
        "SP-TH", "天河特约站", net.gz, grade=PointGrade.B,
        areas=[("广东省", "广州市", "天河区")], skills=["repair", "maintenance"],
    )  # fmt: skip
    city = point(
        "SP-GZ", "广州市区特约站", net.gz, grade=PointGrade.A,
        areas=[("广东省", "广州市", "")], skills=["维修", "安装"],
    )  # fmt: skip
    return installer, tianhe, city


def test_a_qr_fault_report_is_dispatched_to_the_right_point_done_on_site_and_called_back(
    page_as, net, live_server, tmp_path
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(WED, tick=True):
        FieldServicePolicy.current()
        installer, tianhe, city = branch_points(net)
        staff = make_user("tianhe_staff", tianhe, Role.SERVICE_POINT_STAFF)
        city_staff = make_user("gzcity_staff", city, Role.SERVICE_POINT_STAFF)
        unit = InstalledUnit.objects.create(
            serial_number="GX-2026-0001",
            product_model="GPS-X1",
            owner_name=OWNER_NAME,
            owner_phone=OWNER_PHONE,
            province="广东省",
            city="广州市",
            district="天河区",
            address=OWNER_ADDRESS,
            purchase_date=date(2026, 3, 18),
            dealer=net.dealer,
            org_unit=net.gz,
        )

        # --- the customer scans the card's QR code: warranty state, nothing personal ---------
        customer = page_as(None, PHONE)
        visit(customer, f"/u/{unit.qr_token}/")
        assert customer.get_by_text("保修期内").is_visible()
        text = customer.locator("body").inner_text()
        assert "GPS-X1" in text and "0001" in text
        for secret in (OWNER_NAME, OWNER_PHONE, OWNER_ADDRESS, unit.serial_number, "湘江"):
            assert secret not in customer.content(), f"the public page shows {secret!r}"
        customer.screenshot(path=str(SHOTS / "01-qr-page.png"), full_page=True)

        customer.get_by_label("联系人").fill("陈女士")
        customer.get_by_label("联系电话").fill("13900002222")
        customer.get_by_label("设备所在地址").fill("天河路 385 号 12 楼前台")
        customer.get_by_label("服务类别").select_option("repair")
        customer.get_by_label("故障描述").fill("开机后定位一直搜索不到卫星")
        customer.get_by_label("期望上门时间").fill("今天下午")
        follow(customer, customer.get_by_role("button", name="提交报修"))
        req = ServiceRequest.objects.get(unit=unit)
        assert customer.get_by_text(req.number).is_visible()
        assert req.channel == "qr" and req.in_warranty is True and req.district == "天河区"

        # --- dispatched by the rules: the district repair point, not the installer (no repair
        # skill) nor the grade-A city point (covers the address less closely) ------------------
        offer = Dispatch.objects.get(request=req)
        assert offer.state == DispatchState.OFFERED and offer.to_unit == tianhe
        assert ServiceRequest.objects.get(pk=req.pk).state == ServiceRequestState.DISPATCHED
        assert offer.respond_by is not None  # the accept limit's timer runs
        ranked = [c.unit for c in dispatch_candidates(req)]
        assert ranked == [tianhe, city] and installer not in ranked

        # the other points' people do not see it
        other = page_as(city_staff, PHONE)
        visit(other, "/repairs/field/offers/")
        assert other.get_by_text(req.number).count() == 0

        # --- the point's staff accept on a phone ------------------------------------------------
        page = page_as(staff, PHONE)
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation(
            {"latitude": 23.137466, "longitude": 113.326668, "accuracy": 15}
        )
        visit(page, "/repairs/field/offers/")
        follow(page, page.get_by_role("link", name=req.number))
        assert page.get_by_text("开机后定位一直搜索不到卫星").is_visible()
        assert OWNER_PHONE not in page.content()  # the contact shows once the offer is taken
        page.screenshot(path=str(SHOTS / "02-offer.png"), full_page=True)
        follow(page, page.get_by_role("button", name="接单"))
        offer.refresh_from_db()
        assert offer.state == DispatchState.ACCEPTED
        v = Visit.objects.get(request=req)
        assert v.service_unit == tianhe and v.state == VisitState.PLANNED

        # the appointment agreed with the customer: this afternoon, 14:00–16:00; saving it leads
        # to the request's page, which shows the point and the planned visit
        page.get_by_label("预约开始").fill("2026-09-30T14:00")
        page.get_by_label("预约结束").fill("2026-09-30T16:00")
        follow(page, page.get_by_role("button", name="保存预约"))
        v.refresh_from_db()
        assert v.window_start == datetime(2026, 9, 30, 14, tzinfo=Z)
        assert page.get_by_role("heading", name=req.number).is_visible()
        assert page.get_by_role("link", name="第 1 次上门").is_visible()

    # --- on site, that afternoon ---------------------------------------------------------------
    with time_machine.travel(ON_SITE, tick=True):
        visit(page, "/repairs/field/visits/")  # the day's visits
        follow(page, page.get_by_role("link", name=f"{req.number}-1"))
        follow(page, page.get_by_role("button", name="获取定位并签到"))
        v.refresh_from_db()
        assert v.state == VisitState.CHECKED_IN
        assert (float(v.check_in_latitude), float(v.check_in_longitude)) == (23.137466, 113.326668)

        page.set_input_files("#photo-before", photo(tmp_path, "before.jpg", (160, 90, 60)))
        page.set_input_files("#photo-after", photo(tmp_path, "after.jpg", (60, 150, 90)))
        page.wait_for_function(
            "() => document.querySelectorAll('[data-upload-item=done]').length === 2",
            timeout=20_000,
        )
        assert page.locator("[data-upload-item=failed]").count() == 0
        checkpoint(page, "visit page, photos uploaded")
        assert sorted(v.photos.values_list("kind", flat=True)) == ["after", "before"]

        page.get_by_label("故障诊断").fill("GPS 天线接头氧化，信号衰减")
        page.get_by_label("处理情况").fill("清洁并更换天线接头，室外试机定位正常")
        page.get_by_label("路程（公里）").fill("6")
        follow(page, page.locator("#report").get_by_role("button", name="保存"))

        draw(
            page, [[(30, 120), (80, 40), (130, 130), (180, 50)], [(200, 90), (260, 60), (320, 110)]]
        )
        follow(page, page.locator("#signature").get_by_role("button", name="保存签字"))
        v.refresh_from_db()
        assert v.signed_by == "陈女士" and not v.signer_is_stand_in
        ink = Image.open(io.BytesIO(v.signature.read())).convert("RGBA").getchannel("A").getbbox()
        assert ink is not None and ink[2] - ink[0] > 200

        follow(page, page.get_by_role("button", name="已解决，完成上门"))
        v = Visit.objects.select_related("request").get(pk=v.pk)
        assert v.state == VisitState.SOLVED and v.request.state == ServiceRequestState.SOLVED
        assert page.get_by_text("上门服务已完成").is_visible()
        page.screenshot(path=str(SHOTS / "03-finished.png"), full_page=True)

        # --- the service record PDF: two photos and the signature in it -------------------------
        pdf = page.context.request.get(f"/repairs/field/visits/{v.pk}/record.pdf")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        record = SHOTS / "record.pdf"
        record.write_bytes(pdf.body())
        from pypdf import PdfReader

        images = [im.image for pdf_page in PdfReader(record).pages for im in pdf_page.images]
        assert len(images) == 3, f"the record holds {len(images)} image(s)"
        # the signature is the one on white paper; the other two are the photos, in any order
        mean = {id(im): im.convert("RGB").resize((1, 1)).getpixel((0, 0)) for im in images}
        signature = max(images, key=lambda im: sum(mean[id(im)]))
        seen = sorted(mean[id(im)] for im in images if im is not signature)
        for got, sent in zip(seen, sorted([(160, 90, 60), (60, 150, 90)]), strict=True):
            assert all(abs(a - b) < 12 for a, b in zip(got, sent, strict=True)), (got, sent)
        ink = signature.convert("L").point(lambda level: 255 if level < 128 else 0).getbbox()
        assert ink is not None and ink[2] - ink[0] > signature.width // 2  # the drawn strokes
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm:  # the record as a picture, to look at
            subprocess.run(  # noqa: S603 - poppler's tool from PATH, our own arguments
                [pdftoppm, "-png", "-r", "70", "-l", "2", str(record), str(SHOTS / "record")],
                check=True,
                timeout=60,
            )

        # --- the call centre's callback, due in 3 working days ------------------------------------
        task = CallbackRequest.objects.get(purpose="field_visit")
        assert task.subject == v and task.contact_phone == "13900002222"
        assert task.org_unit == net.gz  # counted for the branch the request belongs to
        assert task.promised_at() == CALLBACK_DUE
