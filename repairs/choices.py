"""Named choices of return applications and repairs. Each state choice set carries the Bootstrap
colour of its badge (`colours`, read with `colour_of(value)`), drawn by the one state-badge
partial `repairs/partials/state_badge.html` through the models' `state_colour`."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StateChoices(models.TextChoices):
    """A state choice set; `colours` maps its values to Bootstrap contextual names."""

    @classmethod
    def colour_of(cls, value) -> str:
        return cls.__dict__.get("colours", {}).get(value, "secondary")


class Platform(models.TextChoices):
    """The approval platform follows the kind of branch the unit comes from (DESIGN §2.1)."""

    OPERATING = "operating", _("经营平台")
    MANAGED = "managed", _("管理平台")


class ApplicationState(StateChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("已批准")
    PICKUP_BOOKED = "pickup_booked", _("已约提货")
    PICKED_UP = "picked_up", _("已提货")
    RECEIVED = "received", _("已收货")
    CLOSED = "closed", _("已关闭")


ApplicationState.colours = {
    ApplicationState.DRAFT: "secondary",
    ApplicationState.IN_APPROVAL: "primary",
    ApplicationState.REJECTED: "danger",
    ApplicationState.WITHDRAWN: "dark",
    ApplicationState.APPROVED: "success",
    ApplicationState.PICKUP_BOOKED: "info",
    ApplicationState.PICKED_UP: "info",
    ApplicationState.RECEIVED: "warning",
    ApplicationState.CLOSED: "light",
}


class StepState(StateChoices):
    WAITING = "waiting", _("未开始")
    PENDING = "pending", _("待签")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


class HolderScope(models.TextChoices):
    """Where a step's holder is looked up from the application's org (the role's holder at that
    unit, else at its nearest ancestor that has one)."""

    BRANCH = "branch", _("申请所属分公司")
    PROVINCE = "province", _("分公司所属省区")
    HEADQUARTERS = "headquarters", _("总部")
    APPLICANT_UNIT = "applicant_unit", _("申请单位本身")


class DelayReason(models.TextChoices):
    """Why the clerk tells shippers their units are late (原材料问题或其它不可抗因素)."""

    MATERIALS = "materials", _("原材料问题")
    FORCE_MAJEURE = "force_majeure", _("不可抗因素")
    OTHER = "other", _("其他原因")


class Urgency(models.TextChoices):
    """按紧重或先后顺序安排: an urgent unit goes before the others waiting in the workshop."""

    NORMAL = "normal", _("普通")
    URGENT = "urgent", _("紧急")


class ShippingMethod(models.TextChoices):
    LOGISTICS = "logistics", _("物流")
    EXPRESS = "express", _("快递")
    COMPANY_TRUCK = "company_truck", _("公司车辆提货")
    SELF_DELIVERY = "self_delivery", _("自送")


class IntakeChannel(models.TextChoices):
    """How the application reached us: entered by its sender, or by the clerk from a fax or an
    e-mail (可传真至我司客服部或 E-mail 到成品仓邮箱)."""

    WEB = "web", _("申请人在线提交")
    FAX = "fax", _("传真")
    EMAIL = "email", _("邮件")


class FreightTerms(models.TextChoices):
    PREPAID = "prepaid", _("运费发货方自付")
    COLLECT = "collect", _("到付")


class DiscrepancyKind(models.TextChoices):
    COUNT_MISMATCH = "count_mismatch", _("提货数量不符")
    MISSING_UNIT = "missing_unit", _("缺少机器")
    EXTRA_UNIT = "extra_unit", _("多出机器")
    WRONG_MODEL = "wrong_model", _("型号不符")
    WRONG_SERIAL = "wrong_serial", _("序列号不符")


class ArrivalState(StateChoices):
    REFUSED = "refused", _("已拒收")
    PENALTIES_CONFIRMED = "penalties_confirmed", _("罚款已确认")


ArrivalState.colours = {
    ArrivalState.REFUSED: "danger",
    ArrivalState.PENALTIES_CONFIRMED: "success",
}


class PenaltyKind(models.TextChoices):
    FINE = "fine", _("罚款（元）")
    POINTS = "points", _("绩效扣分")


class PenaltyState(StateChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    WAIVED = "waived", _("已免除")


PenaltyState.colours = {
    PenaltyState.PROPOSED: "warning",
    PenaltyState.CONFIRMED: "danger",
    PenaltyState.WAIVED: "secondary",
}


class ReturnedStockRoute(models.TextChoices):
    PMC = "pmc", _("PMC 安排生产部返工或分拆")
    REPAIR_TEAM = "repair_team", _("客服部维修组返工或分拆")


class StockTreatment(models.TextChoices):
    """What the marketing centre asks for the goods (如需改制/返工或分拆报废处理)."""

    MODIFY = "modify", _("改制")
    REWORK = "rework", _("返工")
    DISASSEMBLE_SCRAP = "disassemble_scrap", _("分拆报废")


class StockLimitDays(models.IntegerChoices):
    """领机维修期限: the seed's four choices, nothing else. Calendar days (see
    repairs.services.stock.LIMIT_POLICIES for why)."""

    FIVE = 5, _("5 天")
    TEN = 10, _("10 天")
    FIFTEEN = 15, _("15 天")
    THIRTY = 30, _("30 天")


class ReturnedStockState(StateChoices):
    # "routed" is the filed application (the route is decided when it is filed); the value is
    # kept from the first version so stored rows need no rewrite.
    ROUTED = "routed", _("待提货")
    COLLECTED = "collected", _("待验货")
    CHECKED = "checked", _("待派任务单")
    ISSUED = "issued", _("待领机")
    IN_PROCESS = "in_process", _("处理中")
    DONE = "done", _("已完成")


ReturnedStockState.colours = {
    ReturnedStockState.ROUTED: "primary",
    ReturnedStockState.COLLECTED: "info",
    ReturnedStockState.CHECKED: "info",
    ReturnedStockState.ISSUED: "secondary",
    ReturnedStockState.IN_PROCESS: "warning",
    ReturnedStockState.DONE: "success",
}
# A production task order is open from its issue until the work is done.
OPEN_TASK_ORDER_STATES = (ReturnedStockState.ISSUED, ReturnedStockState.IN_PROCESS)


class OrderState(StateChoices):
    WAITING_PICKUP = "waiting_pickup", _("待领机")
    DIAGNOSING = "diagnosing", _("检测中")
    QUOTING = "quoting", _("报价中")
    WAITING_CONSENT = "waiting_consent", _("待客户确认")
    REPAIRING = "repairing", _("维修中")
    WAITING_PARTS = "waiting_parts", _("等配件")
    BURN_IN = "burn_in", _("老化中")
    QC = "qc", _("质检")
    PACKING = "packing", _("待包装")
    PACKED = "packed", _("已包装待发货")
    RETURN_UNREPAIRED = "return_unrepaired", _("不修退回")
    SHIPPED = "shipped", _("已发货")
    CLOSED = "closed", _("已关闭")


OrderState.colours = {
    OrderState.WAITING_PICKUP: "secondary",
    OrderState.DIAGNOSING: "info",
    OrderState.QUOTING: "warning",
    OrderState.WAITING_CONSENT: "warning",
    OrderState.REPAIRING: "primary",
    OrderState.WAITING_PARTS: "danger",
    OrderState.BURN_IN: "primary",
    OrderState.QC: "primary",
    OrderState.PACKING: "info",
    OrderState.PACKED: "info",
    OrderState.RETURN_UNREPAIRED: "dark",
    OrderState.SHIPPED: "success",
    OrderState.CLOSED: "light",
}


class ServiceType(models.TextChoices):
    FREE = "free", _("免费（保修期内）")
    PAID = "paid", _("收费")
    CONTRACT = "contract", _("合同服务")


class WarrantyExclusion(models.TextChoices):
    """The seed's list of cases that are not free even within the year."""

    NO_CARD_OR_PROOF = "no_card_or_proof", _("没有保修卡及购买凭证")
    FALSE_CARD = "false_card", _("保修卡填写内容不真实")
    NO_SELLER_STAMP = "no_seller_stamp", _("保修卡没有销售店印章")
    SERIAL_MISSING = "serial_missing", _("出厂编号缺失或被除去")
    MISUSE = "misuse", _("使用不当、私自拆机、不适当修理或改造")
    TRANSPORT_DAMAGE = "transport_damage", _("购买后搬运、运输、掉落造成的损坏")
    DISASTER_OR_POWER = "disaster_or_power", _("火灾、地震、水灾、雷电等自然灾害或电源不正常")


