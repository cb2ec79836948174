from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "records.ownership"
    label = "ownership"
    verbose_name = "Record owners and shares"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import names

        from .owners import name_in_records

        # A user may not take a name records carry; a group may (naming a team in records
        # before its group exists is how rows are given to a team).
        names.register("records.ownership", name_in_records, kinds=(names.USER,))
