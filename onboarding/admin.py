from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from onboarding.models import (
    ApiToken,
    Integration,
    IntegrationContact,
    IntegrationEvent,
    Municipality,
    User,
    Vendor,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Vendor"), {"fields": ("vendor",)}))
    list_display = ("username", "email", "vendor", "is_staff", "is_active", "last_login")
    list_filter = ("groups", "vendor", "is_staff", "is_active")


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "contact_name", "contact_email")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "prefecture", "city")
    list_filter = ("prefecture",)
    search_fields = ("code", "prefecture", "city", "city_kana")


class ContactInline(admin.TabularInline):
    model = IntegrationContact
    extra = 0


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("dropbox_name", "municipality", "business_system", "vendor", "stage")
    list_filter = ("stage", "vendor", "rework_method", "route", "data_mode", "test_access")
    search_fields = ("dropbox_name", "municipality__code", "municipality__city", "business_system")
    raw_id_fields = ("municipality",)
    inlines = [ContactInline]
    readonly_fields = ("stage", "stage_changed_at", "created_at", "updated_at")


@admin.register(IntegrationEvent)
class IntegrationEventAdmin(admin.ModelAdmin):
    list_display = ("at", "integration", "kind", "field", "old_value", "new_value", "by")
    list_filter = ("kind",)
    raw_id_fields = ("integration",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("vendor", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("vendor",)
    readonly_fields = ("prefix", "token_hash", "created_at", "created_by", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False  # issued on the vendor's page or by `manage.py api_token`, shown once