class QuoteState(StateChoices):
    RAISED = "raised", _("技术员已提出")
    SENT = "sent", _("已发送发货方")
    CONSENTED = "consented", _("同意维修")
    DECLINED = "declined", _("不同意维修")
    NO_ANSWER = "no_answer", _("超时未答复")


QuoteState.colours = {
    QuoteState.RAISED: "warning",
    QuoteState.SENT: "warning",
    QuoteState.CONSENTED: "success",
    QuoteState.DECLINED: "danger",
    QuoteState.NO_ANSWER: "danger",
}


class QuoteLineKind(models.TextChoices):
    LABOUR = "labour", _("维修费")
    MATERIALS = "materials", _("材料费")
    PARTS = "parts", _("增补配件费")
    UPGRADE = "upgrade", _("升级费")
    OTHER = "other", _("其他费用")


class LoanState(StateChoices):
    LENT = "lent", _("已借出")
    RETURNED = "returned", _("已归还")


class ReviewDecision(models.TextChoices):
    MORE_TIME = "more_time", _("给出等待时限")
    LOANER = "loaner", _("借出备用机")
    ESCALATE = "escalate", _("上报客服部长")
    RETURN = "return", _("不修退回")


class WaitReason(models.TextChoices):
    """Why a unit earns a waiting limit (属技术问题或缺配件需更多时间维修)."""

    TECHNICAL = "technical", _("技术问题")
    PARTS = "parts", _("缺配件")


