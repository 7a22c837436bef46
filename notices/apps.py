from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "お知らせ・発送"

    def ready(self) -> None:
        from applications.signals import application_completed
        from notices.receivers import on_application_completed

        application_completed.connect(on_application_completed, dispatch_uid="notices-reissue")
