"""Doorbells between processes of one machine: a ring wakes every listener of its name at once, and nothing else."""

import os
import socket
import threading
from collections.abc import Callable

import pytest

from leadcrm import doorbell
from leadcrm.doorbell import Doorbell, ring


def assert_rung_once_committed(name: str, write: Callable[[], object], capture_on_commit) -> None:
    """write() inside a transaction rings `name`, and only once it commits (before, a listener would look and find
    nothing). capture_on_commit: pytest-django's django_capture_on_commit_callbacks fixture."""
    bell = Doorbell.listen(name)
    try:
        with capture_on_commit(execute=True):
            write()
            assert bell.wait(0) is False
        assert bell.wait(5) is True
    finally:
        bell.close()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_a_ring_wakes_every_listener_of_its_name_and_no_other():
    first, second, other = Doorbell.listen("tasks"), Doorbell.listen("tasks.x"), Doorbell.listen("outbox")
    try:
        assert first.wait(0) is False
        ring("tasks")
        assert first.wait(5) is True
        assert second.wait(0) is False  # "tasks.x" is another name, not a listener of "tasks"
        assert other.wait(0) is False
        ring("outbox")
        assert other.wait(5) is True
    finally:
        for bell in (first, second, other):
            bell.close()


def test_many_rings_are_answered_by_one_wake_up():
    bell = Doorbell.listen("outbox")
    try:
        for _ in range(50):
            ring("outbox")
        assert bell.wait(5) is True
        assert bell.wait(0) is False  # all fifty were consumed
    finally:
        bell.close()


def test_a_ring_from_another_thread_ends_the_wait():
    bell = Doorbell.listen("tasks")
    try:
        threading.Timer(0.05, ring, args=("tasks",)).start()
        assert bell.wait(30) is True
    finally:
        bell.close()


def test_a_socket_left_by_a_dead_process_is_removed_by_the_next_ring(var_dir):
    (var_dir / "doorbells").mkdir()
    stale = var_dir / "doorbells" / "tasks.999999"
    left = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    left.bind(str(stale))
    left.close()  # the process died: its socket file stays, nobody reads it
    ring("tasks")
    assert not stale.exists()


def test_close_removes_the_socket_file_and_ringing_nobody_is_harmless(var_dir):
    bell = Doorbell.listen("tasks")
    assert bell.path.exists() and bell.path.name == f"tasks.{os.getpid()}"
    bell.close()
    assert not bell.path.exists()
    ring("tasks")
    ring("never-listened")


def test_ringing_before_any_listener_made_the_folder_does_not_raise(var_dir):
    assert not (var_dir / "doorbells").exists()
    ring("tasks")


def test_no_doorbell_where_the_socket_path_would_be_too_long(settings, tmp_path):
    settings.VAR_DIR = tmp_path / ("x" * (doorbell.MAX_PATH_BYTES + 1))
    assert Doorbell.listen("tasks") is None  # the caller then polls as before
