from django.apps import AppConfig


class LockingConfig(AppConfig):
    name = "locking"
    verbose_name = "Table locks"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
