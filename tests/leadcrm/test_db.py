"""retry_on_deadlock runs a deadlock victim again, only outside an outer transaction, and nothing else."""

import pytest
from django.db import OperationalError, transaction

from leadcrm.db import ATTEMPTS, retry_on_deadlock


class PgError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str = "40P01"):
    calls = []

    @retry_on_deadlock
    def service(*, value: int) -> int:
        calls.append(value)
        if len(calls) <= times:
            raise OperationalError("deadlock detected") from PgError(sqlstate)
        return value * 2

    return service, calls


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_runs_again_until_it_succeeds():
    service, calls = failing(times=2)
    assert service(value=21) == 42
    assert calls == [21, 21, 21]


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_the_last_attempt_and_never_retries_other_errors():
    service, calls = failing(times=ATTEMPTS)
    with pytest.raises(OperationalError):
        service(value=1)
    assert len(calls) == ATTEMPTS
    other, other_calls = failing(times=1, sqlstate="08006")  # connection failure: not ours to retry
    with pytest.raises(OperationalError):
        other(value=1)
    assert other_calls == [1]


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_the_error_propagates():
    service, calls = failing(times=1)
    with pytest.raises(OperationalError), transaction.atomic():
        service(value=1)
    assert calls == [1]
