"""What repairs answers other apps through platform hooks: the call centre's caller history
(applications by the contact's number as typed, orders by serial) and who caused a repair a
customer is dissatisfied with."""

from datetime import timedelta

from callcenter.selectors.calls import caller_history
from network.choices import Role
from repairs.hooks import callback_responsible
from repairs.hooks import caller_history as repairs_history
from repairs.models import ReturnApplication
from tests.callcenter.test_callbacks import WED, ship
from tests.factories import make_user
from tests.repairs.test_orders import receive_lot


def test_the_desk_finds_a_callers_applications_by_number_and_orders_by_serial(net):
    agent = make_user("agent", net.hq, Role.CALL_AGENT)
    lot = receive_lot(net, ["SN-77", "SN-78"], WED - timedelta(days=2))
    app = lot.application
    ReturnApplication.objects.filter(pk=app.pk).update(contact_phone="+86 139-1234 5678")

    by_phone = repairs_history(phone="13912345678", user=agent)
    assert [i["number"] for i in by_phone if i["kind"] == "返厂申请"] == [app.number]
    assert {i["label"] for i in by_phone if i["kind"] == "维修单"} == {
        "GPS-X1 SN-77",
        "GPS-X1 SN-78",
    }

    by_serial = repairs_history(serial="SN-78", user=agent)
    assert [i["label"] for i in by_serial if i["kind"] == "维修单"] == ["GPS-X1 SN-78"]
    assert [i["number"] for i in by_serial if i["kind"] == "返厂申请"] == [app.number]
    assert repairs_history(phone="13900000000", serial="", user=agent) == []

    # the same through the call centre's desk, which renders whatever the hook answers
    panel = caller_history(agent, phone="139 1234 5678", serial="")
    assert app.number in str(panel)

    # a dealer asking sees only what it may see: the other dealer's unit is not there
    assert repairs_history(phone="13912345678", user=net.dealer2_user) == []


def test_a_dissatisfied_repair_goes_to_its_technician_and_the_repair_supervisors(net):
    (order,) = ship(net)
    order.refresh_from_db()
    answer = callback_responsible(subject=order)
    assert order.technician_id in answer
    assert (Role.REPAIR_SUPERVISOR, net.hq) in answer
    assert callback_responsible(subject=net.hq) == []
