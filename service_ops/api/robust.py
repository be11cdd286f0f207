"""What keeps the partner API answering, and answering in JSON, whatever a client sends and
whatever is down (issue 15, items 21–22):

- `SafeJSONParser`: a body nested so deep that Python's parser gives up (50,000 levels) is a
  400, never a RecursionError and a 500; `too_large_response`: a body over the limit is a 413.
- `StrictFieldsMixin`: a field the serializer does not know is a 400 naming it, not silently
  dropped (a typo in "remarks" must not lose the remark).
- `FailOpenUserThrottle` / `FailOpenAnonThrottle`: the throttle's counter lives in Redis; with
  Redis down the request is let through (and logged) instead of answering 500 to every call.
  The count is a sliding window of two counters (one Redis round trip a request: INCR this
  window's counter, GET the previous one), not DRF's list of every request's time read and
  written back whole (two round trips and, at 1,200 a minute, a 10 KB pickle each way).
- `api_error_response`: 404, 403 and 500 under /api/ as JSON (Django's handlers draw HTML)."""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
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


class _SlidingWindow:
    """DRF's rate (`N/min`), counted in fixed windows of the rate's period, the previous window
    weighted by how much of it still lies within one period of now: at 40 % into this minute,
    60 % of the last minute's requests count. A refused request is not counted (as in DRF).
    With Redis: one pipelined round trip (INCR, EXPIRE, GET); other caches (tests) use
    incr / add / get."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, into = divmod(self.now, self.duration)
        self.elapsed = into / self.duration
        current_key = f"{self.key}:{int(window)}"
        previous_key = f"{self.key}:{int(window) - 1}"
        current, previous = self._count(current_key, previous_key)
        self.current, self.previous = current - 1, previous  # not counting this request
        if previous * (1 - self.elapsed) + current <= self.num_requests:
            return True
        self._uncount(current_key)
        return False

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        ttl = 2 * self.duration + 1  # the previous window is read during the next one
        cache = self.cache
        if isinstance(cache, RedisCache):
            current_key = cache.make_and_validate_key(current_key)
            previous_key = cache.make_and_validate_key(previous_key)
            pipe = cache._cache.get_client(current_key, write=True).pipeline(transaction=False)
            pipe.incr(current_key)
            pipe.expire(current_key, ttl)
            pipe.get(previous_key)
            current, _expiry, previous = pipe.execute()
            return int(current), int(previous or 0)
        try:
            current = cache.incr(current_key)
        except ValueError:
            current = 1 if cache.add(current_key, 1, ttl) else cache.incr(current_key)
        return current, int(cache.get(previous_key) or 0)

    def _uncount(self, current_key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile
            self.cache.decr(current_key)

    def wait(self):
        """Seconds until one more request fits (the previous window's weight falling)."""
        room = self.num_requests - 1 - self.current
        if self.previous and room >= 0:
            needed = 1 - room / self.previous
            return max(0.0, (needed - self.elapsed) * self.duration)
        return (1 - self.elapsed) * self.duration


class FailOpenUserThrottle(_FailOpen, _SlidingWindow, UserRateThrottle):
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


class FailOpenAnonThrottle(_FailOpen, _SlidingWindow, AnonRateThrottle):
    pass


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status_code, json_dumps_params={"ensure_ascii": False}
    )