class StatementState(StateChoices):
    """The month-end statement's way to the money (每月底…): built by customer service, signed
    by the branch manager, handed over to sales dispatch, settled by its dispatcher with
    finance (划账)."""

    DRAFT = "draft", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    HANDED_OVER = "handed_over", _("已交调度")
    SETTLED = "settled", _("已划账")


StatementState.colours = {
    StatementState.DRAFT: "warning",
    StatementState.CONFIRMED: "primary",
    StatementState.HANDED_OVER: "info",
    StatementState.SETTLED: "success",
}


class PartLineState(StateChoices):
    """A repair order's part line (配件明细): reserved from the workshop's warehouse, or waiting
    for stock; issued when the repair starts; released when the unit goes back unrepaired, or
    returned to stock (退回入库) when it goes back unrepaired after the part was issued."""

    WAITING = "waiting", _("等待到货")
    RESERVED = "reserved", _("已预留")
    ISSUED = "issued", _("已领用")
    RELEASED = "released", _("已释放")
    RETURNED = "returned", _("已退库")


PartLineState.colours = {
    PartLineState.WAITING: "danger",
    PartLineState.RESERVED: "warning",
    PartLineState.ISSUED: "success",
    PartLineState.RELEASED: "secondary",
    PartLineState.RETURNED: "secondary",
}


# --- field service (驻外工程师服务流程, seed 001) ---------------------------------------------


class ServiceCategory(models.TextChoices):
    INSTALL = "install", _("安装")
    REPAIR = "repair", _("维修")
    MAINTENANCE = "maintenance", _("保养")
    INSPECTION = "inspection", _("巡检")


class RequestChannel(models.TextChoices):
    CALL = "call", _("来电")
    DEALER = "dealer", _("代理商")
    QR = "qr", _("扫码报修")
    STAFF = "staff", _("员工录入")


class ServiceRequestState(StateChoices):
    """A service event (服务事件): reported → dispatched (offered to an engineer or a point) →
    accepted → on site → solved → closed after a callback not dissatisfied; not solved →
    escalated (the fault confirmed) → dispatched again. A dissatisfied callback reopens it."""

    NEW = "new", _("待派单")
    DISPATCHED = "dispatched", _("已派单待接单")
    ACCEPTED = "accepted", _("已接单")
    ON_SITE = "on_site", _("服务中")
    ESCALATED = "escalated", _("未解决已升级")
    SOLVED = "solved", _("已解决待回访")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


