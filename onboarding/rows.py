"""The rows of the integration list, drawn as HTML here (as `helpdesk/rows.py` does).

At national scale the list is the operators' working page; the template engine would spend
most of its time resolving 50 rows × 11 cells. `IntegrationTable` still owns the columns, sort
orders and paging; this draws the rows with `format_html` (every value escaped).
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from onboarding import stuck
from onboarding.models import ReworkMethod, Route, Stage

NONE = "—"


def integration_rows(integrations, *, selectable: bool) -> SafeString:
    now = timezone.now()
    limits = {s: now - timedelta(days=d) for s, d in stuck.thresholds().items() if d > 0}
    labels = {
        "method": {v: str(label) for v, label in ReworkMethod.choices},
        "route": {v: str(label) for v, label in Route.choices},
        "stage": {v: str(label) for v, label in Stage.choices},
        "days": _("%(days)d days"),
        # The detail URL once, its id swapped per row (reverse() costs more than the row).
        "url": reverse("onboarding:integration_detail", args=[0]).removesuffix("0/"),
    }
    return format_html_join(
        "\n",
        "{}",
        ((_row(i, now, limits, labels, selectable),) for i in integrations),
    )


def _row(i, now, limits, labels, selectable: bool) -> SafeString:
    is_stuck = i.stage in limits and i.stage_changed_at < limits[i.stage]
    if i.stage == Stage.LIVE:
        waiting = NONE
    else:
        days = labels["days"] % {"days": (now - i.stage_changed_at).days}
        waiting = format_html('<span class="stuck-mark">{}</span>', days) if is_stuck else days
    select = (
        format_html('<td><input type="checkbox" name="pk" value="{}" form="bulk-form"></td>', i.pk)
        if selectable
        else ""
    )
    municipality = i.municipality
    return format_html(
        '<tr class="{}">{}<td><a href="{}{}/">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td>"
        '<td><span class="badge stage-badge st-{}">{}</span></td><td>{}</td><td>{}</td></tr>',
        "stuck" if is_stuck else "",
        select,
        labels["url"],
        i.pk,
        municipality.code,
        municipality.prefecture,
        municipality.name,
        i.business_system,
        i.vendor.name if i.vendor else NONE,
        labels["method"].get(i.rework_method, NONE),
        labels["route"].get(i.route, NONE),
        i.stage,
        labels["stage"].get(i.stage, i.stage),
        waiting,
        i.go_live_date.isoformat() if i.go_live_date else NONE,
    )


def board_cards(column: str, integrations, now) -> SafeString:
    """The cards of one board column, drawn here for the same reason as the list's rows."""
    url = reverse("onboarding:integration_detail", args=[0]).removesuffix("0/")
    limit = stuck.thresholds().get(column, 0)
    since = now - timedelta(days=limit) if limit > 0 else None
    stuck_word = _("stuck")
    return format_html_join(
        "\n", "{}", ((_card(i, url, column, now, since, stuck_word),) for i in integrations)
    )


def _waiting(now, changed) -> str:
    waited = now - changed
    if waited >= timedelta(days=1):
        return _("waiting %(days)d days") % {"days": waited.days}
    return _("waiting %(hours)d hours") % {"hours": waited.seconds // 3600}


def _card(i, url, column, now, since, stuck_word) -> SafeString:
    is_stuck = since is not None and i.stage_changed_at < since
    if column == Stage.LIVE:
        date = i.go_live_date.isoformat() if i.go_live_date else NONE
        status = format_html(
            '<span class="live-since">{}</span>', _("live since %(date)s") % {"date": date}
        )
    else:
        text = _waiting(now, i.stage_changed_at)
        status = format_html(
            '<span class="wait">{}{}</span>', text, f" · {stuck_word}" if is_stuck else ""
        )
    return format_html(
        '<a class="board-card{}" href="{}{}/"><strong>{}</strong><span class="muted">{}</span>'
        '<span>{}</span><span class="muted">{}</span>{}</a>',
        " stuck" if is_stuck else "",
        url,
        i.pk,
        i.municipality.name,
        i.municipality.prefecture,
        i.business_system,
        i.vendor.name if i.vendor else NONE,
        status,
    )
