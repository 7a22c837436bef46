from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "組織・アカウント"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self)
