"""App configuration of the マイナ保険証 dashboard."""

from django.apps import AppConfig


class MynaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "myna"
    verbose_name = "マイナ保険証"
