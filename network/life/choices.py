"""Named choices of the network's life, each state set with its badge colours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StateChoices(models.TextChoices):
    @classmethod
    def colour_of(cls, value) -> str:
        return cls.__dict__.get("colours", {}).get(value, "secondary")


class ApplicationState(StateChoices):
    """An application to join the network (申请入网)."""

    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("审核中")
    APPROVED = "approved", _("已入网")
    REJECTED = "rejected", _("未通过")


ApplicationState.colours = {
    ApplicationState.SUBMITTED: "info",
    ApplicationState.UNDER_REVIEW: "warning",
    ApplicationState.APPROVED: "success",
    ApplicationState.REJECTED: "secondary",
}


class DocumentKind(models.TextChoices):
    """Qualification documents (资质文件) a point keeps on file."""

    BUSINESS_LICENCE = "business_licence", _("营业执照")
    TECHNICIAN_CERTIFICATE = "technician_certificate", _("技术员资格证书")
    ELECTRICIAN_CERTIFICATE = "electrician_certificate", _("电工作业证")
    AUTHORISATION = "authorisation", _("授权书")
    GPS_CERTIFICATE = "gps_certificate", _("GPS升级资质证明")
    TAX_REGISTRATION = "tax_registration", _("税务登记")
    OTHER = "other", _("其他")


class EvaluationState(StateChoices):
    """A quarter's evaluation (考核) of a point: the score and suggested grade, then the network
    specialist's confirmation of the grade."""

    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


EvaluationState.colours = {
    EvaluationState.PROPOSED: "warning",
    EvaluationState.CONFIRMED: "success",
}


class TrainingMode(models.TextChoices):
    ON_SITE = "on_site", _("现场")
    ONLINE = "online", _("线上")


class TrainingState(StateChoices):
    PLANNED = "planned", _("已安排")
    HELD = "held", _("已举行")
    CANCELLED = "cancelled", _("已取消")


TrainingState.colours = {
    TrainingState.PLANNED: "info",
    TrainingState.HELD: "success",
    TrainingState.CANCELLED: "secondary",
}


class Attendance(models.TextChoices):
    INVITED = "invited", _("已报名")
    PRESENT = "present", _("出席")
    ABSENT = "absent", _("缺席")


# Badge colours of a point's standing (network.choices.PointStatus) and grade.
POINT_STATUS_COLOURS = {
    "onboarding": "info",
    "active": "success",
    "suspended": "warning",
    "terminated": "secondary",
}
GRADE_COLOURS = {"A": "success", "B": "primary", "C": "info", "D": "danger"}
