"""Partner and staff API of return applications (返修机返厂申请) and their approval steps.

Thin ViewSets: scope in get_queryset (ReturnApplication.objects.visible_to — an application outside
the caller's scope answers 404 to read, list and action alike), validation in the serializers,
every write in repairs.services.returns with channel="api". Errors follow DESIGN §3: 400 with field
errors, 403 for an actor the service refuses, 409 with the allowed actions for a transition not
allowed now (service_ops.api.exceptions)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from service_ops.api.filters import FilterBackend
from service_ops.api.pagination import KeysetPagination
from service_ops.transitions.models import ActionChannel, TransitionLog
from service_ops.transitions.services import log_of

from ...choices import StepState
from ...filtersets.returns import ApiReturnApplicationFilterSet, ApprovalStepFilterSet
from ...models import ApprovalStep, ReturnApplication
from ...permissions import may_create_application
from ...selectors.returns import step_deadlines
from ...services import returns as rma
from .. import examples as ex
from ..serializers.returns import (
    ApprovalStepSerializer,
    ApproveSerializer,
    RejectSerializer,
    ReturnApplicationCreateSerializer,
    ReturnApplicationSerializer,
    ReturnApplicationUpdateSerializer,
    TransitionEntrySerializer,
    WithdrawSerializer,
)

API = ActionChannel.API


def _error(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(description, value=example)],
    )


BAD_INPUT = _error("参数错误：按字段列出原因", ex.BAD_INPUT)
FORBIDDEN = _error("无权执行此操作", {"detail": "您没有执行该操作的权限。"})
NOT_FOUND = _error("不存在或不在调用者的可见范围内", {"detail": "未找到，或不在您的可见范围内。"})
CONFLICT = _error("当前状态不允许此操作；allowed_actions 为现在可执行的动作", ex.CONFLICT)


class MayCreateApplication(permissions.BasePermission):
    """Dealers and branch repair engineers file return applications."""

    message = _("只有分公司维修工程师或代理商可以提交返厂申请")

    def has_permission(self, request, view):
        return view.action != "create" or may_create_application(request.user)


def with_related(queryset):
    """What a representation reads, in a constant number of queries whatever the page size:
    branch, dealer, applicant joined; lines, the current round's steps (with signer and unit),
    received units and discrepancies prefetched."""
    current_steps = ApprovalStep.objects.filter(round=F("application__round")).select_related(
        "org_unit", "decided_by"
    )
    return queryset.select_related(
        "branch", "dealer", "applicant", "applicant_unit"
    ).prefetch_related(
        "lines",
        Prefetch("steps", queryset=current_steps, to_attr="current_steps"),
        "received_units",
        "discrepancies",
    )


def open_step_deadlines(steps) -> dict:
    return step_deadlines([s for s in steps if s.state == StepState.PENDING])


def application_history(application: ReturnApplication) -> list[TransitionLog]:
    """The application's transition log (log_of) with its steps' entries (opened, signed,
    cancelled) of every round, oldest first."""
    entries = list(log_of(application))
    for entry in entries:
        entry.subject_kind, entry.step = "application", None
    steps = {s.pk: s for s in application.steps.all()}
    step_entries = list(
        TransitionLog.objects.filter(
            object_type=ContentType.objects.get_for_model(ApprovalStep), object_id__in=steps
        ).select_related("actor")
    )
    for entry in step_entries:
        entry.subject_kind, entry.step = "approval_step", steps[entry.object_id]
    return sorted(entries + step_entries, key=lambda e: (e.created_at, e.pk))


@extend_schema_view(
    list=extend_schema(
        summary="返厂申请列表",
        description=(
            "调用者可见的返厂申请：代理商只见本代理商的，分公司见本分公司的，总部见全部。"
            "游标分页（新的在前），每页最多 200 条。"
        ),
    ),
    retrieve=extend_schema(
        summary="返厂申请详情",
        description="明细、本轮审批进度（待签步骤的签字时限）、提货安排与收货结果。"
        "不在调用者可见范围内的申请返回 404。",
        responses={200: ReturnApplicationSerializer, 404: NOT_FOUND},
        examples=[ex.application_example("审批中", ex.APPLICATION_IN_APPROVAL)],
    ),
    update=extend_schema(
        summary="修改返厂申请",
        description="草稿或被驳回的申请可以修改；明细整体替换。",
        responses={
            200: ReturnApplicationSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
    partial_update=extend_schema(
        summary="部分修改返厂申请",
        description="草稿或被驳回的申请可以修改；提供 lines 时明细整体替换，未提供则保留。",
        responses={
            200: ReturnApplicationSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
@extend_schema(tags=["return-applications"])
class ReturnApplicationViewSet(viewsets.GenericViewSet):
    serializer_class = ReturnApplicationSerializer
    filter_backends = [FilterBackend]  # the cursor fixes the order: no OrderingFilter
    filterset_class = ApiReturnApplicationFilterSet
    pagination_class = KeysetPagination
    permission_classes = [permissions.IsAuthenticated, MayCreateApplication]
    READ_ACTIONS = {"list", "retrieve"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReturnApplication.objects.none()
        queryset = ReturnApplication.objects.visible_to(self.request.user)
        return with_related(queryset) if self.action in self.READ_ACTIONS else queryset

    def get_serializer_class(self):
        return {
            "create": ReturnApplicationCreateSerializer,
            "update": ReturnApplicationUpdateSerializer,
            "partial_update": ReturnApplicationUpdateSerializer,
            "withdraw": WithdrawSerializer,
            "history": TransitionEntrySerializer,
        }.get(self.action, ReturnApplicationSerializer)

    def represent(self, applications, *, many=False) -> ReturnApplicationSerializer:
        items = applications if many else [applications]
        steps = [s for application in items for s in application.current_steps]
        context = {**self.get_serializer_context(), "deadlines": open_step_deadlines(steps)}
        return ReturnApplicationSerializer(applications, many=many, context=context)

    def fresh(self, pk: int) -> ReturnApplication:
        return with_related(ReturnApplication.objects.visible_to(self.request.user)).get(pk=pk)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.represent(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.represent(self.get_object()).data)

    @extend_schema(
        summary="新建返厂申请",
        description=(
            "表头与明细一次提交，创建为草稿（再调用 submit 提交审批）。申请人为调用者；"
            "单号、平台、分公司与代理商由系统按调用者所属组织确定，不取自请求。"
            "代理商与分公司维修工程师可以新建。"
        ),
        request=ReturnApplicationCreateSerializer,
        responses={201: ReturnApplicationSerializer, 400: BAD_INPUT, 403: FORBIDDEN},
        examples=[
            ex.CREATE_REQUEST,
            ex.application_example("已创建（草稿）", ex.APPLICATION_DRAFT, code="201"),
        ],
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = rma.rma_create(
            applicant=request.user, header=serializer.header_input(), lines=serializer.line_inputs()
        )
        location = self.reverse_action("detail", args=[application.pk])
        return Response(
            self.represent(self.fresh(application.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def update(self, request, pk=None, partial=False):
        application = self.get_object()
        serializer = self.get_serializer(application, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        rma.rma_update(
            application_id=application.pk,
            actor=request.user,
            header=serializer.header_input(application),
            lines=serializer.line_inputs(application),
        )
        return Response(self.represent(self.fresh(application.pk)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(
        summary="提交审批",
        description=(
            "提交草稿（或重新提交被驳回的申请）：按平台的审批链生成本轮审批步骤，第一步开始计时。"
        ),
        request=None,
        responses={
            200: ReturnApplicationSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[ex.application_example("已提交", ex.APPLICATION_IN_APPROVAL)],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        application = self.get_object()
        rma.rma_submit(application_id=application.pk, actor=request.user, channel=API)
        return Response(self.represent(self.fresh(application.pk)).data)

    @extend_schema(
        summary="撤回申请",
        description="申请人一方在批准前撤回申请，未签的审批步骤取消、计时停止。",
        responses={
            200: ReturnApplicationSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rma.rma_withdraw(
            application_id=application.pk,
            actor=request.user,
            channel=API,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(self.represent(self.fresh(application.pk)).data)

    @extend_schema(
        summary="状态变更记录",
        description="申请及其各轮审批步骤的全部状态变更（谁、何时、从何到何、意见、渠道），按时间先后。",
        responses={200: TransitionEntrySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        entries = application_history(self.get_object())
        return Response(TransitionEntrySerializer(entries, many=True).data)


STEP_RELATED = (
    "application__branch",
    "application__dealer",
    "application__applicant",
    "org_unit",
    "decided_by",
)


class StepQueuePagination(KeysetPagination):
    """Oldest first: the step waiting longest heads an approver's queue."""

    ordering = "id"


