"""Shared fixtures. Lanes: SQLite by default; PostgreSQL + Redis when DATABASE_URL and
CELERY_BROKER_URL point at them (see .ci/run). Tests marked `worker` run against a real
Celery worker process and only in the PostgreSQL + Redis lane."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from core.roles import ADMINISTRATOR, BATCH_OPERATOR, REVIEWER
from tests.factories.core import BranchStaffFactory, HeadquartersStaffFactory

pytest_plugins = ["tests.worker", "tests.browser"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no sign-in attempts counted (the test cache is in memory)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tokyo(db):
    from core.models import Branch

    return Branch.objects.get(code=13)


@pytest.fixture
def osaka(db):
    from core.models import Branch

    return Branch.objects.get(code=27)


@pytest.fixture
def reviewer(tokyo):
    user = BranchStaffFactory(branch=tokyo, username="reviewer-tokyo")
    user.groups.add(Group.objects.get(name=REVIEWER))
    return user


@pytest.fixture
def osaka_reviewer(osaka):
    user = BranchStaffFactory(branch=osaka, username="reviewer-osaka")
    user.groups.add(Group.objects.get(name=REVIEWER))
    return user


@pytest.fixture
def hq_admin(db):
    user = HeadquartersStaffFactory(username="hq-admin")
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


@pytest.fixture
def operator(db):
    user = HeadquartersStaffFactory(username="operator")
    user.groups.add(Group.objects.get(name=BATCH_OPERATOR))
    return user


@pytest.fixture
def tokyo_admin(tokyo):
    """東京支部 管理者 (core.change_user, eligibility add/change)."""
    user = BranchStaffFactory(branch=tokyo, username="admin-tokyo")
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


@pytest.fixture
def tokyo_operator(tokyo):
    """東京支部 発送担当."""
    user = BranchStaffFactory(branch=tokyo, username="operator-tokyo")
    user.groups.add(Group.objects.get(name=BATCH_OPERATOR))
    return user
