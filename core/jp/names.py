"""氏名 in Japanese order: family name first (石川 蓮), the one place that joins a name.

Every screen, admin column, history and audit display names a person through
:func:`full_name` (directly or through ``User.get_full_name``), never ``first last``.
"""

from __future__ import annotations


def full_name(family_name: str, given_name: str) -> str:
    """「石川 蓮」: family name, one space, given name; either may be missing.

    The parts are shown as given (no normalisation: 外字 such as 髙 or 﨑 stay as they are),
    only their surrounding spaces are dropped.
    """
    return " ".join(part for part in (family_name.strip(), given_name.strip()) if part)
