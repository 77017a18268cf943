"""Race scenarios run where writers really overlap: on PostgreSQL in the scale pass, and on a SQLite file in a child
pytest (tests.concurrency)."""

from collections.abc import Callable

import pytest
from django.db import connection

from tests.concurrency import SQLITE_FILE_SKIP, on_sqlite_file, sqlite_file_child_run


def race_tests(scenarios: list[Callable], *, fixture: str, test_file: str, database: str) -> tuple[Callable, ...]:
    """The tests that run every scenario (called with the value of the fixture `fixture`): on PostgreSQL, marked
    scale; on a SQLite file, run only inside the child pytest; and the test starting that child pytest, on the
    SQLite file `database` in its tmp_path. Bind them in the test module `test_file` (its __file__) to the names
    test_on_postgresql, test_on_a_sqlite_file and test_sqlite_file_child_run: the child pytest runs the second by
    that name."""
    each_scenario = pytest.mark.parametrize("scenario", scenarios, ids=lambda f: f.__name__[4:])

    @pytest.mark.scale
    @pytest.mark.django_db(transaction=True)
    @each_scenario
    def on_postgresql(request, scenario):
        assert connection.vendor == "postgresql"
        scenario(request.getfixturevalue(fixture))

    @pytest.mark.django_db(transaction=True)
    @each_scenario
    def on_a_sqlite_file(request, scenario):
        if not on_sqlite_file():
            pytest.skip(SQLITE_FILE_SKIP)
        scenario(request.getfixturevalue(fixture))

    def child_run(tmp_path):
        """Run test_on_a_sqlite_file in a child pytest whose test database is a SQLite file."""
        sqlite_file_child_run(test=f"{test_file}::test_on_a_sqlite_file", database=str(tmp_path / database),
                              scenarios=len(scenarios))

    return on_postgresql, on_a_sqlite_file, child_run
