"""A field engineer's visit on site, on a 390-px phone (issue 20): the day's list, check-in with
the browser's location (Playwright's geolocation, permission granted), before/after photos
uploaded by the page's script with their progress, the report, the customer's signature drawn
on the canvas with the pointer, and finishing solved; then the service record PDF. Every page
passes axe and never scrolls sideways; screenshots of the visit page are kept in var/browser/."""

import io

import pytest
from PIL import Image

from repairs.choices import ServiceRequestState, VisitState
from repairs.models import Visit
from tests.browser.support import BASE_DIR, PHONE, checkpoint, follow, visit
from tests.repairs.field.visit_factory import accepted_visit, field_people

pytestmark = pytest.mark.browser

SHOTS = BASE_DIR / "var" / "browser" / "field_visit"


def photo(tmp_path, name, colour):
    path = tmp_path / name
    Image.new("RGB", (800, 600), colour).save(path, "JPEG")
    return str(path)


def draw(page, strokes):
    box = page.locator("canvas[data-signature-pad]").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def test_the_engineer_checks_in_photographs_gets_the_signature_and_finishes(
    page_as, net, live_server, tmp_path
):
    f = field_people(net)
    v = accepted_visit(net, engineer=f.engineer)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = page_as(f.engineer, PHONE)
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 23.129163, "longitude": 113.264435, "accuracy": 12})

    visit(page, "/repairs/field/visits/")
    follow(page, page.get_by_role("link", name=f"{v.request.number}-1"))
    page.screenshot(path=str(SHOTS / "01-planned.png"), full_page=True)

    # check-in: the script asks the browser for the location, then posts it
    follow(page, page.get_by_role("button", name="获取定位并签到"))
    v.refresh_from_db()
    assert v.state == VisitState.CHECKED_IN
    assert (float(v.check_in_latitude), float(v.check_in_longitude)) == (23.129163, 113.264435)
    assert v.check_in_accuracy_m == 12 and v.request.state == ServiceRequestState.ON_SITE

    # photos: each file uploaded with its progress, shown as done
    page.set_input_files("#photo-before", photo(tmp_path, "before.jpg", (160, 90, 60)))
    page.set_input_files("#photo-after", photo(tmp_path, "after.jpg", (60, 150, 90)))
    page.wait_for_function(
        "() => document.querySelectorAll('[data-upload-item=done]').length === 2",
        timeout=20_000,
    )
    assert page.locator("[data-upload-item=failed]").count() == 0
    checkpoint(page, "visit page, photos uploaded")
    assert sorted(v.photos.values_list("kind", flat=True)) == ["after", "before"]

    # the report
    page.get_by_label("故障诊断").fill("GPS 天线接头松动")
    page.get_by_label("处理情况").fill("更换天线，试机正常")
    page.get_by_label("路程（公里）").fill("12.5")
    follow(page, page.locator("#report").get_by_role("button", name="保存"))

    # the signature, drawn with the pointer; an empty pad is refused before it is sent
    page.locator("#signature").get_by_role("button", name="保存签字").click()
    assert page.locator("[data-signature-empty]").is_visible()
    draw(page, [[(30, 120), (80, 40), (130, 130), (180, 50)], [(200, 90), (260, 60), (320, 110)]])
    page.locator("[data-signature-clear]").click()
    draw(page, [[(30, 120), (80, 40), (130, 130), (180, 50)], [(200, 90), (260, 60), (320, 110)]])
    follow(page, page.locator("#signature").get_by_role("button", name="保存签字"))
    v.refresh_from_db()
    assert v.signed_by == v.request.contact_name and not v.signer_is_stand_in
    ink = Image.open(io.BytesIO(v.signature.read())).convert("RGBA").getchannel("A").getbbox()
    assert ink is not None and ink[2] - ink[0] > 200  # the strokes, not an empty canvas
    page.screenshot(path=str(SHOTS / "02-on-site.png"), full_page=True)

    follow(page, page.get_by_role("button", name="已解决，完成上门"))
    v = Visit.objects.select_related("request").get(pk=v.pk)
    assert v.state == VisitState.SOLVED and v.request.state == ServiceRequestState.SOLVED
    assert page.get_by_text("上门服务已完成").is_visible()
    page.screenshot(path=str(SHOTS / "03-finished.png"), full_page=True)

    pdf = page.context.request.get(f"/repairs/field/visits/{v.pk}/record.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    (SHOTS / "record.pdf").write_bytes(pdf.body())