ServiceRequestState.colours = {
    ServiceRequestState.NEW: "warning",
    ServiceRequestState.DISPATCHED: "info",
    ServiceRequestState.ACCEPTED: "primary",
    ServiceRequestState.ON_SITE: "primary",
    ServiceRequestState.ESCALATED: "danger",
    ServiceRequestState.SOLVED: "success",
    ServiceRequestState.CLOSED: "light",
    ServiceRequestState.CANCELLED: "dark",
}
OPEN_SERVICE_REQUEST_STATES = (
    ServiceRequestState.NEW,
    ServiceRequestState.DISPATCHED,
    ServiceRequestState.ACCEPTED,
    ServiceRequestState.ON_SITE,
    ServiceRequestState.ESCALATED,
)


class DispatchState(StateChoices):
    """One offer of a service request to an engineer or a service point (派单)."""

    OFFERED = "offered", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    DECLINED = "declined", _("已拒单")
    EXPIRED = "expired", _("超时未接单")
    WITHDRAWN = "withdrawn", _("已改派")


DispatchState.colours = {
    DispatchState.OFFERED: "warning",
    DispatchState.ACCEPTED: "success",
    DispatchState.DECLINED: "danger",
    DispatchState.EXPIRED: "danger",
    DispatchState.WITHDRAWN: "secondary",
}


class VisitState(StateChoices):
    """One visit on site (上门服务): planned (an appointment window) → checked in → finished,
    solved or not; or cancelled (re-dispatched, the customer cancelled)."""

    PLANNED = "planned", _("已预约")
    CHECKED_IN = "checked_in", _("已到达")
    SOLVED = "solved", _("已解决")
    INCOMPLETE = "incomplete", _("未解决")
    CANCELLED = "cancelled", _("已取消")


VisitState.colours = {
    VisitState.PLANNED: "info",
    VisitState.CHECKED_IN: "primary",
    VisitState.SOLVED: "success",
    VisitState.INCOMPLETE: "danger",
    VisitState.CANCELLED: "secondary",
}


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("服务前")
    AFTER = "after", _("服务后")
    OTHER = "other", _("其他")


