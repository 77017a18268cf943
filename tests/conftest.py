"""Fixtures shared by every test package."""

import pytest


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def manager(db):
    from tests.factories import ManagerFactory

    return ManagerFactory()


@pytest.fixture
def manager_client(manager):
    """An API client authenticated as the sales manager `manager`."""
    from tests.clients import client_for

    return client_for(manager)


@pytest.fixture
def manager_web(client, manager):
    """The test client signed in (a session) as the sales manager `manager`: for the admin and the pages."""
    client.force_login(manager)
    return client


def pytest_collection_modifyitems(config, items):
    """Scale-out tests run only in the PostgreSQL pass of `make test`; elsewhere they skip, saying so."""
    from django.conf import settings

    if settings.DATABASE_ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="scale-out test: runs in the PostgreSQL + Redis pass of `make test` "
                                   "(python -m tests.scale_env --explain)")
    for item in items:
        if "scale" in item.keywords:
            item.add_marker(skip)
