from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self):
        from . import checks  # noqa: F401 - registers `check --deploy`'s row-security checks
