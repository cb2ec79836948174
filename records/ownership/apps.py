from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "records.ownership"
    label = "ownership"
    verbose_name = "Record owners and shares"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import sharing  # noqa: F401  (connects the signals keeping share keys in step)
