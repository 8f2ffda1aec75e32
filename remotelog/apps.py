from django.apps import AppConfig


class RemoteLogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "remotelog"
    verbose_name = "Remote logs"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
