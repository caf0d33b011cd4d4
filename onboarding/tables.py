import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from onboarding.models import Municipality, Vendor


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
