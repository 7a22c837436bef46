"""Which strings the member site shows, and whether a language's catalogue translates them.

A msgid is member-facing when ``makemessages`` found it in one of :data:`MEMBER_FACING`
(the member pages' templates and code, the form catalogue's texts). CI (a test) fails when
one of them has no English translation; ``untranslated("fr")`` tells a translator what is
left in another language's file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

#: Paths (prefixes, relative to the project) whose strings members read.
MEMBER_FACING: tuple[str, ...] = (
    "templates/base.html",
    "templates/core/signin.html",
    "templates/core/attorney_signin.html",
    "templates/core/member_home.html",
    "templates/core/too_many_attempts.html",
    "applications/templates/applications/member_list.html",
    "applications/templates/applications/member_detail.html",
    "applications/templates/applications/site/",
    "applications/web/",
    "applications/presentation.py",
    "applications/forms_catalogue/registry.py",
    "applications/bank.py",
    "applications/services/filing",  # the package (filing.py before the split)
    "applications/forms_catalogue/messages.py",
    "core/member_site.py",
    "core/views.py",
    "core/uploads.py",
    "core/api/",
    "returns/templates/returns/mailbox.html",
    "returns/templates/returns/message.html",
    "returns/templates/returns/resubmit.html",
    "returns/templates/returns/_resubmit_file_form.html",
    "returns/views.py",
)


def po_path(language: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"


def is_member_facing(entry: Any) -> bool:
    return any(path.startswith(MEMBER_FACING) for path, _line in entry.occurrences)


def untranslated(language: str) -> list[str]:
    """Member-facing msgids with no (or a fuzzy) translation in ``language``'s catalogue."""
    import polib  # a test dependency: only CI and translators run this

    catalogue = polib.pofile(str(po_path(language)))
    return [
        entry.msgid
        for entry in catalogue
        if is_member_facing(entry)
        and not entry.obsolete
        and ("fuzzy" in entry.flags or not (entry.msgstr or entry.msgstr_plural.get(0)))
    ]
