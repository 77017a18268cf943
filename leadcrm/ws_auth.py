"""Websocket authentication: a DRF token (scripts, apps) or the Django session (browsers, allowed Origin only).

A token travels in the request itself (`Authorization: Token <key>` on the handshake, or `?token=<key>`), so a
page on another site cannot make a browser send it: such sockets need no Origin. A session cookie is sent by the
browser whatever page opens the socket, so cookie sockets must come from an allowed Origin (cross-site websocket
hijacking). A request that names a token is judged by the token alone: a wrong token is refused even when a valid
session cookie comes along.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser

TOKEN_MAX_LENGTH = 64  # DRF keys are 40 characters; anything longer is not a key, and is not looked up whole


@database_sync_to_async
def _token_user(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


def handshake_token(scope: dict[str, Any]) -> str | None:
    """The token the handshake names: the `Authorization: Token <key>` header first, then `?token=`; else None.

    An `Authorization` header with another scheme names no token (the socket falls back to the session)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, key = value.decode("latin1").strip().partition(" ")
            if scheme.lower() == "token":
                return key.strip()[:TOKEN_MAX_LENGTH]
    keys = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token")
    return keys[0][:TOKEN_MAX_LENGTH] if keys else None


class TokenOrSessionAuth:
    """Routes each socket to token auth (no Origin check) or to session auth behind the allowed-Origin check."""

    def __init__(self, inner: Any) -> None:
        self.by_token = inner
        self.by_session = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = handshake_token(scope)
        if key is None:
            return await self.by_session(scope, receive, send)
        user = await _token_user(key) if key else AnonymousUser()
        return await self.by_token({**scope, "user": user}, receive, send)
