"""Pages of the network's life for the network specialist (网点专员): the points list and a
point's page (profile, areas, documents, evaluations, standing, prepaid, trainings) with its
actions; applications to join; evaluations; trainings and a person's training record.

Thin: scope through the selectors (a row outside the caller's scope is a 404), validate with the
forms, change through the services (run_action: form errors, 409 for a transition not allowed)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import run_action
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import PointStatus
from ..models import OrgUnit, StaffProfile
from . import forms as f
from . import permissions as perms
from . import selectors as sel
from . import services as svc
from .choices import GRADE_COLOURS, ApplicationState, EvaluationState, TrainingState


def _reader(request) -> None:
    if not perms.may_read_points(request.user):
        raise PermissionDenied


def _manager(request) -> None:
    if not perms.may_manage_points(request.user):
        raise PermissionDenied


def _point(request, pk: int) -> OrgUnit:
    unit = sel.point_for(request.user, pk)
    if unit is None:
        raise Http404
    return unit


# --- points --------------------------------------------------------------------------------------


@login_required
@require_GET
def point_list(request):
    _reader(request)
    form = f.PointFilterForm(request.GET or None, provinces=sel.area_provinces())
    points = sel.points_visible_to(
        request.user,
        grade=form.value("grade") or "",
        status=form.value("status") or "",
        province=form.value("province") or "",
        q=form.value("q") or "",
        gps=bool(form.value("gps")),
    )
    page = keyset_page(points, request.GET)
    expiring = sel.expiring_counts([u.pk for u in page.object_list])
    for unit in page.object_list:
        unit.expiring = expiring.get(unit.pk, 0)
    return render(
        request,
        "network/life/point_list.html",
        {"form": form, "page": page, "grade_colours": GRADE_COLOURS},
    )


def _point_page(request, unit, *, status=200, **forms):
    data = sel.point_detail(unit)
    manager = perms.may_manage_points(request.user)
    profile = data["profile"]
    context = {
        "unit": unit,
        **data,
        "grade_colours": GRADE_COLOURS,
        "may_manage": manager,
        "document_form": forms.get("document_form") or f.DocumentForm(),
        "gps_form": forms.get("gps_form") or f.GpsDecisionForm(),
        "reason_action": forms.get("reason_action", ""),
        "standing_actions": [
            (
                name,
                label,
                forms["reason_form"]
                if forms.get("reason_action") == name
                else f.ReasonForm(prefix=name),
            )
            for name, label, sources in (
                ("suspend", _("暂停合作"), (PointStatus.ACTIVE,)),
                ("reinstate", _("恢复合作"), (PointStatus.SUSPENDED,)),
                ("terminate", _("终止合作"), (PointStatus.ACTIVE, PointStatus.SUSPENDED)),
            )
            if manager and profile is not None and profile.status in sources
        ],
    }
    return render(request, "network/life/point_detail.html", context, status=status)


@login_required
@require_GET
def point_detail(request, pk: int):
    _reader(request)
    return _point_page(request, _point(request, pk))


@login_required
@require_POST
def point_document_add(request, pk: int):
    _manager(request)
    unit = _point(request, pk)
    form = f.DocumentForm(request.POST, request.FILES)
    return run_action(
        request,
        form,
        lambda d: svc.document_add(actor=request.user, org_unit=unit, **d),
        sel_url(unit) + "#documents",
        invalid=lambda form: _point_page(request, unit, status=400, document_form=form),
        message=_("资质文件已上传"),
    )


@login_required
@require_POST
def point_gps(request, pk: int):
    _manager(request)
    unit = _point(request, pk)
    form = f.GpsDecisionForm(request.POST, request.FILES)
    return run_action(
        request,
        form,
        lambda d: svc.gps_qualification_decide(
            actor=request.user,
            org_unit=unit,
            granted=not unit.gps_upgrade,
            reason=d["reason"],
            evidence=d["evidence"],
        ),
        sel_url(unit) + "#gps",
        invalid=lambda form: _point_page(request, unit, status=400, gps_form=form),
        message=lambda d: _("已授予GPS升级资质") if d.granted else _("已取消GPS升级资质"),
    )


STANDING = {
    "suspend": (svc.point_suspend, _("网点已暂停合作")),
    "reinstate": (svc.point_reinstate, _("网点已恢复合作")),
    "terminate": (svc.point_terminate, _("网点已终止合作")),
}


@login_required
@require_POST
def point_standing(request, pk: int, action: str):
    _manager(request)
    unit = _point(request, pk)
    if action not in STANDING:
        raise Http404
    service, done = STANDING[action]
    form = f.ReasonForm(request.POST, prefix=action)
    return run_action(
        request,
        form,
        lambda d: service(org_unit=unit, actor=request.user, reason=d["reason"]),
        sel_url(unit) + "#standing",
        invalid=lambda form: _point_page(
            request, unit, status=400, reason_form=form, reason_action=action
        ),
        message=str(done),
    )


def sel_url(unit) -> str:
    from django.urls import reverse

    return reverse("network:point_detail", args=[unit.pk])


# --- applications ------------------------------------------------------------------------------


@login_required
@require_GET
def application_list(request):
    _reader(request)
    state = request.GET.get("state", "open")
    state = state if state in {"open", "", *ApplicationState.values} else "open"
    q = request.GET.get("q", "").strip()[:60]
    page = keyset_page(sel.applications_visible_to(request.user, state=state, q=q), request.GET)
    return render(
        request,
        "network/life/application_list.html",
        {
            "page": page,
            "state": state,
            "q": q,
            "states": [("open", _("待处理")), *ApplicationState.choices, ("", _("全部"))],
            "may_apply": perms.may_apply(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request):
    if not perms.may_apply(request.user):
        raise PermissionDenied
    form = f.ApplicationForm(request.POST or None, user=request.user)

    def page(form, status=200):
        return render(request, "network/life/application_new.html", {"form": form}, status=status)

    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda d: svc.application_submit(actor=request.user, **d),
            lambda app: app.get_absolute_url(),
            invalid=lambda form: page(form, 400),
            message=_("入网申请已提交，请上传资质文件"),
        )
    return page(form)


def _application(request, pk):
    application = sel.application_for(request.user, pk)
    if application is None:
        raise Http404
    return application


def _application_page(request, application, *, status=200, **forms):
    may_review = perms.may_review(request.user)
    open_ = application.state in (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
    return render(
        request,
        "network/life/application_detail.html",
        {
            "application": application,
            "documents": list(application.documents.all()[:50]),
            "log": log_of(application),
            "may_review": may_review,
            "may_add_document": open_ and (may_review or perms.may_apply(request.user)),
            "document_form": forms.get("document_form") or f.DocumentForm(),
            "review_form": forms.get("review_form") or f.ReviewForm(prefix="approve"),
            "reject_form": forms.get("reject_form") or f.RejectForm(prefix="reject"),
        },
        status=status,
    )


@login_required
@require_GET
def application_detail(request, pk: int):
    _reader(request)
    return _application_page(request, _application(request, pk))


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    application = _application(request, pk)
    url = application.get_absolute_url()
    if action == "document":
        form = f.DocumentForm(request.POST, request.FILES)
        return run_action(
            request,
            form,
            lambda d: svc.document_add(actor=request.user, application=application, **d),
            url + "#documents",
            invalid=lambda form: _application_page(
                request, application, status=400, document_form=form
            ),
            message=_("资质文件已上传"),
        )
    if not perms.may_review(request.user):
        raise PermissionDenied
    if action == "review":
        form = f.ReasonForm(request.POST)  # no field is read: starting a review takes none
        form.fields["reason"].required = False
        call = lambda d: svc.application_start_review(  # noqa: E731
            application=application, actor=request.user
        )
        message = _("已开始审核")
        invalid = lambda form: _application_page(request, application, status=400)  # noqa: E731
    elif action == "approve":
        form = f.ReviewForm(request.POST, prefix="approve")
        call = lambda d: svc.application_approve(  # noqa: E731
            application=application, actor=request.user, note=d["note"], code=d["code"]
        )
        message = _("已批准入网，网点档案已建立")
        invalid = lambda form: _application_page(  # noqa: E731
            request, application, status=400, review_form=form
        )
    elif action == "reject":
        form = f.RejectForm(request.POST, prefix="reject")
        call = lambda d: svc.application_reject(  # noqa: E731
            application=application, actor=request.user, note=d["note"]
        )
        message = _("已退回申请")
        invalid = lambda form: _application_page(  # noqa: E731
            request, application, status=400, reject_form=form
        )
    else:
        raise Http404
    return run_action(request, form, call, url, invalid=invalid, message=message)


# --- evaluations -------------------------------------------------------------------------------


@login_required
@require_GET
def evaluation_list(request):
    _reader(request)
    period = request.GET.get("period", "").strip()[:8]
    state = request.GET.get("state", "")
    state = state if state in EvaluationState.values else ""
    grade = request.GET.get("grade", "")
    page = keyset_page(
        sel.evaluations_visible_to(request.user, period=period, state=state, grade=grade),
        request.GET,
    )
    return render(
        request,
        "network/life/evaluation_list.html",
        {
            "page": page,
            "period": period,
            "state": state,
            "periods": sel.evaluation_periods(request.user),
            "states": EvaluationState.choices,
            "grade_colours": GRADE_COLOURS,
            "may_manage": perms.may_manage_points(request.user),
            "compute_form": f.EvaluationComputeForm(),
        },
    )


@login_required
@require_POST
def evaluation_compute(request):
    _manager(request)
    from django.urls import reverse

    form = f.EvaluationComputeForm(request.POST)
    url = reverse("network:evaluation_list")
    return run_action(
        request,
        form,
        lambda d: svc.evaluations_compute(period=d["period"], actor=request.user, recompute=True),
        url,
        invalid=lambda form: evaluation_list_invalid(request, form),
        message=lambda n: _("已生成或更新 %(n)s 份考核") % {"n": n},
    )


def evaluation_list_invalid(request, form):
    page = keyset_page(sel.evaluations_visible_to(request.user), {})
    return render(
        request,
        "network/life/evaluation_list.html",
        {
            "page": page,
            "period": "",
            "state": "",
            "periods": sel.evaluation_periods(request.user),
            "states": EvaluationState.choices,
            "grade_colours": GRADE_COLOURS,
            "may_manage": True,
            "compute_form": form,
        },
        status=400,
    )


def _evaluation(request, pk):
    evaluation = (
        sel.evaluations_visible_to(request.user)
        .filter(pk=pk)
        .select_related("confirmed_by")
        .first()
    )
    if evaluation is None:
        raise Http404
    return evaluation


def _evaluation_page(request, evaluation, *, status=200, form=None):
    return render(
        request,
        "network/life/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "may_manage": perms.may_manage_points(request.user),
            "form": form or f.EvaluationConfirmForm(initial={"grade": evaluation.suggested_grade}),
            "grade_colours": GRADE_COLOURS,
            "log": log_of(evaluation),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_detail(request, pk: int):
    _reader(request)
    evaluation = _evaluation(request, pk)
    if request.method == "POST":
        _manager(request)
        form = f.EvaluationConfirmForm(request.POST)
        return run_action(
            request,
            form,
            lambda d: svc.evaluation_confirm(
                evaluation=evaluation, actor=request.user, grade=d["grade"], note=d["note"]
            ),
            evaluation.get_absolute_url(),
            invalid=lambda form: _evaluation_page(request, evaluation, status=400, form=form),
            message=_("考核等级已确认"),
        )
    return _evaluation_page(request, evaluation)


# --- trainings ---------------------------------------------------------------------------------


@login_required
@require_GET
def training_list(request):
    _reader(request)
    form = f.TrainingFilterForm(request.GET or None)
    ok = form.is_valid()
    page = keyset_page(
        sel.trainings_visible_to(
            request.user,
            state=form.cleaned_data.get("state", "") if ok else "",
            q=form.cleaned_data.get("q", "") if ok else "",
        ),
        request.GET,
    )
    return render(
        request,
        "network/life/training_list.html",
        {"page": page, "form": form, "may_train": perms.may_manage_training(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_new(request):
    if not perms.may_manage_training(request.user):
        raise PermissionDenied
    form = f.TrainingForm(request.POST or None, request.FILES or None, user=request.user)

    def page(form, status=200):
        return render(request, "network/life/training_new.html", {"form": form}, status=status)

    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda d: svc.training_create(actor=request.user, **d),
            lambda s: s.get_absolute_url(),
            invalid=lambda form: page(form, 400),
            message=_("培训已安排，请添加学员"),
        )
    return page(form)


def _training(request, pk):
    session = sel.trainings_visible_to(request.user).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def _training_page(request, session, *, status=200, add_form=None, record_form=None):
    attendees = list(session.attendees.select_related("user", "org_unit"))
    may_train = perms.may_manage_training(request.user)
    return render(
        request,
        "network/life/training_detail.html",
        {
            "session": session,
            "attendees": attendees,
            "may_train": may_train,
            "add_form": add_form
            or (
                f.AttendeeAddForm(user=request.user, session=session)
                if may_train and session.state == TrainingState.PLANNED
                else None
            ),
            "record_form": record_form
            or (
                f.AttendanceForm(attendees=attendees)
                if may_train and session.state != TrainingState.CANCELLED and attendees
                else None
            ),
            "cancel_form": f.ReasonForm() if may_train else None,
            "log": log_of(session),
        },
        status=status,
    )


@login_required
@require_GET
def training_detail(request, pk: int):
    _reader(request)
    return _training_page(request, _training(request, pk))


@login_required
@require_POST
def training_action(request, pk: int, action: str):
    if not perms.may_manage_training(request.user):
        raise PermissionDenied
    session = _training(request, pk)
    url = session.get_absolute_url()
    if action == "attendees":
        form = f.AttendeeAddForm(request.POST, user=request.user, session=session)
        return run_action(
            request,
            form,
            lambda d: svc.training_add_attendees(
                actor=request.user, session=session, users=list(d["users"])
            ),
            url + "#attendees",
            invalid=lambda form: _training_page(request, session, status=400, add_form=form),
            message=lambda n: _("已添加 %(n)s 名学员") % {"n": n},
        )
    if action == "record":
        attendees = list(session.attendees.select_related("user", "org_unit"))
        form = f.AttendanceForm(request.POST, attendees=attendees)
        return run_action(
            request,
            form,
            lambda d: svc.training_record(
                actor=request.user, session=session, results=form.results()
            ),
            url + "#attendees",
            invalid=lambda form: _training_page(request, session, status=400, record_form=form),
            message=_("出勤和成绩已登记"),
        )
    if action == "cancel":
        form = f.ReasonForm(request.POST)
        return run_action(
            request,
            form,
            lambda d: svc.training_cancel(actor=request.user, session=session, reason=d["reason"]),
            url,
            invalid=lambda form: _training_page(request, session, status=400),
            message=_("培训已取消"),
        )
    raise Http404


@login_required
@require_GET
def training_record(request, user_pk: int):
    """A person's training record (培训记录): oneself, or someone in the caller's scope."""
    person = get_object_or_404(get_user_model(), pk=user_pk)
    if person.pk != request.user.pk:
        _reader(request)
        visible = StaffProfile.objects.filter(
            user=person, org_unit__in=OrgUnit.objects.visible_to(request.user)
        ).exists()
        if not visible:
            raise Http404
    return render(
        request,
        "network/life/training_record.html",
        {"person": person, "rows": sel.training_record_of(person)},
    )
