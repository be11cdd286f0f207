"""Idempotency-Key on every POST of the API (/api/): a retried request gets the first answer and
creates nothing twice, also when the retries race. Every app's endpoints get it by being under
/api/; none of them does anything for it.

The first request claims the key by inserting its row inside one transaction around the view; a
racing retry's insert waits on the unique index until that transaction ends, then finds the
stored answer and replays it (header Idempotent-Replayed: true). A 5xx rolls the whole request
back, claim included, so a retry runs afresh. The same key sent with another method, path or body
is refused (422): keys are not to be reused."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(hours=24)
# Answers about the caller, not the request: a retry must be judged afresh.
NOT_KEPT = frozenset({401, 403, 429})


def _caller(request) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:64]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.path.rstrip("/").encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type or None
    )
    response[f"{HEADER}"] = record.key
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = getattr(settings, "IDEMPOTENCY_PATH_PREFIX", "/api/")

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(self.prefix):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            return _error(400, _("Idempotency-Key 须为 1 到 255 个可打印 ASCII 字符"))
        caller = _caller(request)
        if caller is None:  # nobody to keep it for: authentication answers
            return self.get_response(request)
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:  # the API's own answer (a JSON 413) follows
            return self.get_response(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        caller=caller, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                record = IdempotentRequest.objects.filter(caller=caller, key=key).first()
                if record is None or record.status_code is None:  # gone or not ours to see
                    return _error(409, _("使用该 Idempotency-Key 的请求正在处理，请稍后重试"))
                if record.fingerprint != fingerprint:
                    return _error(422, _("该 Idempotency-Key 已用于另一个请求，请换一个新的键"))
                return _replay(record)
            response = self.get_response(request)
            if response.status_code >= 500 or response.status_code in NOT_KEPT:
                transaction.set_rollback(True)  # the claim goes too: a retry runs afresh
                return response
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = b"" if response.streaming else response.content
            user = getattr(request, "user", None)
            record.user_id = user.pk if user is not None and user.is_authenticated else None
            record.save(update_fields=["status_code", "content_type", "body", "user"])
            response[HEADER] = key
            return response


def purge_expired(now=None) -> int:
    """Forget keys older than a day (a retry comes within minutes, not days)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _rows = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def schema_header(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST documents the optional header."""
    parameter = {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
        "description": _(
            "重试安全：同一键在 24 小时内重复提交时返回第一次的结果（响应头 "
            "Idempotent-Replayed: true），不会重复创建；同一键用于不同请求体时返回 422。"
        ),
    }
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is not None:
            operation.setdefault("parameters", []).append(dict(parameter))
    return result
