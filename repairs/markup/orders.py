"""The HTML of a repair order's card on the technician's queue (and after each htmx step on it),
written here rather than by the template engine: a queue draws some fifty cards, each with its
badges and its steps' forms, and the engine's includes and lookups cost more than the page's
SQL (the queue at a million orders: two thirds of its 100 ms of CPU).

A card is the frame (state, limit, unit, lot, flags) and one form per step the user may take
now. A blank step is written here; a step that comes back with errors, and a folded form opened
after a step (`outcome`), is drawn by its partial (templates/repairs/orders/partials/act_*.html),
which the order page uses too. The limit's badges and the unit's lines are the other order pages'
too (templatetags/order_cards.py). Values are escaped; translated words are inserted as the
templates' {% translate %} inserts them."""

from __future__ import annotations

from dataclasses import dataclass

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id
from service_ops.templatetags.people import person
from service_ops.templatetags.service_ops_tags import deadline_badge, money, state_badge

PARTIALS = "repairs/orders/partials/"


@dataclass(frozen=True)
class Step:
    """How a card draws one step: a button, a note beside a button, or its own shape (`kind`
    names a writer below); folded steps (`partial` set) draw a summary that fetches the form."""

    action: str
    kind: str
    icon: str = ""
    field: str = ""
    style: str = "primary"
    partial: str = ""  # the act_*.html that draws the step when not blank


TECH_STEPS = (
    Step("pick_up", "button", "bi-hand-index-thumb", partial="act_button.html"),
    Step("start_repair", "note", "bi-wrench-adjustable", "diagnosis", partial="act_note.html"),
    Step("finish_repair", "note", "bi-check2", "notes", "success", partial="act_note.html"),
    Step("parts_arrived", "button", "bi-box-seam", partial="act_button.html"),
    Step("finish_burn_in", "burn_in", partial="act_burn_in.html"),
    Step("qc", "qc", partial="act_qc.html"),
    Step("pack", "pack", partial="act_pack.html"),
    Step("raise_quote", "folded", "bi-currency-yen", partial="act_quote.html"),
    Step("wait_for_parts", "folded", "bi-hourglass-split", partial="act_parts.html"),
    Step("warranty", "folded", "bi-shield-check", partial="act_warranty.html"),
)
BOARD_STEPS = (
    Step("send_quote", "button", "bi-send", partial="act_button.html"),
    Step("answer_quote", "answer", partial="act_answer.html"),
    Step("contact", "folded", "bi-telephone", partial="act_contact.html"),
    Step("ship", "folded", "bi-truck", partial="act_ship.html"),
    Step("close", "button", "bi-archive", style="outline-success", partial="act_button.html"),
)


