"""Reference data every database needs: the 47 branches and the staff role groups.

Created by migration and ensured again after every migrate/flush (post_migrate), so a
flushed test database or a restored dump is never left without its branches.
"""

from __future__ import annotations

from typing import Any

from core.jp.checkdigits import branch_insurer_number
from core.prefectures import PREFECTURES, branch_name


def ensure_branches(branch_model: Any = None) -> int:
    """Create the branches that are missing (insurer number 01 + PP + 001 + check digit)."""
    if branch_model is None:
        from core.models import Branch as branch_model
    existing = set(branch_model.objects.values_list("code", flat=True))
    missing = [
        branch_model(
            code=code,
            prefecture=prefecture,
            name=branch_name(prefecture),
            insurer_number=branch_insurer_number(code),
        )
        for code, prefecture in PREFECTURES
        if code not in existing
    ]
    branch_model.objects.bulk_create(missing)
    return len(missing)


def ensure_reference_data(*, sender: Any = None, **kwargs: Any) -> None:
    """post_migrate handler: acts once, after the last app with models has migrated."""
    from django.apps import apps

    from core.roles import sync_role_groups

    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is not None and sender is not last:
        return
    ensure_branches()
    sync_role_groups()
