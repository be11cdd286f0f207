"""Forms of the network's life. A form validates what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..choices import OrgKind, PointGrade, PointStatus, Role
from ..models import OrgUnit
from .choices import Attendance, DocumentKind, TrainingMode, TrainingState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MINUTE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TRAINEE_ROLES = (
    Role.BRANCH_ENGINEER,
    Role.LOCAL_ENGINEER,
    Role.TECHNICIAN,
    Role.SERVICE_POINT_STAFF,
    Role.FIELD_CS_SUPERVISOR,
)


class PointFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    grade = forms.ChoiceField(
        label=_("等级"), required=False, choices=[("", _("全部等级")), *PointGrade.choices]
    )
    status = forms.ChoiceField(
        label=_("合作状态"),
        required=False,
        choices=[("", _("全部状态")), *PointStatus.choices, ("none", _("无网点档案"))],
    )
    province = forms.ChoiceField(label=_("服务省份"), required=False, choices=[])
    gps = forms.BooleanField(label=_("只看GPS升级网点"), required=False)

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("全部省份")), *((p, p) for p in provinces)]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("名称或编码")})

    def value(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else None


def _parse_areas(text: str) -> list[list[str]]:
    areas = []
    for line in (text or "").splitlines():
        parts = line.replace("，", " ").replace(",", " ").replace("/", " ").split()
        if parts:
            areas.append(parts[:3])
    return areas


class ApplicationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("网点名称"), max_length=120)
    parent = forms.ModelChoiceField(label=_("所属分公司或办事处"), queryset=OrgUnit.objects.none())
    proposed_code = forms.CharField(
        label=_("网点编码"), max_length=32, required=False, help_text=_("留空则入网时自动编号")
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=60)
    phone = forms.CharField(label=_("电话"), max_length=40)
    province = forms.CharField(label=_("省"), max_length=20)
    city = forms.CharField(label=_("市"), max_length=30, required=False)
    district = forms.CharField(label=_("区县"), max_length=30, required=False)
    address = forms.CharField(label=_("详细地址"), max_length=200)
    areas = forms.CharField(
        label=_("服务区域"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个区域：省 市 区县（市、区县可省略），如“广东省 广州市 白云区”"),
    )
    skills = forms.CharField(
        label=_("服务技能"), required=False, max_length=200, help_text=_("用逗号分隔，如 安装,维修")
    )
    product_models = forms.CharField(
        label=_("可服务型号"),
        required=False,
        max_length=300,
        help_text=_("用逗号分隔；留空表示全部"),
    )
    capacity = forms.IntegerField(label=_("同时在办上限"), min_value=1, max_value=500, initial=10)
    technicians = forms.IntegerField(label=_("技术员人数"), min_value=0, max_value=500, initial=2)
    grade = forms.ChoiceField(label=_("初定等级"), choices=PointGrade.choices, initial=PointGrade.C)
    contract_start = forms.DateField(label=_("合同开始"), required=False, widget=DATE)
    contract_end = forms.DateField(label=_("合同结束"), required=False, widget=DATE)
    gps_upgrade_requested = forms.BooleanField(label=_("申请GPS升级资质"), required=False)
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            OrgUnit.objects.visible_to(user)
            .filter(kind__in=[OrgKind.BRANCH, OrgKind.FIELD_OFFICE], is_active=True)
            .order_by("path")
        )

    def clean_areas(self):
        areas = _parse_areas(self.cleaned_data.get("areas", ""))
        if not areas:
            raise ValidationError(_("请至少填写一个服务区域（省必填）"))
        return areas


class ReviewForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    code = forms.CharField(
        label=_("网点编码"),
        max_length=32,
        required=False,
        help_text=_("留空用申请中的编码或自动编号"),
    )


class RejectForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("不通过原因"), widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("资质类型"), choices=DocumentKind.choices)
    number = forms.CharField(label=_("证书编号"), max_length=60, required=False)
    holder_name = forms.CharField(
        label=_("持证人"), max_length=60, required=False, help_text=_("技术员证书填写持证人姓名")
    )
    issued_on = forms.DateField(label=_("发证日期"), required=False, widget=DATE)
    expires_on = forms.DateField(
        label=_("有效期至"), required=False, widget=DATE, help_text=_("长期有效留空")
    )
    file = forms.FileField(label=_("文件"))


class GpsDecisionForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(
        label=_("证明材料"), required=False, help_text=_("授予时必须上传（证书、测试报告等）")
    )


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class EvaluationComputeForm(BootstrapMixin, forms.Form):
    period = forms.CharField(label=_("考核期"), max_length=8, help_text=_("如 2026Q3"))


class EvaluationConfirmForm(BootstrapMixin, forms.Form):
    grade = forms.ChoiceField(label=_("确认等级"), choices=PointGrade.choices)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("与建议等级不同时必填"),
    )


class TrainingForm(BootstrapMixin, forms.Form):
    topic = forms.CharField(label=_("培训主题"), max_length=120)
    description = forms.CharField(
        label=_("内容说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=MINUTE)
    hours = forms.DecimalField(
        label=_("学时"), min_value=Decimal("0.5"), max_value=80, decimal_places=1, initial=2
    )
    trainer = forms.ModelChoiceField(
        label=_("讲师"), queryset=get_user_model().objects.none(), required=False
    )
    trainer_name = forms.CharField(label=_("外部讲师"), max_length=60, required=False)
    mode = forms.ChoiceField(label=_("形式"), choices=TrainingMode.choices)
    place = forms.CharField(label=_("地点或链接"), max_length=200)
    materials = forms.FileField(label=_("培训资料"), required=False)
    pass_score = forms.IntegerField(label=_("合格分数"), min_value=0, max_value=100, initial=60)
    org_unit = forms.ModelChoiceField(label=_("组织单位"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.visible_to(user).filter(
            kind__in=[OrgKind.HEADQUARTERS, OrgKind.PROVINCE, OrgKind.BRANCH, OrgKind.FIELD_OFFICE]
        )
        self.fields["org_unit"].queryset = units.order_by("path")
        self.fields["trainer"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, profile__org_unit__in=units)
            .exclude(role_assignments__role__in=[Role.DEALER_STAFF, Role.SERVICE_POINT_STAFF])
            .distinct()
            .order_by("username")[:300]
        )
        self.fields["trainer"].label_from_instance = lambda u: u.get_full_name() or u.username


def trainee_choices(user, session):
    """People who may be enrolled: engineers, technicians and point staff the user may see, not
    yet on the session (bounded)."""
    units = OrgUnit.objects.visible_to(user)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__org_unit__in=units,
            role_assignments__role__in=TRAINEE_ROLES,
        )
        .exclude(trainings__session=session)
        .select_related("profile__org_unit")
        .distinct()
        .order_by("profile__org_unit__path", "username")[:300]
    )


class AttendeeAddForm(BootstrapMixin, forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("学员"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, user, session, **kwargs):
        super().__init__(*args, **kwargs)
        qs = trainee_choices(user, session)
        ids = list(qs.values_list("pk", flat=True))
        self.fields["users"].queryset = (
            get_user_model().objects.filter(pk__in=ids).select_related("profile__org_unit")
        )
        self.fields["users"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username}（{u.profile.org_unit.name}）"
        )
        self.fields["users"].widget.attrs["size"] = 8


class AttendanceForm(BootstrapMixin, forms.Form):
    """One row per attendee: attendance, score, note (fields named by the attendee's id)."""

    def __init__(self, *args, attendees, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for a in attendees:
            self.fields[f"attendance_{a.pk}"] = forms.ChoiceField(
                label=_("出勤"),
                choices=[
                    ("", _("请选择")),
                    (Attendance.PRESENT, Attendance.PRESENT.label),
                    (Attendance.ABSENT, Attendance.ABSENT.label),
                ],
                initial=a.attendance if a.attendance != Attendance.INVITED else "",
            )
            self.fields[f"score_{a.pk}"] = forms.DecimalField(
                label=_("成绩"),
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=1,
                initial=a.score,
            )
            self.fields[f"note_{a.pk}"] = forms.CharField(
                label=_("备注"), required=False, max_length=200, initial=a.note
            )
            self.rows.append(a)
        super_init_classes(self)

    def bound_rows(self):
        return [
            (a, self[f"attendance_{a.pk}"], self[f"score_{a.pk}"], self[f"note_{a.pk}"])
            for a in self.rows
        ]

    def results(self) -> dict[int, dict]:
        return {
            a.pk: {
                "attendance": self.cleaned_data.get(f"attendance_{a.pk}"),
                "score": self.cleaned_data.get(f"score_{a.pk}"),
                "note": self.cleaned_data.get(f"note_{a.pk}"),
            }
            for a in self.rows
        }


def super_init_classes(form) -> None:
    """Give the fields added after BootstrapMixin's __init__ their Bootstrap classes."""
    for bound in form.fields.values():
        widget = bound.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if css not in widget.attrs.get("class", ""):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class TrainingFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *TrainingState.choices]
    )


def now_local_minute():
    return timezone.localtime().replace(second=0, microsecond=0)
