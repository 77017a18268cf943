"""Clients for tests that call the API as someone."""

from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client authenticated as `user` (no token or session needed)."""
    client = APIClient()
    client.force_authenticate(user)
    return client