class Card:
    """What every card of one page shares: the request (its CSRF token), the `ui` the forms
    post back with, and the page's words in the reader's language."""

    def __init__(self, request, ui: str):
        self.request = request
        self.ui = ui
        token = esc(get_token(request))
        self.hidden = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="ui" value="{esc(ui)}">'
        )
        self.folded_labels = {
            "raise_quote": _("提出报价（需收费时）"),
            "wait_for_parts": _("等配件"),
            "warranty": _("保修判定"),
            "contact": _("记录客户沟通"),
            "ship": _("发货登记"),
        }

    # --- the frame ---------------------------------------------------------------------------

    def outcome(self, outcome) -> str:
        if not outcome:
            return ""
        tone, text = outcome
        icon = "bi-check-circle" if tone == "success" else "bi-exclamation-triangle"
        return (
            f'<div class="alert alert-{esc(tone)} py-1 px-2 small mb-2" role="status">'
            f'<i class="bi {icon} me-1" aria-hidden="true"></i>{esc(text)}</div>'
        )

    # --- the steps ---------------------------------------------------------------------------

    def form_open(self, order, form, css: str) -> str:
        url = reverse_id("repairs:order_act", order.pk, form.action)
        multipart = form.is_multipart()
        attrs = 'method="post"' + (' enctype="multipart/form-data"' if multipart else "")
        attrs += f' action="{url}" novalidate'
        if self.ui in ("tech", "board"):
            attrs += (
                f' hx-post="{url}" hx-target="#order-{order.pk}" hx-swap="outerHTML"'
                ' hx-disabled-elt="find button"'
            )
            if multipart:
                attrs += ' hx-encoding="multipart/form-data"'
        return f'<form {attrs} class="{css}">{self.hidden}'

    @staticmethod
    def submit(form, step: Step, style: str = "", padding: str = "px-3 py-2") -> str:
        return (
            f'<button type="submit" class="btn btn-{style or step.style} {padding}">'
            f'<i class="bi {step.icon} me-1" aria-hidden="true"></i>{esc(form.button)}</button>'
        )

    def button(self, order, form, step: Step, style: str = "") -> str:
        css = "d-inline-block mb-2"
        return f"{self.form_open(order, form, css)}{self.submit(form, step, style)}</form>"

    def note(self, order, form, step: Step) -> str:
        field = form[step.field]
        return (
            f'{self.form_open(order, form, "mb-2")}<div class="input-group">'
            f'<label class="visually-hidden" for="{field.id_for_label}">{esc(field.label)}'
            f"</label>{field}{self.submit(form, step, padding='px-3')}</div></form>"
        )

    def burn_in(self, order, form, step: Step) -> str:
        started = ""
        if order.burn_in_started_at:
            local = timezone.localtime
            text = _("老化开始 %(start)s，至少 %(h)s 小时，%(end)s 起可结束") % {
                "start": local(order.burn_in_started_at).strftime("%m-%d %H:%M"),
                "h": form.minimum_hours,
                "end": local(form.earliest).strftime("%m-%d %H:%M"),
            }
            started = (
                '<p class="small text-body-secondary mb-1"><i class="bi bi-thermometer-half '
                f'me-1" aria-hidden="true"></i>{text}</p>'
            )
        style = "outline-secondary" if form.too_early else "success"
        button = Step(step.action, "button", "bi-thermometer-half")
        return f'<div class="mb-2">{started}{self.button(order, form, button, style)}</div>'

    def qc(self, order, form, step: Step) -> str:
        note = form["note"]
        legend = _("%(no)s 质检结果") % {"no": esc(order.number)}
        return (
            f"{self.form_open(order, form, 'mb-2')}"
            f'<label class="visually-hidden" for="{note.id_for_label}">{esc(note.label)}</label>'
            f'{note}<fieldset class="d-flex gap-2 mt-2"><legend class="visually-hidden">'
            f"{legend}</legend>"
            '<button type="submit" name="result" value="pass" class="btn btn-success flex-fill '
            'py-2"><i class="bi bi-check2-circle me-1" aria-hidden="true"></i>'
            f"{_('质检合格')}</button>"
            '<button type="submit" name="result" value="fail" class="btn btn-outline-danger '
            'flex-fill py-2"><i class="bi bi-arrow-repeat me-1" aria-hidden="true"></i>'
            f"{_('不合格，二次维修')}</button></fieldset></form>"
        )

    def answer(self, order, form, step: Step) -> str:
        """The shipper's answer to a quote (or the clerk's record of one given by phone)."""
        note, signature, copy = form["note"], form["signature"], form["signed_copy"]
        if form.on_behalf:
            note_label = f'<label class="form-label small mb-1" for="{note.id_for_label}">'
            note_label += f"{_('代客户记录答复')}</label>"
        else:
            note_label = f'<label class="visually-hidden" for="{note.id_for_label}">'
            note_label += f"{esc(note.label)}</label>"
        legend = _("%(no)s 报价答复") % {"no": esc(order.number)}
        halves = "".join(
            f'<div class="col-12 col-sm-6"><label class="form-label small mb-1" '
            f'for="{field.id_for_label}">{esc(field.label)}</label>{field}</div>'
            for field in (signature, copy)
        )
        return (
            f"{self.form_open(order, form, 'mb-2')}{note_label}{note}"
            f'<div class="row g-2 mt-1">{halves}</div>'
            '<fieldset class="d-flex flex-wrap gap-2 mt-2"><legend class="visually-hidden">'
            f"{legend}</legend>"
            '<button type="submit" name="answer" value="consent" class="btn btn-success '
            'flex-fill py-2"><i class="bi bi-check-lg me-1" aria-hidden="true"></i>'
            f"{_('同意维修')}</button>"
            '<button type="submit" name="answer" value="decline" class="btn btn-outline-danger '
            'flex-fill py-2"><i class="bi bi-x-lg me-1" aria-hidden="true"></i>'
            f"{_('不同意，退回')}</button></fieldset></form>"
        )

    def pack(self, order, form, step: Step) -> str:
        label = reverse_id("repairs:order_packing_label", order.pk)
        fields = "".join(field_html(form[name]) for name in ("packing_list", "parcels"))
        opened = " open" if self.ui == "tech" else ""  # the technician packs from the card
        return (
            f'<details class="border rounded px-2 py-1 mb-2 bg-body"{opened}><summary class="py-1">'
            f'<i class="bi bi-box2 me-1" aria-hidden="true"></i>{_("包装")}</summary>'
            f"{self.form_open(order, form, 'mt-2')}{fields}"
            '<div class="d-flex flex-wrap gap-2 mb-2"><button type="submit" class="btn '
            'btn-success px-3 py-2"><i class="bi bi-box2 me-1" aria-hidden="true"></i>'
            f'{esc(form.button)}</button><a class="btn btn-light border px-3 py-2" href="{label}" '
            'target="_blank" rel="noopener"><i class="bi bi-printer me-1" aria-hidden="true"></i>'
            f"{_('打印装箱单和标签')}</a></div></form></details>"
        )

    def folded(self, order, form, step: Step) -> str:
        """A folded form: its summary only; opening it fetches the form."""
        url = reverse_id("repairs:order_action_form", order.pk, step.action)
        label = self.folded_labels[step.action]
        if step.action == "warranty":
            kind = choice_label(order, "service_type") if order.service_type else _("未判定")
            label = f"{label}：{esc(kind)}"
        return (
            f'<details class="border rounded px-2 py-1 mb-2 bg-body" hx-get="{url}?ui={self.ui}"'
            ' hx-trigger="toggle once" hx-swap="outerHTML"><summary class="py-1">'
            f'<i class="bi {step.icon} me-1" aria-hidden="true"></i>{label}</summary>'
            '<p class="small text-body-secondary my-2" role="status"><span class="spinner-border '
            f'spinner-border-sm me-1" aria-hidden="true"></span>{_("正在载入…")}</p></details>'
        )

    def step(self, order, form, step: Step, outcome) -> str:
        if form.is_bound or (outcome and step.kind == "folded"):
            context = {
                "form": form,
                "order": order,
                "ui": self.ui,
                "icon": step.icon,
                "style": step.style,
                "outcome": outcome,
            }
            if step.field:
                context["field"] = form[step.field]
            return render_to_string(PARTIALS + step.partial, context, self.request)
        return getattr(self, step.kind)(order, form, step)

    def steps(self, order, steps: tuple[Step, ...], outcome, skip=()) -> str:
        forms = getattr(order, "forms", {})
        return "".join(
            self.step(order, forms[step.action], step, outcome)
            for step in steps
            if step.action in forms and step.action not in skip
        )

    @staticmethod
    def article(order, body: str, padding: str) -> SafeString:
        pk = order.pk
        overdue = " deadline-overdue" if order.overdue else ""
        return mark_safe(  # noqa: S308 — every value escaped where it was written
            f'<article class="card shadow-sm mb-2 order-card{overdue}" id="order-{pk}" '
            f'aria-labelledby="order-{pk}-title"><div class="card-body {padding}">{body}'
            "</div></article>"
        )

    @staticmethod
    def title(order, css: str) -> str:
        return (
            f'<h3 class="{css}" id="order-{order.pk}-title"><a class="text-break" '
            f'href="{order.get_absolute_url()}">{esc(order.number)}</a>'
        )

    # --- the technician's card ---------------------------------------------------------------

    def tech(self, order, *, show_technician=False, outcome=None) -> SafeString:
        """One unit in the technician's queue with the steps the technician may take now."""
        skip = ("warranty",) if order.state == "waiting_pickup" else ()
        steps = self.steps(order, TECH_STEPS, outcome, skip)
        if steps:
            steps = f'<div class="mt-2">{steps}</div>'
        elif order.state in ("quoting", "waiting_consent"):
            text = (
                _("等待后勤专员发送报价")
                if order.state == "quoting"
                else _("等待发货方确认报价，维修时限暂停")
            )
            steps = (
                '<p class="small text-body-secondary mb-0 mt-1"><i class="bi bi-hourglass me-1" '
                f'aria-hidden="true"></i>{text}</p>'
            )
        notes = ""
        if order.fault_description:
            notes += (
                '<p class="small text-truncate-2 mb-2 mt-1"><span class="text-body-secondary">'
                f"{_('故障')}：</span>{esc(order.fault_description)}</p>"
            )
        if order.diagnosis and order.state != "waiting_pickup":
            notes += (
                '<p class="small text-truncate-2 mb-2"><span class="text-body-secondary">'
                f"{_('检测')}：</span>{esc(order.diagnosis)}</p>"
            )
        head = (
            '<div class="d-flex justify-content-between align-items-start gap-2">'
            f'<div class="min-w-0">{self.title(order, "h6 mb-1")} {state_badge(order)}</h3></div>'
            '<div class="flex-shrink-0 text-end deadline-badge">'
            f"{limit_badges(order)}</div></div>\n"
        )
        body = (
            f"{self.outcome(outcome)}{head}{order_meta(order, show_technician)}\n"
            f"{order_flags(order)}\n{notes}{steps}"
        )
        return self.article(order, body, "p-2 p-sm-3")

    # --- the clerk's card --------------------------------------------------------------------

    def board(self, order, *, outcome=None) -> SafeString:
        """One unit on the clerk's board with the clerk's steps for its state."""
        skip = () if order.state == "waiting_consent" else ("contact",)
        steps = self.steps(order, BOARD_STEPS, outcome, skip)
        if steps:
            steps = f'<div class="mt-2">{steps}</div>'
        hidden = f' <span class="visually-hidden">{_("超期")}</span>' if order.overdue else ""
        head = (
            '<div class="d-flex justify-content-between align-items-start gap-2">'
            f"{self.title(order, 'h6 mb-1 min-w-0')}</h3>{state_badge(order)}</div>"
            f'<div class="mb-1">{limit_badges(order)}{hidden}</div>\n'
        )
        news = ""
        if order.customer_contacted_at and order.state == "waiting_consent":
            at = timezone.localtime(order.customer_contacted_at).strftime("%m-%d %H:%M")
            news += (
                '<div class="small text-body-secondary mt-1"><i class="bi bi-telephone me-1" '
                f'aria-hidden="true"></i>{_("最近联系客户")} {at}</div>'
            )
        if order.state == "shipped":
            on = order.shipped_on.strftime("%m-%d") if order.shipped_on else ""
            news += (
                '<div class="small mt-1"><i class="bi bi-truck me-1" aria-hidden="true"></i>'
                f'{esc(order.carrier)} <span class="font-monospace">{esc(order.tracking_number)}'
                f"</span> · {on}</div>"
            )
        body = (
            f"{self.outcome(outcome)}{head}{order_meta(order)}\n{order_flags(order)}\n{news}{steps}"
        )
        return self.article(order, body, "p-2")


