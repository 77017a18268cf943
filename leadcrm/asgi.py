"""ASGI entry point: HTTP (Django, HTTP_CONCURRENCY requests at once), websockets (Channels) and the lifespan (the
embedded outbox relay)."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadcrm.settings.local")
django_http = get_asgi_application()  # sets up Django before the imports below touch models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from assignments.events import relay_enabled  # noqa: E402
from assignments.relay import relay_ensure_started, relay_stop  # noqa: E402
from leadcrm.http_limit import HttpConcurrencyLimit  # noqa: E402
from leadcrm.ws_auth import TokenOrSessionAuth  # noqa: E402
from leadcrm.ws_urls import websocket_urlpatterns  # noqa: E402

log = logging.getLogger(__name__)


async def lifespan(scope, receive, send) -> None:
    """Start the outbox relay with the server in embedded mode (in-memory layer); stop it on shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                if relay_enabled():
                    await relay_ensure_started()
            except Exception as error:
                log.exception("lifespan startup failed")
                await send({"type": "lifespan.startup.failed", "message": str(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await relay_stop()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": HttpConcurrencyLimit(django_http, limit=settings.HTTP_CONCURRENCY),
        "websocket": TokenOrSessionAuth(URLRouter(websocket_urlpatterns)),
        "lifespan": lifespan,
    }
)
