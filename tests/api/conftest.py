"""Figures of the schema fuzz run (tests/api/test_schema_fuzz.py), printed after the run."""

from __future__ import annotations

from collections import Counter
from typing import Any

#: Requests sent, by (user, status code).
SENT: Counter[tuple[str, int]] = Counter()
#: Operations exercised, by user.
OPERATIONS: dict[str, set[str]] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SENT:
        return
    write = terminalreporter.write_line
    users = list(OPERATIONS)
    operations = set().union(*OPERATIONS.values())
    write(
        f"schema fuzz: {sum(SENT.values())} requests, {len(operations)} operations, "
        f"{len(users)} users"
    )
    for who in users:
        codes = {code: n for (w, code), n in sorted(SENT.items()) if w == who}
        write(f"  {who}: {sum(codes.values())} requests, status codes {codes}")
