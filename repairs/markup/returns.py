"""The HTML of an application's card on the logistics board (物流看板), written here rather than
by a template loop: four columns of fifteen cards, each with its counts, pickup and the clerk's
next step, cost the template engine more than the board's SQL. The page around them stays in
templates/repairs/logistics_board.html. Values are escaped; translated words are inserted as
the template's {% translate %} inserted them."""

from __future__ import annotations

from urllib.parse import quote

from django.middleware.csrf import get_token
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from service_ops.reversing import reverse_id

# each column's next step: who may take it, its page (or form), its label, posted or not
STEPS = {
    "approved": ("clerk", "repairs:return_book_pickup", gettext_lazy("安排提货"), False),
    "pickup_booked": ("clerk", "repairs:return_record_pickup", gettext_lazy("提货清点"), False),
    "picked_up": ("receiver", "repairs:return_receive", gettext_lazy("收货登记"), False),
    "received": ("clerk", "repairs:return_close", gettext_lazy("关闭归档"), True),
}


class LogisticsCard:
    def __init__(self, request, *, is_clerk: bool, is_receiver: bool):
        self.request = request
        self.may = {"clerk": is_clerk, "receiver": is_receiver}
        self.back = esc(request.path)
        self.token = esc(get_token(request))

    def step(self, app, state: str) -> str:
        who, name, label, posted = STEPS.get(state, ("", "", "", False))
        if not self.may.get(who):
            return ""
        url = reverse_id(name, app.pk)
        if posted:
            return (
                f'<form method="post" action="{url}"><input type="hidden" '
                f'name="csrfmiddlewaretoken" value="{self.token}"><input type="hidden" '
                f'name="next" value="{self.back}"><button type="submit" class="btn btn-sm '
                f'btn-outline-success">{label}</button></form>'
            )
        if name != "repairs:return_receive":  # the receiving page goes back on its own
            url += f"?next={esc(quote(self.request.path, safe='/'))}"
        return f'<a class="btn btn-sm btn-primary" href="{url}">{label}</a>'

    def __call__(self, app, state: str) -> SafeString:
        units = app.units or 0
        lines = [
            '<div class="d-flex justify-content-between gap-2"><a class="fw-semibold '
            f'text-break" href="{app.get_absolute_url()}">{esc(app.number)}</a><span '
            f'class="text-nowrap">{ngettext("%(n)s 台", "%(n)s 台", units) % {"n": units}}'
            "</span></div>",
            f'<div class="text-body-secondary">{esc(app.branch)}'
            f"{f' · {esc(app.dealer)}' if app.dealer_id else ''}</div>",
            f'<div class="text-body-secondary text-break">{esc(app.contact_name)} · <a '
            f'href="tel:{esc(app.contact_phone)}">{esc(app.contact_phone)}</a></div>',
        ]
        if app.pickup_address:
            lines.append(
                '<div class="text-body-secondary text-break"><i class="bi bi-geo-alt me-1" '
                f'aria-hidden="true"></i>{esc(app.pickup_address)}</div>'
            )
        if app.freight_terms == "collect":
            lines.append(
                '<div><span class="badge text-bg-danger"><i class="bi bi-cash-coin me-1" '
                f'aria-hidden="true"></i>{_("到付：须改为自付")}</span></div>'
            )
        if app.pickup_date:
            plate = f" · {esc(app.vehicle_plate)}" if app.vehicle_plate else ""
            lines.append(
                '<div><i class="bi bi-truck me-1" aria-hidden="true"></i>'
                f"{app.pickup_date:%m-%d} · {esc(app.driver_name)}{plate}</div>"
            )
        if app.counted_units is not None:
            counted = _("清点 %(c)s / 发货方 %(s)s") % {
                "c": esc(app.counted_units),
                "s": esc(app.shipper_count),
            }
            lines.append(f"<div>{counted}</div>")
        if app.discrepancy_count:
            n = app.discrepancy_count
            text = ngettext("%(n)s 处差异", "%(n)s 处差异", n) % {"n": n}
            lines.append(
                '<div><span class="badge text-bg-warning"><i class="bi bi-exclamation-triangle '
                f'me-1" aria-hidden="true"></i>{text}</span></div>'
            )
        lines.append(f'<div class="mt-2 d-flex flex-wrap gap-1">{self.step(app, state)}</div>')
        return mark_safe(  # noqa: S308 — every value escaped above
            '<article class="card mb-2 shadow-sm"><div class="card-body p-2 small">'
            + "".join(lines)
            + "</div></article>"
        )
