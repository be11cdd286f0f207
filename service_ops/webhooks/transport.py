"""One HTTP POST to a partner's endpoint, with the standard library (urllib): a short timeout, no
redirects followed (a 3xx is a failure: the partner fixes its URL), at most 500 characters of the
answer kept.

Where a request may go (`url_problem`): in production only https and only to public addresses,
so a partner cannot make this server call into the intranet (SSRF). The embedded and development
shapes (DEBUG) and the tests also allow http and private or loopback addresses
(SERVICE_OPS["WEBHOOK_ALLOW_PRIVATE"], env WEBHOOK_ALLOW_PRIVATE). The address is checked when
the endpoint is registered and again before every send (a name may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

RESPONSE_KEEP = 500


@dataclass
class Result:
    status: int | None  # None: no HTTP answer (refused, timeout, bad address)
    body: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def allow_private() -> bool:
    return bool(settings.SERVICE_OPS.get("WEBHOOK_ALLOW_PRIVATE", False))


def timeout() -> float:
    return float(settings.SERVICE_OPS.get("WEBHOOK_TIMEOUT_SECONDS", 5))


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


def url_problem(url: str, *, resolve: bool = True) -> str | None:
    """Why a webhook may not be sent to `url`, or None. With `resolve`, the host name is looked
    up and every address it has must be public (unless private addresses are allowed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return _("地址格式无效")
    if parts.scheme not in ("https", "http") or not host:
        return _("地址须以 https:// 开头")
    if parts.username or parts.password:
        return _("地址中不能包含用户名或密码")
    if allow_private():
        return None
    if parts.scheme != "https":
        return _("地址须以 https:// 开头")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return _("不能发送到内网地址")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None if _public(host) else _("不能发送到内网地址")
    if not resolve:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return _("无法解析该域名")
    if not infos or not all(_public(info[4][0]) for info in infos):
        return _("不能发送到内网地址")
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Result:
    problem = url_problem(url)
    if problem:
        return Result(None, error=problem)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            text = response.read(RESPONSE_KEEP).decode(errors="replace")
            return Result(response.status, body=text)
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(RESPONSE_KEEP).decode(errors="replace")
        except Exception:
            text = ""
        return Result(exc.code, body=text, error=f"HTTP {exc.code}")
    except urllib.error.URLError as exc:
        return Result(None, error=str(exc.reason)[:300])
    except (TimeoutError, OSError, ValueError) as exc:
        return Result(None, error=(str(exc) or type(exc).__name__)[:300])
