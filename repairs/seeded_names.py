"""Names that repairs' seeding migrations (0002_default_chains, 0004_repair_limits) and its
plugin's default policies write as data: approval chains and their steps (copied onto every
application's step rows), deadline policies. They are data an admin may edit, so they are stored
as written; listed here so makemessages extracts them, and shown through the catalogue
(`service_ops.i18n.data_text`, the `data_text` template filter): a name an admin typed that the
catalogue does not know shows as typed. Keep this list in step with those migrations."""

from django.utils.translation import gettext_noop

SEEDED_NAMES = (
    # 0002_default_chains: the approval-step policy, the chains and their steps
    gettext_noop("返厂申请审批步骤"),
    gettext_noop("经营型分公司返货流程"),
    gettext_noop("驻外客服主管确认"),
    gettext_noop("分公司经理审核"),
    gettext_noop("客服部部长审批"),
    gettext_noop("管理型分公司返货流程"),
    gettext_noop("当地维修工程师确认"),
    gettext_noop("省区经理审核"),
    # 0004_repair_limits: repair limits (the lot-limit rules point at these), quotes, loaners
    gettext_noop("维修时限（单台）"),
    gettext_noop("维修时限（2–3 台）"),
    gettext_noop("维修时限（批量 4 台以上）"),
    gettext_noop("报价发送（后勤专员 1 个工作日内）"),
    gettext_noop("报价确认（发货方 2 个工作日内）"),
    gettext_noop("备用机归还"),
    # plugin.py: the returned-stock limits the clerk picks from
    gettext_noop("退货产品领机维修期限（5 天）"),
    gettext_noop("退货产品领机维修期限（10 天）"),
    gettext_noop("退货产品领机维修期限（15 天）"),
    gettext_noop("退货产品领机维修期限（30 天）"),
)
