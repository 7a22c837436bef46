from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "電子申請"

    def ready(self) -> None:
        from applications import checks  # noqa: F401  (registers the system checks)
