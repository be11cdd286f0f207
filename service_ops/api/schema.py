"""The error answers every API operation can give, documented once (issue 16, item 3).

A drf-spectacular postprocessing hook adds to each operation the error responses that the
platform itself gives, whatever the view — authentication, throttling, input parsing, the
Idempotency-Key middleware, paging — where the operation can meet them and has not documented
them itself (a view's own 400/403/404/409, with its examples, is kept):

- 401 wherever a caller must authenticate (every operation today): no token, a malformed,
  unknown, expired or revoked one.
- 429 everywhere: the per-client rate limit (`Retry-After` says when to come back).
- 400 where there is input to refuse: query parameters other than paging (a filter's value), a
  body, and every POST (a malformed Idempotency-Key). An unusable page size is ignored.
- 403 on writes: a session without its CSRF token, or an actor the service refuses.
- 404 where there is an id in the path, a cursor in the query (one not ours) or a page of a
  DRF-paginated list (past the end; 我的工作's own `page` falls back to the last page instead).
- 409 and 422 on every POST: a retry racing the first request with the same Idempotency-Key,
  and a key reused for another request (service_ops/idempotency/middleware.py).
- 413 and 415 where there is a body: over DATA_UPLOAD_MAX_MEMORY_SIZE, a media type the API does
  not parse.

The fuzz test (tests/core/test_api_fuzz.py) holds every answer to this schema."""

from __future__ import annotations

ERROR = "Error"
PAGING = frozenset({"cursor", "page", "page_size"})
WRITES = frozenset({"post", "put", "patch", "delete"})
METHODS = ("get", "post", "put", "patch", "delete")

ERROR_SCHEMA = {
    "type": "object",
    "description": "错误说明；部分错误另有 code（机器可读的错误代码）。",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["detail"],
}
# 400 lists the reasons by field (or under non_field_errors), or gives a detail.
FIELD_ERRORS_SCHEMA = {"type": "object", "additionalProperties": {}}

DESCRIPTIONS = {
    "400": "参数错误：按字段列出原因（查询参数、请求体或 Idempotency-Key 不合格）",
    "401": "未认证：缺少令牌，或令牌格式无效、无效、已过期或已吊销",
    "403": "无权执行此操作（或浏览器会话缺少 CSRF 令牌）",
    "404": "不存在、不在调用者的可见范围内，或页码/游标无效",
    "409": "使用同一 Idempotency-Key 的请求正在处理，请稍后重试",
    "413": "请求体过大",
    "415": "不支持的请求体媒体类型",
    "422": "该 Idempotency-Key 已用于另一个请求",
    "429": "请求过于频繁，请按 Retry-After 等待后重试",
}


def _response(code: str) -> dict:
    schema = FIELD_ERRORS_SCHEMA if code == "400" else {"$ref": f"#/components/schemas/{ERROR}"}
    response: dict = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": schema}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "多少秒后可以重试",
            }
        }
    return response


def _paginated(operation: dict) -> bool:
    """Whether the 200 answer is a DRF page (drf-spectacular names it Paginated…List)."""
    ok = operation.get("responses", {}).get("200", {})
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").rsplit("/", 1)[-1].startswith("Paginated")


def error_codes(method: str, operation: dict) -> list[str]:
    """The platform's error answers that `operation` can meet (see the module's docstring)."""
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    in_path = any(p.get("in") == "path" for p in parameters)
    has_body = "requestBody" in operation
    security = operation.get("security")
    anonymous = not security or {} in security
    codes = ["429"] if anonymous else ["401", "429"]
    if query - PAGING or has_body or method == "post":
        codes.append("400")
    if method in WRITES:
        codes.append("403")
    if in_path or "cursor" in query or ("page" in query and _paginated(operation)):
        codes.append("404")
    if method == "post":
        codes += ["409", "422"]
    if has_body:
        codes += ["413", "415"]
    return sorted(codes)


def document_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    used = False
    for path_item in result.get("paths", {}).values():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in error_codes(method, operation):
                if code not in responses:
                    responses[code] = _response(code)
                    used = True
    if used:
        result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = ERROR_SCHEMA
    return result