# --- the frame every card of an order shows (and the order's list rows, page and review) ---


def limit_badges(order) -> str:
    """The repair limit: time left (frozen while paused) and why it is paused."""
    limit = getattr(order, "limit", None)
    if limit is None:
        if order.state in ("shipped", "closed"):
            return f'<span class="badge text-bg-light border">{_("时限已结束")}</span>'
        return ""
    html = deadline_badge(limit)
    if limit.status == "paused":
        holder = limit.ball_holder and f"（{esc(choice_label(limit, 'ball_holder'))}）"
        html += (
            ' <span class="badge text-bg-light border text-wrap text-start">'
            '<i class="bi bi-pause-circle me-1" aria-hidden="true"></i>'
            f"{_('暂停')}：{esc(limit.pause_reason_text or '—')}{holder or ''}</span>"
        )
    return html


def order_meta(order, show_technician: bool = False) -> str:
    """The unit, its lot and where it came from (and, for a supervisor, whose it is)."""
    lot = order.lot
    units = ngettext("批次 %(n)s 台", "批次 %(n)s 台", lot.size) % {"n": lot.size}
    where = esc(order.branch) + (f" · {esc(order.dealer)}" if order.dealer_id else "")
    who = ""
    if show_technician and order.technician_id:
        who = (
            ' · <span class="text-nowrap"><i class="bi bi-person me-1" aria-hidden="true">'
            f"</i>{esc(person(order.technician))}</span>"
        )
    return (
        f'<div class="small"><span class="fw-semibold">{esc(order.product_model)}</span> · '
        f'<span class="font-monospace">{esc(order.serial_number or "—")}</span></div>\n'
        '<div class="small text-body-secondary">\n  <span class="text-nowrap">'
        '<i class="bi bi-boxes me-1" aria-hidden="true"></i><a class="link-secondary" '
        f'href="{lot.get_absolute_url()}">{units}</a></span>\n'
        f"  · <span>{where}</span>{who}\n</div>"
    )


