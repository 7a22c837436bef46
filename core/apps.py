from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "組織・アカウント"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import lookups
        from core.reference_data import ensure_reference_data

        lookups.register()

        from core.observability import tasks as observed_tasks

        observed_tasks.connect()  # request id into task headers, task metrics, JSON logs

        # After the last app's post_migrate, when every app's permissions exist.
        post_migrate.connect(ensure_reference_data)
