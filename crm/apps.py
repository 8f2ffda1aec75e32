from django.apps import AppConfig


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = "Contact book"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate, post_save
        from django.urls import register_converter

        from . import checks  # noqa: F401  (registers the system checks)
        from .converters import IdConverter
        from .roles import join_default_role, roles_ensure

        post_save.connect(join_default_role, sender=get_user_model(), dispatch_uid="crm_role")
        # After auth's own receiver has made the permissions the roles hold.
        post_migrate.connect(roles_ensure, sender=self, dispatch_uid="crm_roles")

        # <id:pk> in the URLs: registered before any URLconf is loaded.
        register_converter(IdConverter, "id")
