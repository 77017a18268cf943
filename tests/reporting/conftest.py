"""Fixtures of the report tests: the hand-built floor, and each kind of caller (a manager's clients are
tests/conftest.py's `manager_client` and `manager_web`)."""

import pytest

from tests.factories import RepFactory, UserFactory, supplier_with_key
from tests.reporting.dataset import Floor


@pytest.fixture
def floor(db):
    return Floor()


@pytest.fixture
def rep_user(db):
    return RepFactory().user


@pytest.fixture
def plain_user(db):
    return UserFactory(username="someone")


@pytest.fixture
def supplier_key(db):
    return supplier_with_key(name="Key Supplier")[1]
