"""The catalogue's notes: what the API sends as ``note`` is for the people who file; the
developers' notes (dev_note) are never sent."""

from __future__ import annotations

import re

import pytest

from applications.api.serializers import FormSerializer
from applications.forms_catalogue.definitions import ALL_DEFINITIONS

#: What only developers write: the seed, repository files, to-dos.
DEVELOPER_WORDS = re.compile(r"seed|\.md\b|TODO|FIXME|DOMAIN", re.IGNORECASE)


@pytest.mark.parametrize("form", ALL_DEFINITIONS, ids=lambda f: f"{f.code}-v{f.version}")
def test_the_public_note_carries_no_developer_note(form):
    data = FormSerializer(form).data
    assert "dev_note" not in data
    assert not DEVELOPER_WORDS.search(data["note"]), data["note"]
