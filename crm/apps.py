from django.apps import AppConfig


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = "Contact book"

    def ready(self):
        from django.urls import register_converter

        from . import checks  # noqa: F401  (registers the system checks)
        from .converters import IdConverter

        # <id:pk> in the URLs: registered before any URLconf is loaded.
        register_converter(IdConverter, "id")
