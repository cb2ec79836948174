"""Records and API tokens in the Django admin, for staff: list, filter by app, search by id.

Record items are read-only here: an edit would bypass records.store (formulas, If-Match, the
owner table). Deleting does go through the store, one record at a time, so each block's
`on_delete` runs as on every other path; an error in it deletes nothing and is shown.
"""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import redirect
from guardian.admin import GuardedModelAdmin
from guardian.shortcuts import get_group_perms, get_user_perms

from accounts import audit
from site_model import code
from site_model.loader import current_site

from . import history, store
from .history import written_via
from .models import Record, RecordVersion
from .ownership import sharing


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

    actions = ("delete_selected",)  # ours, below: through the store

    def has_add_permission(self, request):
        return False  # records are made through the API, blocks or block code (records.store)

    def delete_model(self, request, obj):
        # An app no longer in the site folder has no block code to run: None.
        app = current_site().apps.get(obj.app_id)
        with written_via("admin"):
            store.record_delete(app=app, record=obj, request=request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all or nothing, as a bulk create
            for record in queryset.order_by("pk"):
                self.delete_model(request, record)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except code.BlockCodeError as exc:  # the admin's transaction rolled back
            self.message_user(
                request, f"The record was not deleted: on_delete failed: {exc}", messages.ERROR
            )
            return redirect("admin:records_record_change", object_id)

    # Shares set on guardian's "Object permissions" pages go to the audit trail too.
    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        user = get_user_model().objects.filter(pk=user_id).first()
        view = super().obj_perms_manage_user_view
        return self._shares_audited(request, object_pk, user, get_user_perms, view, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        group = Group.objects.filter(pk=group_id).first()
        view = super().obj_perms_manage_group_view
        return self._shares_audited(request, object_pk, group, get_group_perms, view, group_id)

    def _shares_audited(self, request, object_pk, principal, perms_of, view, principal_id):
        record = Record.objects.filter(pk=object_pk).first()
        if request.method != "POST" or record is None or principal is None:
            return view(request, object_pk, principal_id)
        before = set(perms_of(principal, record))
        response = view(request, object_pk, principal_id)
        after = set(perms_of(principal, record))
        name = principal.get_username() if hasattr(principal, "get_username") else principal.name
        for kind, changed in (
            (audit.Kind.SHARE_GRANTED, after - before),
            (audit.Kind.SHARE_REVOKED, before - after),
        ):
            permissions = [p for c, p in sharing.PERMISSIONS.items() if c in changed]
            if permissions:
                sharing.share_event(kind, record, name, permissions, request, " (in the admin)")
        return response

    @admin.action(permissions=["delete"], description="Delete selected records")
    def delete_selected(self, request, queryset):
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except code.BlockCodeError as exc:
            self.message_user(
                request, f"No record was deleted: on_delete failed: {exc}", messages.ERROR
            )
            return None


@admin.register(RecordVersion)
class RecordVersionAdmin(admin.ModelAdmin):
    """The audit of data changes (contract §9): every version of every record, who wrote it
    and by which path, filterable by user, app, path and date. Read-only: versions are
    history; a restore goes through the API or the record's page (records.store)."""

    list_display = ("at", "app_id", "record_id", "version", "kind", "by", "via", "changed")
    list_filter = ("app_id", "by", "via", "kind", ("at", admin.DateFieldListFilter))
    date_hierarchy = "at"
    search_fields = ("record_id", "by")
    ordering = ("-at", "-pk")
    show_full_result_count = False
    readonly_fields = tuple(field.name for field in RecordVersion._meta.fields)

    @admin.display(description="changed items")
    def changed(self, version: RecordVersion) -> str:
        names = sorted(history.changes_of(version))
        shown = ", ".join(names[:6])
        return shown + (f" (+{len(names) - 6})" if len(names) > 6 else "")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # pruned by `manage.py prune_history`, never by hand
