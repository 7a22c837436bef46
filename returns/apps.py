from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "電子ポスト"

    def ready(self) -> None:
        from applications.signals import application_returned
        from returns.receivers import on_application_returned

        application_returned.connect(on_application_returned, dispatch_uid="returns-message")
