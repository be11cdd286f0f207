"""API errors as DESIGN §3 says: 400 with field errors, 403, 404 for out-of-scope objects, and 409
with the allowed actions for a transition not allowed now (django-fsm raises plain exceptions
that DRF would otherwise turn into 500)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, TransitionNotAllowed | ConcurrentTransition):
        from service_ops.transitions.services import available_actions

        instance = getattr(exc, "object", None)
        request = context.get("request")
        allowed = []
        state = None
        if instance is not None:
            user = getattr(request, "user", None)
            allowed = available_actions(instance, user if user and user.is_authenticated else None)
            from service_ops.transitions.services import state_field_of

            state = getattr(instance, state_field_of(type(instance)).name)
        return Response(
            {
                "detail": "This action is not allowed in the current state.",
                "code": "transition_not_allowed",
                "state": state,
                "allowed_actions": allowed,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
