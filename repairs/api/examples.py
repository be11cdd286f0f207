"""OpenAPI examples of the return-application API (tests check their shape against real answers)."""

from drf_spectacular.utils import OpenApiExample

DEALER = {
    "id": 7,
    "code": "D-XJ",
    "name": "湘江代理商",
    "kind": "dealer",
    "kind_display": "代理商",
    "branch_kind": "",
}
BRANCH = {
    "id": 5,
    "code": "CS",
    "name": "长沙分公司",
    "kind": "branch",
    "kind_display": "分公司",
    "branch_kind": "managed",
}
PROVINCE = {
    "id": 3,
    "code": "HN",
    "name": "湖南省区",
    "kind": "province",
    "kind_display": "省区",
    "branch_kind": "",
}
HQ = {
    "id": 1,
    "code": "HQ",
    "name": "客户服务部",
    "kind": "headquarters",
    "kind_display": "总部",
    "branch_kind": "",
}

LINES_REQUEST = [
    {
        "product_model": "GPS-X1",
        "serial_number": "XJ2026000123",
        "quantity": 1,
        "purchase_date": "2026-03-18",
        "has_warranty_card": True,
        "has_proof_of_purchase": True,
        "has_seller_stamp": True,
        "fault_description": "不开机，充电指示灯不亮",
    },
    {
        "product_model": "GPS-C2 充电座",
        "serial_number": "",
        "quantity": 2,
        "purchase_date": None,
        "has_warranty_card": False,
        "has_proof_of_purchase": False,
        "has_seller_stamp": False,
        "fault_description": "接触不良",
    },
]

CREATE_REQUEST = OpenApiExample(
    "代理商申请返厂",
    request_only=True,
    value={
        "contact_name": "王经理",
        "contact_phone": "13873100000",
        "pickup_address": "长沙市岳麓区麓谷大道 1 号",
        "shipping_method": "logistics",
        "freight_terms": "prepaid",
        "urgency": "normal",
        "remarks": "请周三前提货",
        "lines": LINES_REQUEST,
    },
)


def _step(position, name, role, role_display, unit, state, state_display, **kw):
    return {
        "id": 40 + position,
        "application": {
            "id": 101,
            "number": "RMA-202610-0042",
            "platform": "managed",
            "state": kw.pop("application_state", "in_approval"),
            "branch": "长沙分公司",
            "dealer": "湘江代理商",
            "applicant": "xj-erp",
        },
        "round": 1,
        "position": position,
        "name": name,
        "role": role,
        "role_display": role_display,
        "org_unit": unit,
        "state": state,
        "state_display": state_display,
        "signer": kw.pop("signer", None),
        "decided_at": kw.pop("decided_at", None),
        "comment": kw.pop("comment", ""),
        "due_at": kw.pop("due_at", None),
        "overdue": False,
    }


ENGINEER = {"id": 12, "username": "cs_engineer", "full_name": "李工"}

STEPS_IN_APPROVAL = [
    _step(
        1,
        "当地维修工程师确认",
        "local_engineer",
        "当地维修工程师",
        BRANCH,
        "approved",
        "已同意",
        signer=ENGINEER,
        decided_at="2026-10-12T10:05:00+08:00",
        comment="故障属实",
    ),
    _step(
        2,
        "省区经理审核",
        "provincial_manager",
        "省区经理",
        PROVINCE,
        "pending",
        "待签",
        due_at="2026-10-13T18:00:00+08:00",
    ),
    _step(3, "客服部部长审批", "head_of_cs", "客服部部长", HQ, "waiting", "未开始"),
]

