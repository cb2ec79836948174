from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "records.ownership"
    label = "ownership"
    verbose_name = "Record owners and shares"
    default_auto_field = "django.db.models.BigAutoField"
