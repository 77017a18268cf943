"""Channels' WebsocketCommunicator without Daphne.

`channels.testing/__init__` imports its live-server test case, which needs Daphne (not a dependency: the server
is uvicorn). The communicator itself needs only asgiref, so when Daphne is missing the package is registered
without running that __init__ and the communicator module is imported on its own.
"""

import sys
import types
from pathlib import Path

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError as error:
    if error.name != "daphne":
        raise
    import channels

    sys.modules.pop("channels.testing", None)
    package = types.ModuleType("channels.testing")
    package.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = package
    from channels.testing.websocket import WebsocketCommunicator

__all__ = ["WebsocketCommunicator"]