APPLICATION_DRAFT = {
    "id": 101,
    "number": "RMA-202610-0042",
    "platform": "managed",
    "platform_display": "管理平台",
    "state": "draft",
    "state_display": "草稿",
    "round": 0,
    "branch": BRANCH,
    "dealer": DEALER,
    "applicant_unit": DEALER,
    "applicant": {"id": 31, "username": "xj-erp", "full_name": ""},
    "contact_name": "王经理",
    "contact_phone": "13873100000",
    "pickup_address": "长沙市岳麓区麓谷大道 1 号",
    "shipping_method": "logistics",
    "freight_terms": "prepaid",
    "urgency": "normal",
    "remarks": "请周三前提货",
    "reject_reason": "",
    "created_at": "2026-10-12T09:30:00+08:00",
    "submitted_at": None,
    "approved_at": None,
    "closed_at": None,
    "unit_count": 3,
    "lines": [{"id": 201 + i, **line} for i, line in enumerate(LINES_REQUEST)],
    "steps": [],
    "pickup": {
        "pickup_date": None,
        "driver_name": "",
        "driver_phone": "",
        "vehicle_plate": "",
        "shipper_count": None,
        "counted_units": None,
        "picked_up_at": None,
    },
    "receipt": {"received_at": None, "has_discrepancies": False, "units": [], "discrepancies": []},
}

APPLICATION_IN_APPROVAL = {
    **APPLICATION_DRAFT,
    "state": "in_approval",
    "state_display": "审批中",
    "round": 1,
    "submitted_at": "2026-10-12T09:31:00+08:00",
    "steps": STEPS_IN_APPROVAL,
}


def application_example(name: str, value: dict, code: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[code])


APPROVE_REQUEST = OpenApiExample("同意", value={"comment": "同意返厂"}, request_only=True)
REJECT_REQUEST = OpenApiExample(
    "驳回", value={"comment": "照片不清楚，请补充后重新提交"}, request_only=True
)
APPROVE_RESPONSE = OpenApiExample(
    "已同意（下一步开始计时）",
    response_only=True,
    value=_step(
        2,
        "省区经理审核",
        "provincial_manager",
        "省区经理",
        PROVINCE,
        "approved",
        "已同意",
        signer={"id": 14, "username": "hn_manager", "full_name": "赵经理"},
        decided_at="2026-10-12T15:20:00+08:00",
        comment="同意返厂",
    ),
)

BAD_INPUT = {
    "contact_phone": ["该字段是必填项。"],
    "lines": {"1": {"quantity": ["有出厂编号的明细数量必须为 1"]}},
}
CONFLICT = {
    "detail": "当前状态不允许此操作。",
    "code": "transition_not_allowed",
    "action": "approve",
    "state": "approved",
    "allowed_actions": [],
}


# --- repair orders and quotes ---------------------------------------------------------------------
QUOTE_LINES = [
    {"kind": "labour", "kind_display": "维修费", "description": "", "amount": "80.00"},
    {"kind": "parts", "kind_display": "增补配件费", "description": "主板", "amount": "120.00"},
]

QUOTE_SUMMARY_SENT = {
    "id": 88,
    "state": "sent",
    "state_display": "已发送发货方",
    "total": "200.00",
    "sent_at": "2026-11-23T11:00:00+08:00",
    "answer_due_at": "2026-11-25T18:00:00+08:00",
    "lines": QUOTE_LINES,
}

ORDER_WAITING_CONSENT = {
    "id": 512,
    "number": "RO-202611-0137",
    "application": {"id": 101, "number": "RMA-202611-0042"},
    "lot": {
        "id": 64,
        "number": "LOT-202611-0021",
        "size": 1,
        "received_at": "2026-11-23T09:00:00+08:00",
    },
    "product_model": "GPS-X1",
    "serial_number": "XJ2026000123",
    "purchase_date": "2025-03-18",
    "fault_description": "不定位",
    "state": "waiting_consent",
    "state_display": "待客户确认",
    "urgency": "normal",
    "service_type": "paid",
    "service_type_display": "收费",
    "in_warranty": False,
    "warranty_reasons": ["已过保修期（购买日期 2025-03-18，保修一年）"],
    "repair_count": 0,
    "qc_failures": 0,
    "technician_name": "张师傅",
    "picked_up_at": "2026-11-23T10:00:00+08:00",
    "waiting_parts_reason": "",
    "waiting_parts_until": None,
    "burn_in_started_at": None,
    "burn_in_ended_at": None,
    "packing_list": "",
    "parcels": None,
    "packed_at": None,
    "limit": {
        "policy": "repair-lot-1",
        "limit_working_days": 3,
        "extension_working_days": 0,
        "started_at": "2026-11-23T09:00:00+08:00",
        "due_at": "2026-11-26T18:00:00+08:00",
        "due_at_provisional": False,
        "status": "paused",
        "status_display": "暂停",
        "overdue": False,
        "paused": True,
        "paused_at": "2026-11-23T11:00:00+08:00",
        "pause_reason": "等待客户确认报价",
        "ball_holder": "customer",
        "ball_holder_display": "客户",
        "paused_seconds": 14400,
        "time_left": "剩余 3 个工作日",
        "working_days_left": 3,
        "breached_at": None,
        "closed_at": None,
    },
    "quote": QUOTE_SUMMARY_SENT,
    "shipment": None,
    "created_at": "2026-11-23T09:00:00+08:00",
    "closed_at": None,
}

