"""One class of report tests, run on both database engines."""

import pytest
from django.db import connection


class _OnPostgreSQL:
    def test_runs_on_postgresql(self):
        assert connection.vendor == "postgresql"


def on_sqlite_and_postgresql(tests: type) -> tuple[type, type]:
    """Two test classes running the tests of `tests`: Test<name>SQLite on the default database, and
    Test<name>PostgreSQL, marked scale so it runs in the PostgreSQL pass of `make test`, where it fails unless the
    database really is PostgreSQL. Bind them to those names in the test module: pytest collects them by name."""
    sqlite = type(f"Test{tests.__name__}SQLite", (tests,), {"__module__": tests.__module__})
    postgresql = type(f"Test{tests.__name__}PostgreSQL", (_OnPostgreSQL, tests), {"__module__": tests.__module__})
    return pytest.mark.django_db(sqlite), pytest.mark.scale(pytest.mark.django_db(postgresql))
