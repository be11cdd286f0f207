"""Demo of the activation-code queries (激活码查询): a code store of a few hundred codes, the
numbers of the demo field offices and service points, a top-up recorded by the network
specialist, a handful of queries of each outcome (SMS and API), and a partner API token for the
demo service point 广州白云特约维修站 (gz_point). Idempotent: codes, numbers and the token by their
keys, SMS queries by their message id, the top-up by its form key."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from network.choices import OrgKind, Role

# A partner API token of the demo service point, fixed so the README can show it. Demo data only.
DEMO_POINT_TOKEN_PREFIX = "demopoint01"  # noqa: S105
DEMO_POINT_TOKEN_SECRET = "demo-only-point-token-for-the-local-sandbox"  # noqa: S105
CODES = 300
MODELS = ("GPS-X1", "GPS-X2", "T1-行车记录仪", "T2-车载终端")
# (unit code, phone, note): the numbers field offices and service points text from
NUMBERS = (
    ("O-GZ-TH", "13900139011", "邓丽（办事处主任）"),
    ("O-GZ-TH", "13900139012", "值班手机"),
    ("O-HZ-XS", "13900139021", "朱婷"),
    ("O-CS-ZZ", "13900139031", "易军"),
    ("O-CD-MY", "13900139041", "何川"),
    ("S-GZ-01", "13300133003", "蔡文（网点站长）"),
    ("S-GZ-01", "13300133013", "前台"),
    ("S-GZ-02", "13300133023", "陆志明"),
    ("S-HZ-01", "13300133033", "方凯"),
    ("S-CS-01", "13300133043", "龙海波"),
    ("S-CS-02", "13300133053", "任晓东"),
    ("S-CD-01", "13300133063", "曾德华"),
    ("S-CD-02", "13300133073", "冯雪"),
    ("S-CD-03", "13300133083", "新签约网点（尚未充值）"),
)
# A newly signed service point that has not topped up yet: its queries are refused for an
# insufficient balance and the network specialist is asked to have it top up.
NEW_POINT = ("S-CD-03", "乐山特约维修站", "B-CD", "邱明", "0833-212 3308")
# (message id, from, text, hours ago): SMS queries of every outcome
SMS_QUERIES = (
    ("demo-jh-01", "13300133003", "JH SN20260001", 70),
    ("demo-jh-02", "13300133013", "激活码 sn20260002", 50),
    ("demo-jh-03", "13900139011", "JH SN20260003", 46),
    ("demo-jh-04", "13300133043", "ＪＨ　ＳＮ２０２６００１０", 30),
    ("demo-jh-05", "13900139031", "激活 SN20260011", 26),
    ("demo-jh-06", "13300133083", "JH SN20260020", 20),
    ("demo-jh-07", "13300133083", "JH SN20260021", 19),
    ("demo-jh-08", "13812345678", "JH SN20260030", 8),
    ("demo-jh-09", "+86 137 0000 9999", "查询激活码 SN20260031", 6),
    ("demo-jh-10", "13300133053", "JH", 5),
    ("demo-jh-11", "13900139041", "你好，请问激活码怎么查", 4),
    ("demo-jh-12", "13300133023", "JH SN20990001", 3),
    ("demo-jh-13", "13900139021", "JH SN2026X404", 2),
)
API_SERIALS = ("SN20260040", "SN20260041")


def demo_point_token() -> str:
    from network.api.authentication import format_token

    return format_token(DEMO_POINT_TOKEN_PREFIX, DEMO_POINT_TOKEN_SECRET)


def _code_of(serial: str) -> str:
    digest = hashlib.sha256(f"demo-activation-{serial}".encode()).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


def load(*, units, users, stdout=None) -> None:
    from network.api.authentication import digest_of
    from network.models import OrgUnit, PartnerToken, RoleAssignment, StaffProfile

    from ..models import ActivationCode, ActivationQuery, RegisteredNumber
    from ..services.activation import activation_query_receive, activation_query_request
    from ..services.codes import activation_codes_import
    from ..services.prepaid import prepaid_top_up

    code, name, parent, contact, phone = NEW_POINT
    units = dict(units)
    if code not in units:
        units[code], _created = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": OrgKind.SERVICE_POINT,
                "parent": units[parent],
                "contact_name": contact,
                "phone": phone,
            },
        )

    if not ActivationCode.objects.exists():
        header = ("设备序列号", "激活码", "产品型号")
        serials = [f"SN2026{n:04d}" for n in range(1, CODES + 1)]
        activation_codes_import(
            rows=[
                header,
                *((s, _code_of(s), MODELS[i % len(MODELS)]) for i, s in enumerate(serials)),
            ]
        )

    for unit_code, number, note in NUMBERS:
        if unit_code in units:
            RegisteredNumber.objects.get_or_create(
                phone=number, defaults={"org_unit": units[unit_code], "note": note}
            )

    specialist = users.get("network")
    if specialist is not None and "S-GZ-01" in units:
        prepaid_top_up(
            actor=specialist,
            org_unit=units["S-GZ-01"],
            amount=Decimal("2000.00"),
            bank_reference="ICBC-DEMO-20261201-0042",
            form_key=uuid.uuid5(uuid.NAMESPACE_URL, "service-ops-demo-top-up-S-GZ-01"),
            note="对公转账（演示数据）",
        )

    now = timezone.now()
    for message_id, sender, text, hours in SMS_QUERIES:
        activation_query_receive(
            message_id=message_id,
            from_number=sender,
            text=text,
            received_at=now - timedelta(hours=hours),
        )

    point_user = users.get("gz_point")
    if (
        point_user is not None
        and not ActivationQuery.objects.filter(requested_by=point_user).exists()
    ):
        for serial in API_SERIALS:
            activation_query_request(actor=point_user, serial_number=serial)

    if point_user is not None and "S-GZ-01" in units:
        # the point's own system: a service account beside gz_point, as a partner's ERP has
        from django.contrib.auth import get_user_model

        api_user, _created = get_user_model().objects.get_or_create(
            username="gz_point_api", defaults={"first_name": "白云维修站接口"}
        )
        if _created:
            api_user.set_unusable_password()
            api_user.save(update_fields=["password"])
            StaffProfile.objects.get_or_create(
                user=api_user, defaults={"org_unit": units["S-GZ-01"]}
            )
            RoleAssignment.objects.get_or_create(
                user=api_user, org_unit=units["S-GZ-01"], role=Role.SERVICE_POINT_STAFF
            )
        PartnerToken.objects.get_or_create(
            prefix=DEMO_POINT_TOKEN_PREFIX,
            defaults={
                "org_unit": units["S-GZ-01"],
                "user": api_user,
                "name": "演示：广州白云特约维修站 系统对接",
                "digest": digest_of(DEMO_POINT_TOKEN_SECRET),
            },
        )
    if stdout is not None:
        stdout.write(
            "Activation codes: partner API token of 广州白云特约维修站: "
            f"Authorization: Bearer {demo_point_token()}"
        )
