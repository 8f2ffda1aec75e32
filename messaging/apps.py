from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Flash messages"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from . import checks  # noqa: F401 (registers the system checks)
        from .signals import keep_messages_through_logout

        user_logged_out.connect(keep_messages_through_logout, dispatch_uid="messaging.logout")
