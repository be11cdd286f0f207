"""Demo data of the network's life (`manage.py load_demo`, declared as network's `demo=`): the
demo service points' profiles (grade, skills, contract), their service areas and documents, a
suspended point, a pending application, last quarter's evaluations waiting for confirmation and
two training sessions. Idempotent: each part is skipped when it is already there."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from ..choices import PointGrade, PointStatus
from ..models import ServiceArea, ServicePointProfile
from .choices import Attendance, DocumentKind, TrainingMode
from .models import (
    GpsQualificationDecision,
    LifeRules,
    PointApplication,
    PointEvaluation,
    QualificationDocument,
    TrainingSession,
)

# code: (grade, skills, capacity, [(province, city, district)], contract years left)
POINTS = {
    "S-GZ-01": (
        "A",
        ["安装", "维修", "保养", "GPS升级"],
        15,
        [("广东省", "广州市", "白云区"), ("广东省", "广州市", "天河区")],
        2,
    ),
    "S-GZ-02": ("B", ["安装", "维修"], 10, [("广东省", "佛山市", "")], 1),
    "S-HZ-01": ("B", ["安装", "维修", "GPS升级"], 12, [("浙江省", "杭州市", "余杭区")], 2),
    "S-CS-01": (
        "C",
        ["维修", "保养"],
        8,
        [("湖南省", "长沙市", "雨花区"), ("湖南省", "长沙市", "芙蓉区")],
        1,
    ),
    "S-CS-02": ("C", ["维修", "GPS升级"], 6, [("湖南省", "岳阳市", "")], 1),
    "S-CD-01": ("B", ["安装", "维修", "巡检"], 10, [("四川省", "成都市", "武侯区")], 2),
    "S-CD-02": ("D", ["维修"], 5, [("四川省", "宜宾市", "")], 1),
}
# (code, facts of last quarter) for the evaluations waiting for the specialist
FACTS = {
    "S-GZ-01": {
        "dispatches": 42,
        "dispatches_accepted_in_time": 41,
        "visits_due": 40,
        "visits_on_time": 39,
        "callbacks": 35,
        "callbacks_satisfied": 34,
    },
    "S-GZ-02": {
        "dispatches": 25,
        "dispatches_accepted_in_time": 20,
        "visits_due": 24,
        "visits_on_time": 19,
        "callbacks": 20,
        "callbacks_satisfied": 17,
        "complaints_against": 1,
    },
    "S-CS-01": {
        "dispatches": 18,
        "dispatches_accepted_in_time": 17,
        "visits_due": 18,
        "visits_on_time": 17,
        "callbacks": 15,
        "callbacks_satisfied": 15,
    },
    "S-CD-02": {
        "dispatches": 12,
        "dispatches_accepted_in_time": 6,
        "visits_due": 10,
        "visits_on_time": 5,
        "callbacks": 9,
        "callbacks_satisfied": 5,
        "complaints_against": 3,
    },
}


def load_demo(*, units, users, stdout=None) -> None:
    network = users.get("network")
    today = timezone.localdate()
    _profiles(units, today)
    _documents(units, network, today)
    _gps(units, network)
    _suspended(units, network)
    _application(units, users, today)
    _evaluations(units, today)
    _trainings(units, users, today)


def _profiles(units, today) -> None:
    for code, (grade, skills, capacity, areas, years) in POINTS.items():
        unit = units.get(code)
        if unit is None:
            continue
        ServicePointProfile.objects.get_or_create(
            org_unit=unit,
            defaults={
                "grade": grade,
                "skills": skills,
                "capacity": capacity,
                "contract_start": today.replace(month=1, day=1) - timedelta(days=365),
                "contract_end": today.replace(month=12, day=31) + timedelta(days=365 * (years - 1)),
            },
        )
        for province, city, district in areas:
            ServiceArea.objects.get_or_create(
                org_unit=unit, province=province, city=city, district=district
            )


def _demo_file(name: str) -> ContentFile:
    return ContentFile(f"演示文件 {name}\n".encode(), name=f"{name}.txt")


def _documents(units, network, today) -> None:
    for n, code in enumerate(POINTS):
        unit = units.get(code)
        if unit is None or QualificationDocument.objects.filter(org_unit=unit).exists():
            continue
        # the second point's licence runs out within the warning days: 我的工作 shows it
        expires = today + timedelta(days=20 if n == 1 else 400 + 30 * n)
        QualificationDocument.objects.create(
            org_unit=unit,
            kind=DocumentKind.BUSINESS_LICENCE,
            number=f"91440{n:03d}MA5DEMO{n}",
            issued_on=today - timedelta(days=900),
            expires_on=expires,
            file=_demo_file(f"licence-{code}"),
            uploaded_by=network,
        )
        QualificationDocument.objects.create(
            org_unit=unit,
            kind=DocumentKind.TECHNICIAN_CERTIFICATE,
            number=f"JS-{code}-01",
            holder_name=unit.contact_name or "技术员",
            issued_on=today - timedelta(days=500),
            expires_on=today + timedelta(days=700 - 40 * n),
            file=_demo_file(f"cert-{code}"),
            uploaded_by=network,
        )


def _gps(units, network) -> None:
    """The demo's GPS-upgrade points were qualified before the system: their decision rows."""
    for code in POINTS:
        unit = units.get(code)
        if unit is None or not unit.gps_upgrade or unit.gps_decisions.exists():
            continue
        GpsQualificationDecision.objects.create(
            org_unit=unit,
            granted=True,
            reason="GPS升级培训考核合格，设备齐全（演示数据）",
            evidence=_demo_file(f"gps-{code}"),
            decided_by=network,
        )


