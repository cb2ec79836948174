"""Who owns which record, and what is shared with whom. Written only by records.ownership.

- `RecordOwner`: one row per owner key of a record (`site_model.acl.record_owner_keys`): its
  `_author` and each value of its owner items, with the item's name. Row-level security
  filters a list with `EXISTS (owner rows of this record whose key names the visitor)`, an
  index lookup on (principal, record) instead of reading JSON (STYLE.md §4). Its `name`
  (the key's name, folded) answers "does any record carry this name?" for a sign-up.
- `RecordUserShare`, `RecordGroupShare`: django-guardian's direct-foreign-key object
  permission models for `records.Record`, so a share is a real FK and no text `object_pk`
  joined through content types. Share permissions map to the model's default permissions:
  view -> view_record, edit -> change_record, delete -> delete_record.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from records.models import Record


class RecordOwner(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="owner_keys")
    # The record's app, copied: PostgreSQL's policies match a key to the app's rights and roles
    # without reading the record (records migration 0012).
    app_id = models.CharField(max_length=100, default="")
    # "_author", or the name of the owner item (an entry of `row_owners`) the key came from:
    # taking an item out of `row_owners` stops it granting at once (see owners.readable_q).
    item = models.CharField(max_length=100)
    principal = models.CharField(max_length=300)  # an owner key: "a:<user>" or "o:<value>"
    # The key's name folded (accounts.names.fold): a new user name is looked up here, so that
    # nobody signs up under a name records already carry (contract §7 "Names").
    name = models.CharField(max_length=300, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "item", "principal"], name="owner_key_unique_per_record"
            )
        ]
        # (principal, item, record): the filter's whole lookup, answered from the index alone.
        indexes = [
            models.Index(fields=["principal", "item", "record"], name="owner_principal_item_rec"),
            models.Index(fields=["name"], name="owner_name"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.item}={self.principal}"


class RecordUserShare(UserObjectPermissionBase):
    # A visible reverse relation: guardian finds direct-FK models through Record's fields.
    content_object = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="user_shares")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "record shared with a user"


class RecordGroupShare(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="group_shares"
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "record shared with a group"


class OwnedApp(models.Model):
    """The `row_owners` an app's owner rows were last built for (see owners.ensure_current):
    when the app's settings name other items, the next filtered list rebuilds them first."""

    app_id = models.CharField(max_length=100, primary_key=True)
    row_owners = models.CharField(max_length=2000, blank=True, default="")  # ids, by spaces

    def __str__(self) -> str:
        return f"{self.app_id}: {self.row_owners or '-'}"