class CallbackVerdict(models.TextChoices):
    """What the call centre's callback after a solved visit found (the settlement's last gate)."""

    PENDING = "pending", _("待回访")
    SATISFIED = "satisfied", _("满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    UNREACHED = "unreached", _("未回访成功")


# --- settlement with service points (网点结算, issue 20 item 7) ---------------------------------


class WarrantyMatch(models.TextChoices):
    """Which visits a fee rule prices by the request's warranty reading."""

    ANY = "any", _("不限")
    IN = "in", _("保修期内")
    OUT = "out", _("保修期外")


class SettlementState(StateChoices):
    """A service point's monthly statement (网点月结算单): built by the monthly batch (draft) →
    issued to the point → the point confirms or disputes each line → disputed lines resolved by
    the network specialist → approved → exported for payment."""

    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("待网点确认")
    DISPUTED = "disputed", _("有异议待处理")
    CONFIRMED = "confirmed", _("网点已确认")
    APPROVED = "approved", _("已审批")
    EXPORTED = "exported", _("已导出付款")


SettlementState.colours = {
    SettlementState.DRAFT: "secondary",
    SettlementState.ISSUED: "warning",
    SettlementState.DISPUTED: "danger",
    SettlementState.CONFIRMED: "primary",
    SettlementState.APPROVED: "info",
    SettlementState.EXPORTED: "success",
}


class SettlementLineKind(models.TextChoices):
    VISIT = "visit", _("上门服务费")
    REWARD = "reward", _("奖励")
    PENALTY = "penalty", _("扣罚")


class SettlementLineState(StateChoices):
    """One line of a statement as the point answers it: confirmed, or disputed with a reason and
    then adjusted or upheld by the network specialist."""

    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")
    ADJUSTED = "adjusted", _("已调整")
    UPHELD = "upheld", _("维持原额")


SettlementLineState.colours = {
    SettlementLineState.PENDING: "warning",
    SettlementLineState.CONFIRMED: "success",
    SettlementLineState.DISPUTED: "danger",
    SettlementLineState.ADJUSTED: "info",
    SettlementLineState.UPHELD: "secondary",
}


class PaymentGate(models.TextChoices):
    """The proof gates a finished visit passes before it is a payable line (DESIGN §2.6)."""

    CHECK_IN = "check_in", _("未到场签到")
    PHOTOS = "photos", _("缺必传照片")
    SIGNATURE = "signature", _("客户未签字")
    CALLBACK_PENDING = "callback_pending", _("待回访")
    CALLBACK_WAITING = "callback_waiting", _("回访未接通，回访期限未到")
    CALLBACK_DISSATISFIED = "callback_dissatisfied", _("回访不满意")
    NO_RULE = "no_rule", _("没有适用的费用规则")


# --- car-factory units (车厂回购机流程, issue 22 items 4 and 5) ---------------------------------


class OemStoreKind(models.TextChoices):
    DEALER = "dealer", _("经销商")
    STORE_4S = "4s", _("4S店")


class BuybackBatchState(StateChoices):
    OPEN = "open", _("处理中")
    CLOSED = "closed", _("已结案")


BuybackBatchState.colours = {BuybackBatchState.OPEN: "warning", BuybackBatchState.CLOSED: "success"}


class BuybackUnitState(StateChoices):
    RECEIVED = "received", _("待检测")
    INSPECTED = "inspected", _("待决定")
    DECIDED = "decided", _("处理中")
    DONE = "done", _("已完成")


BuybackUnitState.colours = {
    BuybackUnitState.RECEIVED: "primary",
    BuybackUnitState.INSPECTED: "info",
    BuybackUnitState.DECIDED: "warning",
    BuybackUnitState.DONE: "success",
}


class BuybackGrade(models.TextChoices):
    A = "A", _("A 级：功能外观完好")
    B = "B", _("B 级：功能正常，外观有瑕疵")
    C = "C", _("C 级：有故障，可修复")
    D = "D", _("D 级：无修复价值")


class BuybackDecision(models.TextChoices):
    REFURBISH = "refurbish", _("翻新入库")
    REPAIR = "repair", _("维修")
    SCRAP = "scrap", _("报废")


class BackupUnitState(StateChoices):
    IN_POOL = "in_pool", _("在库")
    LENT = "lent", _("借出")
    RETURNED_FAULTY = "returned_faulty", _("归还故障")
    UNDER_REPAIR = "under_repair", _("维修中")
    SCRAPPED = "scrapped", _("已报废")


BackupUnitState.colours = {
    BackupUnitState.IN_POOL: "success",
    BackupUnitState.LENT: "primary",
    BackupUnitState.RETURNED_FAULTY: "danger",
    BackupUnitState.UNDER_REPAIR: "warning",
    BackupUnitState.SCRAPPED: "secondary",
}


class BackupSwapState(StateChoices):
    LENT = "lent", _("借出中")
    RETURNED = "returned", _("已归还")


BackupSwapState.colours = {BackupSwapState.LENT: "primary", BackupSwapState.RETURNED: "success"}


class BackupCondition(models.TextChoices):
    GOOD = "good", _("完好，回库")
    FAULTY = "faulty", _("有故障")


class OemReconciliationState(StateChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发送车厂")
    CONFIRMED = "confirmed", _("车厂已确认")
    DISPUTED = "disputed", _("车厂有异议")


OemReconciliationState.colours = {
    OemReconciliationState.DRAFT: "secondary",
    OemReconciliationState.SENT: "primary",
    OemReconciliationState.CONFIRMED: "success",
    OemReconciliationState.DISPUTED: "danger",
}
# --- collections (收款, issue 22 item 3) --------------------------------------------------------


class ReceivableSource(models.TextChoices):
    """What a receivable bills: a confirmed month-end statement (the branch's repair and parts
    fees) or a parts sale to a dealer put on account (an invoiced parts quote)."""

    STATEMENT = "statement", _("月结对账单")
    PARTS_SALE = "parts_sale", _("配件销售")


class ReceivableState(StateChoices):
    OPEN = "open", _("未收款")
    PARTIALLY_PAID = "partially_paid", _("部分收款")
    PAID = "paid", _("已收清")
    WRITTEN_OFF = "written_off", _("已核销")


ReceivableState.colours = {
    ReceivableState.OPEN: "warning",
    ReceivableState.PARTIALLY_PAID: "info",
    ReceivableState.PAID: "success",
    ReceivableState.WRITTEN_OFF: "secondary",
}
RECEIVABLE_OPEN_STATES = (ReceivableState.OPEN, ReceivableState.PARTIALLY_PAID)


# --- advances (借支) and expense claims (报销), issue 22 ----------------------------------------
class MoneyDocKind(models.TextChoices):
    ADVANCE = "advance", _("借支")
    CLAIM = "claim", _("报销")


class MoneyHolderScope(models.TextChoices):
    """Where a money step's signer is looked up: from the requester's own unit up (their
    supervisor: the nearest holder of the role), or at headquarters."""

    REQUESTER_UNIT = "requester_unit", _("申请人所在单位（向上就近）")
    HEADQUARTERS = "headquarters", _("总部")


class MoneyStepCondition(models.TextChoices):
    """When a step of a money chain applies (read at submission, from MoneyPolicy)."""

    ALWAYS = "always", _("总是")
    ABOVE_THRESHOLD = "above_threshold", _("金额超过财务审批门槛")
    OVER_LIMIT = "over_limit", _("有明细超过类别标准")


class AdvanceState(StateChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    APPROVED = "approved", _("待付款")
    PAID = "paid", _("已付款未核销")
    PARTIALLY_SETTLED = "partially_settled", _("部分核销")
    SETTLED = "settled", _("已核销")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


AdvanceState.colours = {
    AdvanceState.DRAFT: "secondary",
    AdvanceState.SUBMITTED: "primary",
    AdvanceState.APPROVED: "info",
    AdvanceState.PAID: "warning",
    AdvanceState.PARTIALLY_SETTLED: "warning",
    AdvanceState.SETTLED: "success",
    AdvanceState.REJECTED: "danger",
    AdvanceState.CANCELLED: "dark",
}


class ClaimState(StateChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    APPROVED = "approved", _("待付款")
    PAID = "paid", _("已付款")
    REJECTED = "rejected", _("已退回")
    CANCELLED = "cancelled", _("已取消")


ClaimState.colours = {
    ClaimState.DRAFT: "secondary",
    ClaimState.SUBMITTED: "primary",
    ClaimState.APPROVED: "info",
    ClaimState.PAID: "success",
    ClaimState.REJECTED: "danger",
    ClaimState.CANCELLED: "dark",
}


class ExpenseCategory(models.TextChoices):
    TRAVEL = "travel", _("差旅交通")
    LODGING = "lodging", _("住宿")
    LOCAL_PARTS = "local_parts", _("本地购件")
    FREIGHT = "freight", _("运费")
    OTHER = "other", _("其他")


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("银行转账")
    CASH = "cash", _("现金")
    BILL = "bill", _("承兑汇票")
    DISPATCH = "dispatch", _("划账")


class PaymentState(StateChoices):
    RECORDED = "recorded", _("已入账")
    REVERSED = "reversed", _("已冲销")


PaymentState.colours = {PaymentState.RECORDED: "success", PaymentState.REVERSED: "secondary"}


class TransferState(StateChoices):
    """A settlement through sales dispatch (划账): the dispatcher proposes it, finance confirms
    it (a payment of method 划账) or rejects it with the reason."""

    PROPOSED = "proposed", _("待财务确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已退回")


TransferState.colours = {
    TransferState.PROPOSED: "warning",
    TransferState.CONFIRMED: "success",
    TransferState.REJECTED: "danger",
}


class AgeingBucket(models.TextChoices):
    """Days past the due date of an open receivable's balance."""

    CURRENT = "current", _("未到期")
    D1_30 = "d1_30", _("逾期 1–30 天")
    D31_60 = "d31_60", _("逾期 31–60 天")
    D61_90 = "d61_90", _("逾期 61–90 天")
    OVER_90 = "over_90", _("逾期 90 天以上")


class DisbursementMethod(models.TextChoices):
    """How finance pays out an advance or a claim (collections' PaymentMethod is what comes in)."""

    BANK = "bank", _("银行转账")
    CASH = "cash", _("现金")
    OTHER = "other", _("其他")


class AdvanceSettlementKind(models.TextChoices):
    CLAIM = "claim", _("报销冲抵")
    REPAYMENT = "repayment", _("还款")
