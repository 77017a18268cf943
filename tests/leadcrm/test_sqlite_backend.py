"""The SQLite backend's writer lock: a transaction holds `<database>-writer` from its BEGIN to its commit or
rollback, so other writers wait on the lock file (queued by the kernel) instead of in SQLite's busy handler.

Each test runs on a thread of its own, with its own connection: in the sequential CI run the browser tests leave
an event loop running on the main thread, where Django refuses synchronous database calls.
"""

import fcntl
import os
import threading
from collections.abc import Callable

import pytest
from django.db import connections, transaction

ALIAS = "writer_lock_test"


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A connection alias on a fresh SQLite file with one table, through the project's backend."""
    path = tmp_path / "writer.sqlite3"
    connections.settings[ALIAS] = {**connections["default"].settings_dict, "NAME": str(path), "TEST": {}}
    with django_db_blocker.unblock():
        on_own_thread(lambda: execute("CREATE TABLE note (text TEXT)"))
        yield path
    del connections.settings[ALIAS]


def on_own_thread(test: Callable[[], object]) -> None:
    """Run test() on a new thread (its own connection, closed after); re-raise what it raised."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            test()
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections[ALIAS].close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if failures:
        raise failures[0]


def execute(sql: str, params: list | None = None) -> list[tuple]:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def lock_is_free(path) -> bool:
    fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock it took
    return True


def test_a_transaction_holds_the_writer_lock_until_it_commits(file_database):
    def test() -> None:
        with transaction.atomic(using=ALIAS):
            assert not lock_is_free(file_database)
            with transaction.atomic(using=ALIAS):  # a savepoint neither takes nor gives back the lock
                execute("INSERT INTO note VALUES ('inner')")
            assert not lock_is_free(file_database)
            execute("INSERT INTO note VALUES ('outer')")
        assert lock_is_free(file_database)
        assert execute("SELECT count(*) FROM note") == [(2,)]

    on_own_thread(test)


def test_a_rollback_and_a_closed_connection_give_the_lock_back(file_database):
    def test() -> None:
        with pytest.raises(ValueError), transaction.atomic(using=ALIAS):
            execute("INSERT INTO note VALUES ('rolled back')")
            raise ValueError("the change failed")
        assert lock_is_free(file_database)
        with transaction.atomic(using=ALIAS):
            execute("INSERT INTO note VALUES ('lost with the connection')")
            connections[ALIAS].close()  # a worker closing its connection mid-transaction: SQLite rolls it back
            assert lock_is_free(file_database)
        assert execute("SELECT count(*) FROM note") == [(0,)]

    on_own_thread(test)


def test_writes_outside_a_transaction_take_no_lock(file_database):
    def test() -> None:
        execute("INSERT INTO note VALUES ('autocommit')")
        assert lock_is_free(file_database)

    on_own_thread(test)


def test_an_in_memory_database_has_no_lock_file(db):
    with transaction.atomic():
        assert connections["default"].is_in_memory_db() and connections["default"]._writer_fd is None
