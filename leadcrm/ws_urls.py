"""Websocket routes of every app."""

from django.urls import path

from assignments.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
