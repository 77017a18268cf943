"""Intake's PostgreSQL advisory locks, always taken in one order so that no two intakes deadlock.

The order: the supplier scope, then idempotency and external-id keys, then the campaign scope, then phones and
emails. A single post takes the two scopes shared and its keys and contacts exclusively, so single posts only
wait for each other key by key. A bulk post takes its supplier scope and its campaigns' scopes exclusively and
nothing finer: it then excludes every post that could touch its keys, contacts or cap counters. SQLite needs
none of this (writers are serialised by BEGIN IMMEDIATE).
"""

import hashlib

from django.db import connection


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def supplier_scope(supplier_id: int) -> str:
    return f"intake:{supplier_id}:supplier"


def campaign_scope(campaign_id: int) -> str:
    return f"intake:{campaign_id}:campaign"


def _lock(calls: list[tuple[str, int]]) -> None:
    if connection.vendor != "postgresql" or not calls:
        return
    # One round trip; PostgreSQL evaluates the select list left to right, which is the locking order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"{function}(%s)" for function, _ in calls), [key for _, key in calls])


def intake_lock(*, shared: list[str], names: list[str]) -> None:
    """Take the `shared` scopes (in the order given) shared, then the non-empty `names` exclusively, until commit."""
    _lock([("pg_advisory_xact_lock_shared", _lock_id(scope)) for scope in shared]
          + [("pg_advisory_xact_lock", key) for key in sorted({_lock_id(name) for name in names if name})])


def bulk_intake_lock(*, supplier_id: int, campaign_ids: set[int]) -> None:
    """Take the supplier's scope, then each campaign's, exclusively until commit."""
    campaigns = sorted(_lock_id(campaign_scope(campaign_id)) for campaign_id in campaign_ids)
    _lock([("pg_advisory_xact_lock", key) for key in [_lock_id(supplier_scope(supplier_id)), *campaigns]])