def _suspended(units, network) -> None:
    from .services import point_suspend

    unit = units.get("S-CD-02")
    if unit is None or network is None:
        return
    profile = ServicePointProfile.objects.filter(org_unit=unit).first()
    if profile is not None and profile.status == PointStatus.ACTIVE:
        point_suspend(
            org_unit=unit,
            actor=network,
            reason="上季度三起投诉成立，整改期间暂停派单（演示数据）",
        )


def _application(units, users, today) -> None:
    from .services import application_submit, document_add

    if PointApplication.objects.exists() or "B-GZ" not in units or "gz_manager" not in users:
        return
    application = application_submit(
        actor=users["gz_manager"],
        name="广州番禺特约维修站",
        parent=units["B-GZ"],
        contact_name="何建华",
        phone="020-3482 6601",
        province="广东省",
        city="广州市",
        district="番禺区",
        address="市桥街光明北路 88 号",
        areas=[["广东省", "广州市", "番禺区"], ["广东省", "广州市", "南沙区"]],
        skills=["安装", "维修"],
        capacity=8,
        technicians=3,
        grade=PointGrade.C,
        contract_start=today + timedelta(days=15),
        contract_end=today + timedelta(days=15 + 365 * 2),
        note="番禺、南沙装机量增长快，现由白云站跨区服务，路程远（演示数据）",
    )
    document_add(
        actor=users["gz_manager"],
        application=application,
        kind=DocumentKind.BUSINESS_LICENCE,
        number="91440113MA5PYDEMO",
        issued_on=today - timedelta(days=800),
        expires_on=today + timedelta(days=3 * 365),
        file=_demo_file("licence-panyu"),
    )


def _evaluations(units, today) -> None:
    from .services import previous_quarter, score_facts

    label, start, end = previous_quarter(today)
    rules = LifeRules.current()
    for code, facts in FACTS.items():
        unit = units.get(code)
        profile = ServicePointProfile.objects.filter(org_unit=unit).first() if unit else None
        if profile is None or PointEvaluation.objects.filter(org_unit=unit, period=label).exists():
            continue
        result = score_facts(facts, rules)
        PointEvaluation.objects.create(
            org_unit=unit,
            period=label,
            period_start=start,
            period_end=end,
            facts=facts,
            grade_before=profile.grade,
            suggested_grade=rules.grade_for(result["score"]) or profile.grade,
            **result,
        )


def _trainings(units, users, today) -> None:
    from .services import training_add_attendees, training_create, training_record

    trainer = users.get("network")
    if TrainingSession.objects.exists() or trainer is None or "HQ" not in units:
        return
    people = [users[u] for u in ("gz_engineer", "cs_engineer", "gz_point") if u in users]
    held = training_create(
        actor=trainer,
        topic="GPS 新款终端安装与升级（驻外技术员培训）",
        description="新款终端的接线、固件升级流程、常见故障判断；结束后笔试。",
        starts_at=timezone.make_aware(datetime.combine(today - timedelta(days=10), time(9, 30))),
        hours=4,
        trainer=users.get("repair_sup") or trainer,
        mode=TrainingMode.ON_SITE,
        place="客户服务部二楼培训室",
        org_unit=units["HQ"],
        materials=_demo_file("training-gps-terminal"),
    )
    training_add_attendees(actor=trainer, session=held, users=people)
    marks = [(Attendance.PRESENT, 88), (Attendance.PRESENT, 54), (Attendance.ABSENT, None)]
    training_record(
        actor=trainer,
        session=held,
        results={
            a.pk: {"attendance": att, "score": score, "note": ""}
            for a, (att, score) in zip(held.attendees.order_by("pk"), marks, strict=False)
        },
    )
    planned = training_create(
        actor=trainer,
        topic="上门服务规范与服务记录单填写（线上）",
        starts_at=timezone.make_aware(datetime.combine(today + timedelta(days=7), time(14, 30))),
        hours=2,
        trainer_name="外聘讲师 李老师",
        mode=TrainingMode.ONLINE,
        place="https://meeting.example.com/demo-training",
        org_unit=units["HQ"],
    )
    training_add_attendees(actor=trainer, session=planned, users=people)
