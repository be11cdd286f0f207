"""The catalogue (issue 19 item 1): the Excel import is all or nothing and names each bad row; the
export reads back unchanged; the list searches by number, name and fitted model on keyset pages of
constant cost; partners never see the cost."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from spareparts.models import Part, PartFit
from spareparts.services.catalogue import parts_export, parts_import, parts_import_file

from .conftest import make_part

pytestmark = pytest.mark.django_db

HEADER = [
    "配件编号",
    "名称",
    "英文名称",
    "适用型号",
    "单位",
    "销售价",
    "成本价",
    "安全库存",
    "启用",
]


def xlsx(rows) -> BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "parts.xlsx"
    return buffer


def test_a_clean_file_imports_every_row_with_its_models(parts):
    report = parts_import(
        rows=[
            HEADER,
            ["gps-mb-09", "GPS 主板 V9", "Main board", "GPS-X1、GPS-X9", "块", 380, 210.5, 3, "是"],
            ["CAM-01", "摄像头", None, "T1, T2", None, "99.9", None, None, None],
        ],
        actor=parts.parts_clerk,
    )
    assert report.ok and (report.created, report.updated) == (2, 0)
    board = Part.objects.get(number="GPS-MB-09")
    assert (board.list_price, board.cost, board.reorder_level) == (
        Decimal("380.00"),
        Decimal("210.50"),
        3,
    )
    assert board.fits_list() == ["GPS-X1", "GPS-X9"]
    assert Part.objects.get(number="CAM-01").unit == "个"


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row_and_the_reason(parts):
    before = set(Part.objects.values_list("number", "list_price"))
    report = parts_import_file(
        file=xlsx(
            [
                HEADER,
                ["NEW-01", "新零件", "", "T1", "个", 10, 5, 0, "是"],
                ["GPS-MB-01", "GPS 主板（改价）", "", "GPS-X1", "块", 400, 200, 0, "是"],
                ["NEW-02", "坏价格", "", "", "个", "十元", 5, 0, "是"],
                [None, "没有编号", "", "", "", 1, 1, 0, ""],
                ["NEW-01", "重复", "", "", "", 1, 1, 0, ""],
            ]
        ),
        actor=parts.parts_clerk,
    )
    assert not report.ok and report.imported == 0
    assert report.errors == [
        (4, "销售价不是数字：十元"),
        (5, "缺少配件编号"),
        (6, "配件编号在文件中重复（第 2 行已有）：NEW-01"),
    ]
    assert set(Part.objects.values_list("number", "list_price")) == before
    assert not Part.objects.filter(number="NEW-01").exists()


def test_a_file_without_the_required_columns_or_not_a_workbook_is_refused(parts):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        parts_import(rows=[["编号", "名字"], ["A", "B"]], actor=parts.parts_clerk)
    with pytest.raises(ValidationError):
        parts_import_file(file=BytesIO(b"not a workbook"), actor=parts.parts_clerk)


def test_only_the_parts_warehouse_imports(parts):
    with pytest.raises(PermissionDenied):
        parts_import(rows=[HEADER], actor=parts.dealer_user)


def test_the_export_imports_back_unchanged(parts):
    w = parts
    w.cable.is_active = False
    w.cable.save()
    columns = ["number", "name_zh", "name_en", "unit", "list_price", "cost", "reorder_level"]
    before = {
        p.number: ([getattr(p, c) for c in columns], p.is_active, p.fits_list())
        for p in Part.objects.all()
    }
    body = parts_export(parts=Part.objects.order_by("number"), include_cost=True)
    report = parts_import_file(file=BytesIO(body), actor=w.parts_clerk)
    assert report.ok and report.updated == 3 and report.created == 0
    after = {
        p.number: ([getattr(p, c) for c in columns], p.is_active, p.fits_list())
        for p in Part.objects.all()
    }
    assert after == before


def test_a_partners_export_has_no_cost_column(client, parts):
    client.force_login(parts.dealer_user)
    response = client.get(reverse("spareparts:part_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert "成本价" not in header and "销售价" in header


def test_the_import_page_shows_the_refused_rows_and_imports_nothing(client, parts):
    client.force_login(parts.parts_clerk)
    upload = xlsx(
        [HEADER, ["OK-1", "好的", "", "", "", 1, 1, 0, ""], ["OK-2", "", "", "", "", 1, 1, 0, ""]]
    )
    response = client.post(reverse("spareparts:part_import"), {"file": upload})
    assert response.status_code == 400
    assert "第 3 行：缺少名称" in response.content.decode()
    assert not Part.objects.filter(number="OK-1").exists()


def test_the_list_searches_by_number_name_and_model(client, parts):
    client.force_login(parts.gz_engineer)
    url = reverse("spareparts:part_list")
    assert "GPS-MB-01" in client.get(url, {"q": "gps-mb"}).content.decode()
    page = client.get(url, {"model": "T1"}).content.decode()
    assert "PWR-CBL-03" in page and "GPS-MB-01" not in page
    page = client.get(url, {"q": "天线"}).content.decode()
    assert "GPS-ANT-02" in page and "PWR-CBL-03" not in page


def test_the_list_costs_the_same_queries_whatever_its_page_size(
    client, parts, django_assert_max_num_queries
):
    for i in range(60):
        make_part(f"BULK-{i:03d}", models=("M1", "M2"))
    client.force_login(parts.dealer_user)
    url = reverse("spareparts:part_list")
    client.get(url)  # warm the per-user caches
    with django_assert_max_num_queries(12):
        first = client.get(url)
    next_after = first.context["page"].next_after
    with django_assert_max_num_queries(12):
        client.get(url, {"after": next_after})
    assert "成本价" not in first.content.decode()  # a partner never sees the cost


def test_a_part_is_saved_from_its_form_with_its_models(client, parts):
    client.force_login(parts.parts_sup)
    response = client.post(
        reverse("spareparts:part_new"),
        {
            "number": "new-77",
            "name_zh": "新配件",
            "fits": "A1，A2 A1",
            "unit": "个",
            "list_price": "5.00",
            "cost": "2.00",
            "reorder_level": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    part = Part.objects.get(number="NEW-77")
    assert part.fits_list() == ["A1", "A2"]
    client.force_login(parts.dealer_user)
    assert client.get(reverse("spareparts:part_new")).status_code == 403


def test_a_part_page_shows_only_the_stock_the_viewer_may_see(client, parts):
    from spareparts.services.stock import stock_receive

    w = parts
    stock_receive(part=w.board, warehouse=w.hq_wh, quantity=50, actor=w.parts_clerk)
    stock_receive(part=w.board, warehouse=w.dealer_wh, quantity=7, actor=w.parts_clerk)
    stock_receive(part=w.board, warehouse=w.dealer2_wh, quantity=3, actor=w.parts_clerk)
    url = reverse("spareparts:part_detail", args=[w.board.pk])
    client.force_login(w.dealer_user)
    page = client.get(url).content.decode()
    assert "湘江代理商仓" in page and "株洲代理商仓" not in page
    assert "有货" in page and ">50<" not in page  # headquarters as a level, not a figure
    client.force_login(w.parts_clerk)
    page = client.get(url).content.decode()
    assert "株洲代理商仓" in page and ">50<" in page
    assert PartFit.objects.filter(part=w.board).count() == 2
