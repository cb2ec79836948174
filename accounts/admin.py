"""The audit trail in the admin: read-only, filterable by kind, date, user and address."""

from django.contrib import admin

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "username", "address", "target", "status")
    list_filter = ("kind", "status", "at")
    search_fields = ("username", "address", "target", "detail")
    date_hierarchy = "at"
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
