from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "電子ポスト"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from applications.signals import application_returned
        from returns.catalogue import ensure_reason_catalogue
        from returns.receivers import on_application_returned

        application_returned.connect(on_application_returned, dispatch_uid="returns-message")
        post_migrate.connect(ensure_reason_catalogue, sender=self, dispatch_uid="returns-reasons")
