from django.contrib import admin

from connectivity.models import (
    InboundCheck,
    MaintenanceWindow,
    Probe,
    ProbeIncident,
    ProbeResult,
    ProbeSweep,
)


@admin.register(Probe)
class ProbeAdmin(admin.ModelAdmin):
    list_display = ("name", "integration", "route", "kind", "url", "status", "last_run_at")
    list_filter = ("status", "route", "kind", "is_control", "paused")
    search_fields = ("name", "url", "integration__municipality__code")
    raw_id_fields = ("integration",)


@admin.register(ProbeResult)
class ProbeResultAdmin(admin.ModelAdmin):
    list_display = ("probe", "started_at", "ok", "error_class", "total_ms", "suppressed")
    list_filter = ("ok", "error_class", "suppressed")
    raw_id_fields = ("probe",)
    date_hierarchy = "started_at"


@admin.register(ProbeIncident)
class ProbeIncidentAdmin(admin.ModelAdmin):
    list_display = ("probe", "opened_at", "closed_at", "error_class", "failures")
    raw_id_fields = ("probe",)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "integration", "probe", "starts_at", "ends_at", "on_public_holidays")
    raw_id_fields = ("integration", "probe")


@admin.register(InboundCheck)
class InboundCheckAdmin(admin.ModelAdmin):
    list_display = ("integration", "issued_at", "used_at", "source_address", "passed")
    readonly_fields = ("token_hash",)
    raw_id_fields = ("integration",)


@admin.register(ProbeSweep)
class ProbeSweepAdmin(admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "targets", "failures", "guard_tripped")
