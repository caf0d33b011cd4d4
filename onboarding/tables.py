import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from onboarding import stuck
from onboarding.models import Integration, Municipality, Vendor


class MunicipalityTable(tables.Table):
    code = tables.Column(
        verbose_name=_("Municipality code"), linkify=lambda record: record.get_absolute_url()
    )
    prefecture = tables.Column(verbose_name=_("Prefecture"))
    city = tables.Column(
        verbose_name=_("Municipality"), order_by=("city_kana", "city"), empty_values=()
    )
    integration_count = tables.Column(
        verbose_name=_("Integrations"), attrs={"td": {"class": "num"}}
    )
    integrations = tables.Column(
        verbose_name=_("Systems and stages"), empty_values=(), orderable=False
    )

    class Meta:
        model = Municipality
        fields = ("code", "prefecture", "city", "integration_count", "integrations")
        order_by = "code"
        empty_text = _("No municipality matches these filters.")

    def render_city(self, record):
        return record.name

    def render_integrations(self, record):
        items = record.visible_integrations
        if not items:
            return format_html('<span class="muted">{}</span>', _("none"))
        return format_html_join(
            " ",
            '<a class="badge stage-badge st-{}" href="{}">{} · {}</a>',
            (
                (
                    i.stage,
                    reverse("onboarding:integration_detail", args=[i.pk]),
                    i.business_system,
                    i.get_stage_display(),
                )
                for i in items
            ),
        )


class VendorTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"), linkify=lambda record: record.get_absolute_url())
    slug = tables.Column(verbose_name=_("Slug"))
    contact_name = tables.Column(verbose_name=_("Contact person"))
    integration_count = tables.Column(
        verbose_name=_("Integrations"), attrs={"td": {"class": "num"}}
    )

    class Meta:
        model = Vendor
        fields = ("name", "slug", "contact_name", "integration_count")
        order_by = "name"
        empty_text = _("No vendor is registered yet.")


def _row_class(record) -> str:
    return "stuck" if stuck.is_stuck(record) else ""


class IntegrationTable(tables.Table):
    """The filtered integration list (issue 22): the board's columns link here. Operators tick
    rows for the bulk form (`select`); the others get the table without that column."""

    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {"name": "pk", "form": "bulk-form"},
            "th__input": {"form": "bulk-form", "data-select-page": "pk"},
        },
    )
    code = tables.Column(
        verbose_name=_("Municipality code"),
        accessor="municipality__code",
        linkify=lambda record: record.get_absolute_url(),
    )
    prefecture = tables.Column(verbose_name=_("Prefecture"), accessor="municipality__prefecture")
    municipality = tables.Column(
        verbose_name=_("Municipality"),
        accessor="municipality__city",
        order_by=("municipality__code",),
    )
    business_system = tables.Column(verbose_name=_("Business system"))
    vendor = tables.Column(verbose_name=_("Vendor"), order_by=("vendor__name",))
    rework_method = tables.Column(verbose_name=_("Rework method"))
    route = tables.Column(verbose_name=_("Route"))
    stage = tables.Column(verbose_name=_("Stage"))
    stage_changed_at = tables.Column(verbose_name=_("Days in stage"), empty_values=())
    go_live_date = tables.DateColumn(verbose_name=_("Go-live date"), format="Y-m-d")

    class Meta:
        model = Integration
        fields = (
            "select", "code", "prefecture", "municipality", "business_system", "vendor",
            "rework_method",
            "route", "stage", "stage_changed_at", "go_live_date",
        )  # fmt: skip
        order_by = "stage_changed_at"
        empty_text = _("No integration matches these filters.")
        row_attrs = {"class": _row_class}

    def order_stage_changed_at(self, queryset, is_descending):
        order = ("-stage_changed_at", "-pk") if is_descending else ("stage_changed_at", "pk")
        return queryset.order_by(*order), True
