"""Clients for tests that call the API or open the pages as someone."""

from django.test import Client
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client authenticated as `user` (no token or session needed)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def signed_in(user) -> Client:
    """A test client with a session signed in as `user`: for the pages."""
    client = Client()
    client.force_login(user)
    return client
