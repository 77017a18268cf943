"""Fixtures of the report tests: the hand-built floor, and clients for each kind of caller."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ManagerFactory, RepFactory, UserFactory, supplier_with_key
from tests.reporting.dataset import Floor


@pytest.fixture
def floor(db):
    return Floor()


@pytest.fixture
def manager_api(db):
    client = APIClient()
    client.force_authenticate(ManagerFactory())
    return client


@pytest.fixture
def manager_web(client, db):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def rep_user(db):
    return RepFactory().user


@pytest.fixture
def plain_user(db):
    return UserFactory(username="someone")


@pytest.fixture
def supplier_key(db):
    return supplier_with_key(name="Key Supplier")[1]
