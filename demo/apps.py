"""The demo app: only its ``demo_data`` management command needs it installed."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "デモデータ"
