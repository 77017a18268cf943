"""Fixtures shared by every test package."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ManagerFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def manager(db):
    return ManagerFactory()


@pytest.fixture
def manager_client(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client