def order_flags(order) -> str:
    """Badges that say why a unit waits or what happened to it."""
    out = []
    if order.urgency == "urgent":
        out.append(
            '<span class="badge text-bg-danger"><i class="bi bi-lightning-fill me-1" '
            f'aria-hidden="true"></i>{esc(choice_label(order, "urgency"))}</span>'
        )
    if order.state == "waiting_parts":
        until = ""
        if order.waiting_parts_until:
            day = order.waiting_parts_until.strftime("%m-%d")
            until = "，" + _("预计 %(d)s 到") % {"d": day}
        out.append(
            '<span class="badge text-bg-danger text-wrap text-start">'
            '<i class="bi bi-hourglass-split me-1" aria-hidden="true"></i>'
            f"{_('等配件')}：{esc(order.waiting_parts_reason)}{until}</span>"
        )
    if order.qc_failures:
        n = order.qc_failures
        text = ngettext("二次维修 · 质检不合格 %(n)s 次", "二次维修 · 质检不合格 %(n)s 次", n)
        out.append(
            '<span class="badge text-bg-warning"><i class="bi bi-arrow-repeat me-1" '
            f'aria-hidden="true"></i>{text % {"n": n}}</span>'
        )
    if order.state == "return_unrepaired":
        out.append(f'<span class="badge text-bg-dark">{_("不修退回")}</span>')
    if order.service_type:
        label = esc(choice_label(order, "service_type"))
        out.append(f'<span class="badge text-bg-light border">{label}</span>')
    quote = getattr(order, "open_quote", None)
    if quote:
        out.append(
            '<span class="badge text-bg-warning"><i class="bi bi-currency-yen" '
            f'aria-hidden="true"></i>{_("报价")} {esc(money(quote.total))} · '
            f"{esc(choice_label(quote, 'state'))}</span>"
        )
    timer = getattr(order, "quote_timer", None)
    if timer:
        what = _("发送报价") if quote and quote.state == "raised" else _("客户答复")
        out.append(
            f'<span class="text-nowrap"><span class="text-body-secondary">{what}</span> '
            f"{deadline_badge(timer)}</span>"
        )
    return '<div class="d-flex flex-wrap gap-1 mt-1 small">' + "".join(out) + "</div>"


def field_html(field) -> str:
    """One form field with its label, help text and errors: includes/field.html for a blank
    field that is not a checkbox."""
    star = '<span class="text-danger" aria-hidden="true"> *</span>' if field.field.required else ""
    help_text = ""
    if field.help_text:
        help_text = f'<div class="form-text" id="{field.auto_id}_helptext">{field.help_text}</div>'
    return (
        f'<div class="mb-3"><label class="form-label" for="{field.id_for_label}">'
        f"{esc(field.label)}{star}</label>{field}{help_text}</div>"
    )
