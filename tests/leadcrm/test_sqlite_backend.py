"""The SQLite backend's writer lock: a transaction holds `<database>-writer` from its BEGIN to its commit or
rollback, so other writers wait on the lock file (queued by the kernel) instead of in SQLite's busy handler."""

import fcntl
import os

import pytest
from django.db import connections, transaction

ALIAS = "writer_lock_test"


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A connection alias on a fresh SQLite file, through the project's backend."""
    path = tmp_path / "writer.sqlite3"
    connections.settings[ALIAS] = {**connections["default"].settings_dict, "NAME": str(path), "TEST": {}}
    with django_db_blocker.unblock():
        connection = connections[ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (text TEXT)")
        yield path
        connection.close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


def lock_is_free(path) -> bool:
    fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock it took
    return True


def write(text: str) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES (%s)", [text])


def test_a_transaction_holds_the_writer_lock_until_it_commits(file_database):
    with transaction.atomic(using=ALIAS):
        assert not lock_is_free(file_database)
        with transaction.atomic(using=ALIAS):  # a savepoint neither takes nor gives back the lock
            write("inner")
        assert not lock_is_free(file_database)
        write("outer")
    assert lock_is_free(file_database)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (2,)


def test_a_rollback_and_a_closed_connection_give_the_lock_back(file_database):
    with pytest.raises(ValueError), transaction.atomic(using=ALIAS):
        write("rolled back")
        raise ValueError("the change failed")
    assert lock_is_free(file_database)

    with transaction.atomic(using=ALIAS):
        write("lost with the connection")
        connections[ALIAS].close()  # a worker closing its connection mid-transaction: SQLite rolls it back
        assert lock_is_free(file_database)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (0,)


def test_writes_outside_a_transaction_take_no_lock(file_database):
    write("autocommit")
    assert lock_is_free(file_database)


def test_an_in_memory_database_has_no_lock_file(db):
    with transaction.atomic():
        assert connections["default"].is_in_memory_db() and connections["default"]._writer_fd is None
