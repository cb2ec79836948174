"""Records and API tokens in the Django admin, for staff: list, filter by app, search by id.

The admin edits rows directly and so bypasses records.store (hooks, formulas, If-Match); it is a
staff tool for inspection and repair, which is why record items are read-only here.
"""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import ApiToken, Record


@admin.register(Record)
class RecordAdmin(GuardedModelAdmin):
    """A record's page has guardian's "Object permissions" button: its shares (contract §5),
    stored in the direct-FK tables of records.ownership; editing them there updates the owner
    table too (records.ownership.sharing's signals)."""

    list_display = ("record_id", "app_id", "block_id", "author", "modified", "version")
    list_filter = ("app_id", "block_id")
    search_fields = ("record_id",)
    list_select_related = ("author",)
    readonly_fields = (
        "app_id",
        "record_id",
        "block_id",
        "items",
        "author",
        "created",
        "modified",
        "version",
    )
    ordering = ("app_id", "-id")
    show_full_result_count = False  # a COUNT(*) over every record on each page is not needed

    def has_add_permission(self, request):
        return False  # records are made through the API, blocks or block code (records.store)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created", "last_used")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "name", "prefix", "created", "last_used")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False  # a token is shown once when made: on the account page or create_api_token
