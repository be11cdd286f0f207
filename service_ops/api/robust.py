"""What keeps the partner API answering, and answering in JSON, whatever a client sends and
whatever is down (issue 15, items 21–22):

- `SafeJSONParser`: a body nested so deep that Python's parser gives up (50,000 levels) is a
  400, never a RecursionError and a 500; `too_large_response`: a body over the limit is a 413.
- `StrictFieldsMixin`: a field the serializer does not know is a 400 naming it, not silently
  dropped (a typo in "remarks" must not lose the remark).
- `FailOpenUserThrottle` / `FailOpenAnonThrottle`: the throttle's counter lives in Redis; with
  Redis down the request is let through (and logged) instead of answering 500 to every call.
- `api_error_response`: 404, 403 and 500 under /api/ as JSON (Django's handlers draw HTML)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON 嵌套过深。")) from exc


def too_large_response() -> Response:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises RequestDataTooBig on reading it)."""
    return Response(
        {
            "detail": _("请求体过大：最多 %(limit)d 字节。")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            "code": "request_too_large",
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class StrictFieldsMixin:
    """Refuse keys the serializer does not know. A known read-only key (a line's `id` sent
    back as it was read) is ignored, as DRF does."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("未知字段。")] for key in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


def _cache_is_down(exc: Exception) -> bool:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        return isinstance(exc, OSError)
    return isinstance(exc, RedisError | OSError)


class _FailOpen:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            if not _cache_is_down(exc):
                raise
            log.warning("API throttle skipped: the cache is unreachable (%s)", exc)
            return True


class FailOpenUserThrottle(_FailOpen, UserRateThrottle):
    """Per partner token when the call carries one (each client system its own budget, at the
    token's own rate when it has one), else per signed-in user."""

    def allow_request(self, request, view):
        rate = getattr(request.auth, "throttle_rate", "")
        if rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        prefix = getattr(request.auth, "prefix", None)
        if prefix:
            return self.cache_format % {"scope": self.scope, "ident": f"token:{prefix}"}
        return super().get_cache_key(request, view)


class FailOpenAnonThrottle(_FailOpen, AnonRateThrottle):
    pass


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status_code, json_dumps_params={"ensure_ascii": False}
    )
