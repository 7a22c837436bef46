"""Write applications/forms_catalogue/messages.py (the catalogue's texts for makemessages)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from applications.forms_catalogue.translation import messages_module

TARGET = Path(__file__).resolve().parents[2] / "forms_catalogue" / "messages.py"


class Command(BaseCommand):
    help = "Regenerate the list of form catalogue texts that makemessages extracts."

    def handle(self, *args, **options) -> None:
        TARGET.write_text(messages_module(), encoding="utf-8")
        self.stdout.write(f"wrote {TARGET}")
