"""Property-based test of the whole REST API against its own OpenAPI schema (schemathesis).

The committed schema (docs/openapi.yaml, which CI proves equal to the code's) drives it:
every operation is called on a live test server with generated requests, valid and invalid
(schemathesis' coverage and fuzzing phases), as each of five users: anonymous, a member, a
社会保険労務士, a branch reviewer and headquarters. No response may be a server error, and
every one must use a documented status code and content type and conform to the schema.

Bounded and reproducible: ``MAX_EXAMPLES`` fuzzing examples per operation and user, a fixed
seed, no example database, operations in a fixed order. Writes (filing, drafts) are real (see
:func:`site`), and filing time is pinned inside the service hours, so a run does the same
thing at any hour of any day.

Marked ``schema_fuzz``: not part of the default run (see pyproject ``addopts``); CI runs it as
its own step: ``.venv/bin/python -m pytest -m schema_fuzz tests/api/test_schema_fuzz.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.roles import ADMINISTRATOR, REVIEWER
from tests.api.conftest import OPERATIONS, SENT
from tests.applications.filing_support import OPEN_AT, clock_at
from tests.factories.applications import ApplicationFactory
from tests.factories.core import (
    AttorneyFactory,
    BranchStaffFactory,
    HeadquartersStaffFactory,
    MemberUserFactory,
    branch,
)
from tests.factories.eligibility import DependentRecordFactory, InsuredRecordFactory

# django_db: so that pytest-django sets the test database up; each test runs in a transaction
# of the main thread's connection (see `site` for what that means for the server's writes).
pytestmark = [pytest.mark.schema_fuzz, pytest.mark.django_db]

#: Fuzzing examples per operation and user (the coverage phase adds its boundary cases).
MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_MAX_EXAMPLES", "25"))
SEED = 20260311

USERS = ["anonymous", "member", "attorney", "branch_reviewer", "headquarters"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# -------------------------------------------------------------------------------------------


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


#: The committed schema, which CI proves equal to the code's (tests/api/test_schema.py).
schema = schemathesis.openapi.from_path(
    Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml", config=_config()
)


def _people() -> dict[str, Any]:
    """The five kinds of user, with a little data of their own to find."""
    tokyo, osaka = branch(13), branch(27)
    member = MemberUserFactory(username="fuzz-member")
    record = InsuredRecordFactory(person__user=member)
    DependentRecordFactory(insured_record=record)
    ApplicationFactory(applicant=member, record=record)
    ApplicationFactory(applicant=member, record=record, draft=True)
    attorney = AttorneyFactory(username="fuzz-attorney")
    reviewer = BranchStaffFactory(branch=tokyo, username="fuzz-reviewer")
    reviewer.groups.add(Group.objects.get(name=REVIEWER))
    headquarters = HeadquartersStaffFactory(username="fuzz-hq")
    headquarters.groups.add(Group.objects.get(name=ADMINISTRATOR))
    InsuredRecordFactory(employer__branch=osaka, employer__symbol="27000001")
    return {
        "anonymous": None,
        "member": member,
        "attorney": attorney,
        "branch_reviewer": reviewer,
        "headquarters": headquarters,
    }


class Site(NamedTuple):
    url: str
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any) -> Iterator[Site]:
    """A live server over one database for the whole run, with the five users in it.

    Not pytest-django's ``live_server``: that one flushes the database after every test
    (60 of them here), which costs more than the requests. Here the users are written once
    and the database is flushed once at the end. On PostgreSQL the server's writes stay for
    the rest of the run (operations run in a fixed order: a member's filing is then in the
    lists); on the in-memory SQLite lane the server shares the test's connection, so each
    test's writes are rolled back after it. Filing time is pinned to a weekday 10:00 (inside
    the service hours) for the whole run.
    """
    from django.core.management import call_command
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock(), clock_at(OPEN_AT):
        server = LiveServer("localhost")
        try:
            people = _people()
            headers = {
                who: {} if user is None else {"Authorization": f"Token {token_for(user)}"}
                for who, user in people.items()
            }
            yield Site(server.url, headers)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


def token_for(user: Any) -> str:
    return Token.objects.create(user=user).key


@pytest.fixture(params=USERS)
def caller(request: pytest.FixtureRequest, site: Site) -> tuple[str, dict[str, str]]:
    """(who, request headers) for one kind of user."""
    return request.param, site.headers[request.param]


@schema.parametrize()
# The user's data and token (fixtures) are shared by a test's examples on purpose: what one
# example files, the next can read.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(
    case: Any, caller: tuple[str, dict[str, str]], site: Site
) -> None:
    who, headers = caller
    response = case.call(base_url=site.url, headers=headers)
    SENT[(who, response.status_code)] += 1
    OPERATIONS.setdefault(who, set()).add(case.operation.label)
    case.validate_response(response, checks=CHECKS, headers=headers)
