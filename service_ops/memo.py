"""Facts about the caller that a request reads many times (roles, delegations, the units they
act for) are read once per request: `per_request` memoises a function of the user for the
request's duration. Outside a request (tasks, shell, tests calling services) nothing is kept,
and a service that changes roles or delegations calls `forget()`."""

from __future__ import annotations

from contextvars import ContextVar
from functools import wraps

_memo: ContextVar[dict | None] = ContextVar("service_ops_request_memo", default=None)


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def per_request(function):
    """Memoise `function(user)` (no other arguments) by user for the rest of the request."""

    @wraps(function)
    def wrapper(user, *args, **kwargs):
        memo = _memo.get()
        if memo is None or args or kwargs or user is None or not user.is_authenticated:
            return function(user, *args, **kwargs)
        key = (function.__qualname__, user.pk)
        if key not in memo:
            memo[key] = function(user)
        return memo[key]

    return wrapper


def once_per_request(key: str, factory):
    """A value that is the same for every user (a settings row) read once per request."""
    memo = _memo.get()
    if memo is None:
        return factory()
    if key not in memo:
        memo[key] = factory()
    return memo[key]


def forget() -> None:
    """Drop what this request has memoised (after a change to roles or delegations)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()
