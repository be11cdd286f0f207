from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service_ops.workcalendar import clock

Z = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_a_unit_received_before_national_day_is_due_on_the_make_up_saturday():
    assert clock.add_working_days(datetime(2026, 9, 30, 10, tzinfo=Z), 3) == datetime(
        2026, 10, 10, 18, tzinfo=Z
    )
