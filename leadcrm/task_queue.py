"""Enqueue django-q2 tasks through one broker per process.

django_q's async_task() builds a new broker for every call unless it is given one; with Q_BROKER=redis that
opened a TCP connection to Redis for each lead. Both brokers are safe to share between threads (Redis: a
thread-safe pool that resets itself after a fork; ORM: Django's per-thread connections).
"""

from __future__ import annotations

import threading
from typing import Any

_broker = None
_lock = threading.Lock()


def process_broker():
    """This process's django-q2 broker, created on first use."""
    global _broker
    if _broker is None:
        from django_q.brokers import get_broker

        with _lock:
            if _broker is None:
                _broker = get_broker()
    return _broker


def task_enqueue(func: str, *args: Any, **kwargs: Any) -> str:
    """django_q's async_task(func, *args, **kwargs) through process_broker(); returns the task id."""
    from django_q.tasks import async_task

    return async_task(func, *args, broker=process_broker(), **kwargs)
