"""The embedded task broker: on a SQLite file an empty queue is read again only when the files changed, or once a
second; a task enqueued meanwhile (which writes the files) is dequeued at the next poll."""

import datetime as dt

import pytest
from django.utils import timezone
from django_q.brokers.orm import ORM

from leadcrm import task_broker
from leadcrm.doorbell import Doorbell
from tests.leadcrm.test_doorbell import assert_rung_once_committed

pytestmark = pytest.mark.django_db  # the broker's constructor looks at its connection


def test_an_idle_queue_is_read_once_a_second_and_at_once_after_a_write(tmp_path, monkeypatch):
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"x")
    clock, reads = [10.0], []
    monkeypatch.setattr(task_broker, "sqlite_files", lambda: [str(database), f"{database}-wal"])
    monkeypatch.setattr(task_broker.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(task_broker.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(ORM, "dequeue", lambda self: reads.append(clock[0]) or None)
    broker = task_broker.QuietOrmBroker(list_key="test")

    broker.dequeue()  # the first poll reads
    for _ in range(10):  # idle: 0.5 s of polls, no read
        clock[0] += 0.05
        broker.dequeue()
    assert reads == [10.0]
    (tmp_path / "db.sqlite3-wal").write_bytes(b"a task was enqueued")
    broker.dequeue()
    assert len(reads) == 2
    clock[0] += task_broker.IDLE_DEQUEUE_SECONDS
    broker.dequeue()  # nothing written, but a second went by (a retried task's lock may have run out)
    assert len(reads) == 3


def test_on_another_engine_every_poll_asks_and_an_empty_queue_waits_on_the_doorbell(settings, tmp_path,
                                                                                    monkeypatch):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    settings.VAR_DIR = tmp_path
    reads, waited = [], []
    monkeypatch.setattr(task_broker, "sqlite_files", lambda: [])
    monkeypatch.setattr(ORM, "dequeue", lambda self: reads.append(1) or None)
    monkeypatch.setattr(Doorbell, "wait", lambda self, timeout: waited.append(timeout) or False)
    monkeypatch.setattr(task_broker.time, "sleep", lambda seconds: pytest.fail("slept instead of waiting"))
    broker = task_broker.QuietOrmBroker(list_key="test")
    for _ in range(3):
        broker.dequeue()
    assert reads == [] and waited == [Conf.POLL] * 3
    OrmQ.objects.create(key="test", payload="a signed task", lock=timezone.now() - dt.timedelta(seconds=1))
    for _ in range(2):
        broker.dequeue()
    assert len(reads) == 2 and len(waited) == 3  # a ready task: read at once, no wait
    broker._doorbell.close()


def test_an_enqueue_on_a_sqlite_file_rings_the_pusher_once_committed(settings, tmp_path, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    broker = task_broker.QuietOrmBroker(list_key="test")
    assert_rung_once_committed(task_broker.DOORBELL, lambda: broker.enqueue("a signed task"),
                               django_capture_on_commit_callbacks)


def test_an_idle_pusher_sleeps_on_the_doorbell_instead_of_polling(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"x")
    monkeypatch.setattr(task_broker, "sqlite_files", lambda: [str(database), f"{database}-wal"])
    monkeypatch.setattr(ORM, "dequeue", lambda self: None)
    slept, waited = [], []
    monkeypatch.setattr(task_broker.time, "sleep", slept.append)
    monkeypatch.setattr(Doorbell, "wait", lambda self, timeout: waited.append(timeout) or False)
    broker = task_broker.QuietOrmBroker(list_key="test")
    broker.dequeue()  # the first poll reads, and binds the doorbell
    broker.dequeue()
    assert slept == [] and len(waited) == 1 and 0 < waited[0] <= task_broker.IDLE_DEQUEUE_SECONDS
    broker._doorbell.close()