ORDER_DETAIL_REPAIRING = {
    **ORDER_WAITING_CONSENT,
    "state": "repairing",
    "state_display": "维修中",
    "repair_count": 1,
    "limit": {
        **ORDER_WAITING_CONSENT["limit"],
        "due_at": "2026-11-30T18:00:00+08:00",
        "status": "running",
        "status_display": "计时中",
        "paused": False,
        "paused_at": None,
        "pause_reason": "",
        "ball_holder": "",
        "ball_holder_display": "",
        "paused_seconds": 172800,
        "time_left": "剩余 3 个工作日",
        "working_days_left": 3,
    },
    "quote": {
        **QUOTE_SUMMARY_SENT,
        "state": "consented",
        "state_display": "同意维修",
        "answer_due_at": None,
    },
    "history": [
        {
            "transition": "pick_up",
            "from_state": "waiting_pickup",
            "to_state": "diagnosing",
            "actor": "tech_zhang",
            "channel": "web",
            "comment": "",
            "created_at": "2026-11-23T10:00:00+08:00",
        },
        {
            "transition": "raise_quote",
            "from_state": "diagnosing",
            "to_state": "quoting",
            "actor": "tech_zhang",
            "channel": "web",
            "comment": "主板损坏，过保",
            "created_at": "2026-11-23T10:30:00+08:00",
        },
        {
            "transition": "send_quote",
            "from_state": "quoting",
            "to_state": "waiting_consent",
            "actor": "logistics",
            "channel": "web",
            "comment": "",
            "created_at": "2026-11-23T11:00:00+08:00",
        },
        {
            "transition": "consent",
            "from_state": "waiting_consent",
            "to_state": "repairing",
            "actor": "xj-erp",
            "channel": "api",
            "comment": "同意，请尽快修好",
            "created_at": "2026-11-25T11:00:00+08:00",
        },
    ],
}

QUOTE_ORDER = {
    "id": 512,
    "number": "RO-202611-0137",
    "product_model": "GPS-X1",
    "serial_number": "XJ2026000123",
    "state": "waiting_consent",
    "state_display": "待客户确认",
}

QUOTE_SENT = {
    "id": 88,
    "order": QUOTE_ORDER,
    "state": "sent",
    "state_display": "已发送发货方",
    "total": "200.00",
    "lines": QUOTE_LINES,
    "raised_at": "2026-11-23T10:30:00+08:00",
    "sent_at": "2026-11-23T11:00:00+08:00",
    "answer_due_at": "2026-11-25T18:00:00+08:00",
    "answered_at": None,
    "answer_note": "",
}

QUOTE_CONSENTED = {
    **QUOTE_SENT,
    "order": {**QUOTE_ORDER, "state": "repairing", "state_display": "维修中"},
    "state": "consented",
    "state_display": "同意维修",
    "answer_due_at": None,
    "answered_at": "2026-11-25T11:00:00+08:00",
    "answer_note": "同意，请尽快修好",
}

CONSENT_REQUEST = OpenApiExample("同意报价", value={"note": "同意，请尽快修好"}, request_only=True)
DECLINE_REQUEST = OpenApiExample(
    "不同意报价", value={"note": "费用太高，不修了"}, request_only=True
)

QUOTE_BAD_INPUT = {"note": ["请确保这个字段不能超过 200 个字符。"]}
QUOTE_CONFLICT = {
    "detail": "当前状态不允许此操作。",
    "code": "transition_not_allowed",
    "action": "consent",
    "state": "consented",
    "allowed_actions": [],
}


def order_example(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


def quote_example(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])