@extend_schema_view(
    list=extend_schema(
        summary="审批步骤列表 / 待我签字",
        description=(
            "调用者可见申请的审批步骤，以及调用者可签的步骤。mine=true 只列出待调用者"
            "（本人或今日受托代理）签字的步骤。游标分页，早的在前。"
        ),
    ),
    retrieve=extend_schema(
        summary="审批步骤详情", responses={200: ApprovalStepSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["approval-steps"])
class ApprovalStepViewSet(viewsets.GenericViewSet):
    serializer_class = ApprovalStepSerializer
    filter_backends = [FilterBackend]
    filterset_class = ApprovalStepFilterSet
    pagination_class = StepQueuePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApprovalStep.objects.none()
        return ApprovalStep.objects.visible_to(self.request.user).select_related(*STEP_RELATED)

    def get_serializer_class(self):
        return {"approve": ApproveSerializer, "reject": RejectSerializer}.get(
            self.action, ApprovalStepSerializer
        )

    def represent(self, steps, *, many=False) -> ApprovalStepSerializer:
        items = steps if many else [steps]
        context = {**self.get_serializer_context(), "deadlines": open_step_deadlines(items)}
        return ApprovalStepSerializer(steps, many=many, context=context)

    def fresh(self, pk: int) -> ApprovalStep:
        # The actor has just signed this step (found through the scoped queryset); after the
        # signature it may have left their queue, so it is read back by its id.
        return ApprovalStep.objects.select_related(*STEP_RELATED).get(pk=pk)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.represent(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.represent(self.get_object()).data)

    def decide(self, request, *, approve: bool) -> Response:
        step = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rma.rma_decide(
            step_id=step.pk,
            actor=request.user,
            approve=approve,
            comment=serializer.validated_data.get("comment", ""),
            channel=API,
        )
        return Response(self.represent(self.fresh(step.pk)).data)

    @extend_schema(
        summary="同意",
        description=(
            "签署待签步骤。调用者须担任该步骤的角色（或今日受托代理）；最后一步同意后申请即批准。"
            "已签的步骤再签返回 409。"
        ),
        responses={
            200: ApprovalStepSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[ex.APPROVE_REQUEST, ex.APPROVE_RESPONSE],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.decide(request, approve=True)

    @extend_schema(
        summary="驳回",
        description="驳回待签步骤（须填写原因）：本轮其余步骤取消，申请退回申请人修改后可重新提交。",
        responses={
            200: ApprovalStepSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[ex.REJECT_REQUEST],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self.decide(request, approve=False)
