"""API errors as DESIGN §3 says: 400 with field errors, 403, 404 for out-of-scope objects, and 409
with the allowed actions for a transition not allowed now (django-fsm raises plain exceptions
that DRF would otherwise turn into 500)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .robust import too_large_response


def _state_and_actions(instance, user) -> tuple[str | None, list[str]]:
    """The instance's current state and the transitions the user may run now. An object that is
    not an FSM model (or a transition that cannot be inspected) answers (None, [])."""
    from service_ops.transitions.services import available_actions, state_field_of

    try:
        field = state_field_of(type(instance))
    except (TypeError, AttributeError):
        return None, []
    state = getattr(instance, field.name, None)
    try:
        allowed = available_actions(instance, user)
    except Exception:  # a condition that needs more than the instance must not turn 409 into 500
        allowed = []
    return state, allowed


def transition_conflict_response(exc, user=None) -> Response:
    instance = getattr(exc, "object", None)
    state, allowed = (None, []) if instance is None else _state_and_actions(instance, user)
    if isinstance(exc, ConcurrentTransition):
        detail, code = _("对象已被他人修改，请刷新后重试。"), "concurrent_transition"
    else:
        detail, code = _("当前状态不允许此操作。"), "transition_not_allowed"
    method = getattr(exc, "method", None)
    return Response(
        {
            "detail": detail,
            "code": code,
            "action": getattr(method, "__name__", None),
            "state": state,
            "allowed_actions": allowed,
        },
        status=status.HTTP_409_CONFLICT,
    )


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return too_large_response()
    if isinstance(exc, TransitionNotAllowed | ConcurrentTransition):
        request = context.get("request")
        user = getattr(request, "user", None)
        return transition_conflict_response(
            exc, user if user is not None and user.is_authenticated else None
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
            if "__all__" in detail:
                detail["non_field_errors"] = detail.pop("__all__")
        else:
            detail = {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        # Django's message names the model ("No OrgUnit matches the given query."): an object
        # outside the caller's scope must look exactly like one that does not exist.
        exc = NotFound(_("未找到，或不在您的可见范围内。"))
    if isinstance(exc, DjangoPermissionDenied) and exc.args:
        # The services say why ("只有发货方可以确认报价"); keep it rather than DRF's generic text.
        exc = PermissionDenied(str(exc.args[0]))
    return drf_exception_handler(exc, context)
